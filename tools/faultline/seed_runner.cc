#include "tools/faultline/seed_runner.h"

#include <algorithm>
#include <mutex>
#include <thread>
#include <vector>

namespace faultline::cli {

RunOptions run_options(std::uint64_t seed, const BudgetArgs& budget, bool wire, TraceSink* trace,
                       const DriverLimits& limits) {
  RunOptions options;
  options.seed = seed;
  options.trace = trace;
  options.wire_check = wire;
  options.budget = run_budget(budget).value();
  options.limits = &limits;
  return options;
}

RunOutcome run_seed(const BoundScenario& bound, std::uint64_t seed, const BudgetArgs& budget,
                    bool wire, TraceSink* trace) {
  const WallAndMemoryLimits limits = WallAndMemoryLimits::from(budget).value();
  return bound.run(run_options(seed, budget, wire, trace, limits));
}

unsigned worker_count(unsigned requested, std::uint64_t count) {
  const unsigned jobs =
      requested != 0 ? requested : std::max(1u, std::thread::hardware_concurrency());
  return static_cast<unsigned>(std::max<std::uint64_t>(1, std::min<std::uint64_t>(jobs, count)));
}

std::uint64_t run_indices(std::uint64_t count, unsigned jobs,
                          const std::function<void(std::uint64_t)>& work,
                          const std::function<bool()>& keep_going) {
  std::mutex mutex;
  std::uint64_t next = 0;
  bool stopped = false;
  // The next index to start, or count when there is none: taken under the lock together with
  // the keep_going answer, so no index starts after a later one was refused.
  const auto take = [&]() -> std::uint64_t {
    const std::lock_guard lock(mutex);
    if (stopped || next >= count) return count;
    if (keep_going && !keep_going()) {
      stopped = true;
      return count;
    }
    return next++;
  };
  const auto worker = [&] {
    for (std::uint64_t i = take(); i < count; i = take()) work(i);
  };
  std::vector<std::thread> threads;
  for (unsigned j = 1; j < worker_count(jobs, count); ++j) threads.emplace_back(worker);
  worker();
  for (auto& thread : threads) thread.join();
  return next;
}

}  // namespace faultline::cli
