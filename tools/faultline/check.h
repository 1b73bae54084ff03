// Entry points of `faultline check` (the model checker) that other commands call.
//
//   replay_counterexample_file: what `faultline replay FILE.json` does for a counterexample file
//     written by `faultline check` (runs it step by step, checking every `transition` property on
//     each step and every `always` property after it).
//   run_benchmark: `faultline bench check` — unique states per second of the explorer on 2PC, and
//     the same figure for SPIN on the Promela model in bench/spin (when spin and gcc are present).
// Both print to `out` and return an exit code from commands.h.
#pragma once

#include <ostream>
#include <string>

namespace faultline::cli {
int replay_counterexample_file(const std::string& path, std::ostream& out);
}  // namespace faultline::cli

namespace faultline::explore {
int run_benchmark(const std::string& source_dir, std::ostream& out);
}  // namespace faultline::explore
