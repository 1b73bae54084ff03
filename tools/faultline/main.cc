// faultline: run fault scenarios, replay seeds, lint scenarios, model-check, run real clusters,
// check histories, benchmark. Every built-in protocol (builtin.h); no protocol of its own.
#include "tools/faultline/cli.h"

int main(int argc, char** argv) { return faultline::cli::main<>(argc, argv); }
