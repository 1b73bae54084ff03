// Temporary: replaced by the run/replay/lint commands while the engine lands.
#include "tools/faultline/commands.h"
namespace faultline::cli { void add_run_commands(CLI::App&) {} }
