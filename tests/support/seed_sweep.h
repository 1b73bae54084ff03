// Runs a bound scenario over seeds 1..N (with the wire check on) and gathers which seeds failed
// and which checks failed them: what the bug-switch tests of every protocol assert on.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "tools/faultline/entry.h"

namespace faultline::testing {

struct SeedSweep {
  std::optional<std::uint64_t> first_failing_seed;
  std::set<std::string> failed_checks;  // over the failing runs
  std::size_t failures = 0;
};

// stop_at_first: end at the first failing seed (a bug-switch budget needs only that one).
inline SeedSweep sweep(const cli::BoundScenario& bound, std::uint64_t seeds,
                       bool stop_at_first = false) {
  SeedSweep result;
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    RunOptions options;
    options.seed = seed;
    options.wire_check = true;
    const RunOutcome outcome = bound.run(options);
    if (outcome.status == RunStatus::passed) continue;
    ++result.failures;
    if (!result.first_failing_seed) result.first_failing_seed = seed;
    for (const auto& v : outcome.verdicts)
      if (!v.passed) result.failed_checks.insert(v.name);
    if (stop_at_first) break;
  }
  return result;
}

}  // namespace faultline::testing
