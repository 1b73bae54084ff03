// The entry point of `faultline check` that another command calls: what `faultline replay
// FILE.json` does for a counterexample file written by `faultline check` (runs it step by step,
// checking every `transition` property on each step and every `always` property after it).
// Prints to `out` and returns an exit code from commands.h.
#pragma once

#include <ostream>
#include <string>

namespace faultline::cli {
int replay_counterexample_file(const std::string& path, std::ostream& out);
}  // namespace faultline::cli
