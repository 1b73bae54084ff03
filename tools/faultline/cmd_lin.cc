// Temporary: replaced by the lin command while the engine lands.
#include "tools/faultline/commands.h"
namespace faultline::cli { void add_lin_command(CLI::App&) {} }
