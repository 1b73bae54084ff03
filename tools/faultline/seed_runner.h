// Running seeds: one seed of a bound scenario within the budgets, and many indices across worker
// threads. Shared by `run --seeds` and `fuzz`, so both run a seed the same way.
//
// Parallelism is across seeds only (each simulation is single-threaded, DESIGN.md 4.4); a
// result never depends on the number of workers, because callers store results by index. The
// wall clock decides only when to stop starting work (`keep_going`), never what a run does.
#pragma once

#include <cstdint>
#include <functional>

#include "sim/engine/run_outcome.h"
#include "tools/faultline/budget_options.h"
#include "tools/faultline/entry.h"

namespace faultline::cli {

// The options of one run of `seed` within the budgets (validated by the caller). `limits`
// (WallAndMemoryLimits::from(budget), made just before the run: the wall-time budget starts
// when it is made) must outlive the run. `wire` round-trips every message through the codec.
RunOptions run_options(std::uint64_t seed, const BudgetArgs& budget, bool wire, TraceSink* trace,
                       const DriverLimits& limits);

// One run of `seed` with those options; the wall-time budget starts now.
RunOutcome run_seed(const BoundScenario& bound, std::uint64_t seed, const BudgetArgs& budget,
                    bool wire, TraceSink* trace = nullptr);

// The number of worker threads for `count` items: `requested`, or every core when 0, and never
// more than `count`.
unsigned worker_count(unsigned requested, std::uint64_t count);

// Calls work(i) for i = 0, 1, ... on `jobs` threads (this one included) until `count` have
// started or `keep_going` (when given) returns false; it is asked before each start, under a
// lock, so the indices started are always 0 .. k-1. Returns k once every started call returned.
std::uint64_t run_indices(std::uint64_t count, unsigned jobs,
                          const std::function<void(std::uint64_t)>& work,
                          const std::function<bool()>& keep_going = {});

}  // namespace faultline::cli
