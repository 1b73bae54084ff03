// `faultline bench overlay-scale`: generated overlay trees of fan-out 10 and growing depth (10^3
// to 10^6 nodes) answering 1,000 queries, every node checking its neighbours every 5s, with the
// full check suite. Per size: events, wall time, events per second, virtual over wall time, the
// queries answered (complete and partial) and the peak memory of the run (the process's
// high-water mark, lowered to its resident set before each size). Sizes run in ascending order.
// The workload: 10 clients of team 0, 100 queries each, back to back, each for a window of
// 1,000 keys (at most 100 rows); the run lasts 10s of virtual time (two rounds of checks).
// Options (--set): depths (a list; [3, 4, 5, 6]), fanout (10), seed (1).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include <fmt/core.h>

#include "checkers/overlay/binding.h"
#include "sim/engine/load_scenario.h"
#include "sim/engine/simulation.h"
#include "sim/scenario/parse.h"
#include "tools/faultline/bench_options.h"
#include "tools/faultline/process_memory.h"

namespace faultline::overlay {

namespace {

using Clock = std::chrono::steady_clock;

struct ScaleOptions {
  static constexpr std::string_view type_name = "ScaleOptions";
  std::vector<std::uint32_t> depths = {3, 4, 5, 6};
  std::uint32_t fanout = 10;
  std::uint64_t seed = 1;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("depths", self.depths);
    visit("fanout", self.fanout);
    visit("seed", self.seed);
  }
};

Result<LoadedScenario<Overlay>> scale_scenario(std::uint32_t fanout, std::uint32_t depth) {
  Config config;
  config.shape = Shape::generated;
  config.fanout = fanout;
  config.depth = depth;
  const std::uint64_t nodes = tree_size(config);
  if (nodes == 0) return fail("--set depths", 0, "a tree of more than 4,194,304 nodes");
  const std::string text = fmt::format(
      "name: overlay_scale_{}\nprotocol: overlay\n"
      "cluster: {{ nodes: {}, config: {{ shape: generated, fanout: {}, depth: {} }} }}\n"
      "network: {{ latency: {{ uniform: [1ms, 5ms] }} }}\n"
      "workload: {{ clients: [10], queries_per_client: 100, duration: 10s, "
      "think_time: [0s, 0s], key_span: 1000, limit: 100, fetch_chunks: false }}\n"
      "run: {{ until: 10s, converge_within: 0s }}\n",
      nodes, nodes, fanout, depth);
  auto parsed = scenario::parse_scenario(text, "overlay-scale", Overlay::role_names());
  if (!parsed) return std::unexpected(parsed.error());
  return bind_scenario<Overlay>(std::move(*parsed), check_suite(config));
}

void measure(std::uint32_t fanout, std::uint32_t depth, std::uint64_t seed, std::ostream& out) {
  reset_peak_memory();
  const std::uint64_t resident_before = peak_memory_bytes();
  const auto start = Clock::now();
  auto loaded = scale_scenario(fanout, depth);
  if (!loaded) {
    out << "  error: " << loaded.error().to_string() << "\n";
    return;
  }
  RunOptions options;
  options.seed = seed;
  options.budget.events_max = ~std::uint64_t{0};
  options.budget.pending_events_max = ~std::uint64_t{0};
  const CheckSuite<Overlay> suite = check_suite(loaded->config);
  Simulation<Overlay> simulation(*loaded, suite, options);
  const RunOutcome outcome = simulation.run();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::uint64_t complete = 0, partial = 0;
  for (const auto& emission : simulation.history().emissions)
    if (const auto* done = std::get_if<QueryDone>(&emission.output))
      (done->outcome == Outcome::complete ? complete : partial) += 1;
  const std::uint64_t peak = peak_memory_bytes();
  out << fmt::format("  {:>9} {:>11} {:>8.1f} {:>9.2f} {:>9.2f} {:>6} {:>6} {:>9.0f} {}\n",
                     loaded->scenario.node_names.size(), outcome.events, seconds,
                     static_cast<double>(outcome.events) / seconds / 1e6,
                     static_cast<double>(outcome.end.nanoseconds) / 1e9 / seconds, complete,
                     partial,
                     static_cast<double>(peak - std::min(peak, resident_before)) / (1 << 20),
                     outcome.status == RunStatus::passed ? "passed" : "FAILED");
  out.flush();
}

}  // namespace

int run_scale_benchmark(const Benchmark::Context& context) {
  auto options = parse_bench_options<ScaleOptions>("overlay-scale", context.settings);
  if (!options) {
    std::fprintf(stderr, "error: %s\n", options.error().to_string().c_str());
    return 1;
  }
  std::ranges::sort(options->depths);
  context.out << "overlay-scale: generated trees, 1,000 queries of 1,000-key windows, checks "
                 "every 5s, 10s of virtual time, every check on\n";
  context.out << fmt::format("  {:>9} {:>11} {:>8} {:>9} {:>9} {:>6} {:>6} {:>9} {}\n", "nodes",
                             "events", "wall s", "M ev/s", "virt/wall", "full", "part", "peak MiB",
                             "result");
  for (std::uint32_t depth : options->depths)
    measure(options->fanout, depth, options->seed, context.out);
  return 0;
}

}  // namespace faultline::overlay
