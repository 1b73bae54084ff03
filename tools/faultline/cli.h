// faultline::cli::main<B...>(): the whole `faultline` command line (run, lint, replay, check,
// node, cluster, client, bench, lin) for the built-in protocols plus the bindings B... (a
// protocol of your own, out of tree). A program of yours is then one line:
//
//   int main(int argc, char** argv) { return faultline::cli::main<my::Binding>(argc, argv); }
//
// Each B is instantiated here, in the caller's translation unit: the simulator, the model
// checker and the socket runtime for its protocol.
#pragma once

#include "tools/faultline/binding.h"
#include "tools/faultline/entry.h"
#include "tools/faultline/make_entry.h"

namespace faultline::cli {

// Parses the command line, runs the subcommand, returns the process's exit code (commands.h).
int run_main(int argc, char** argv);

template <ProtocolBinding... B>
int main(int argc, char** argv) {
  (add_protocol(make_entry<B>()), ...);
  return run_main(argc, argv);
}

}  // namespace faultline::cli
