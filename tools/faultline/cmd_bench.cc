// Temporary: replaced by the bench command while the engine lands.
#include "tools/faultline/commands.h"
namespace faultline::cli { void add_bench_command(CLI::App&) {} }
