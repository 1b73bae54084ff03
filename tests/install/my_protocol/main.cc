// my_ring: faultline's whole command line (run, lint, replay, check, node, cluster,
// client, bench, lin) for token_ring and every protocol built into faultline.
#include "binding.h"
#include "tools/faultline/cli.h"

int main(int argc, char** argv) { return faultline::cli::main<my::Binding>(argc, argv); }
