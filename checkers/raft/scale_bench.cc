// `faultline bench raft-scale`: simulated events per second of a Raft cluster as it grows, with
// the checks evaluated incrementally (monitors, sim/core/monitor.h) and, side by side in the same
// process, the way they were before monitors: every state property on the whole view after every
// event (the same suite with its monitors removed).
//
// The scenario, one per size: N nodes, 4 closed-loop clients for 10 s, the leader crashes at 3 s
// and everyone restarts at 5 s, then the liveness phase (up to 5 s). Election timeouts are
// [1s, 2s] at every size: with the default [150ms, 300ms] a 1,024-node cluster splits its votes
// for ever (a candidate every 0.15 ms against round trips of 2-10 ms) and never elects a leader.
//
// Incremental: whole runs, seeds 1, 2, ... until `seconds` of wall time (at least one run).
// Every event: the first K events of seed 1, K growing fourfold until a run takes a quarter of
// `seconds` or the run ends; the incremental checks are timed on the same K events for the ratio.
// Peak RSS is the process's high-water mark after each size (sizes run in ascending order).
// Options (--set): nodes (a list; [5, 16, 64, 256, 1024]), seconds (2), every_event (true).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "checkers/raft/binding.h"
#include "sim/engine/load_scenario.h"
#include "sim/scenario/parse.h"
#include "tools/faultline/bench_options.h"
#include "tools/faultline/process_memory.h"

namespace faultline::raft {

namespace {

using Clock = std::chrono::steady_clock;

constexpr int exit_ok = 0;
constexpr int exit_usage = 1;

struct ScaleOptions {
  static constexpr std::string_view type_name = "ScaleOptions";
  std::vector<std::uint32_t> nodes = {5, 16, 64, 256, 1024};
  Duration seconds = Duration::from_seconds(2);  // wall time per size and mode
  bool every_event = true;                       // also measure checks without monitors
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("nodes", self.nodes);
    visit("seconds", self.seconds);
    visit("every_event", self.every_event);
  }
};

Result<ScaleOptions> parse_options(const std::vector<std::string>& assignments) {
  auto parsed = parse_bench_options<ScaleOptions>("raft-scale", assignments);
  if (!parsed) return parsed;
  ScaleOptions& options = *parsed;
  for (std::uint32_t n : options.nodes)
    if (n == 0) return fail("--set nodes", 0, "a cluster needs at least one node");
  std::sort(options.nodes.begin(), options.nodes.end());
  return parsed;
}

Result<LoadedScenario<Raft>> scale_scenario(std::uint32_t nodes) {
  const std::string text = fmt::format(
      "name: raft_scale_{}\nprotocol: raft\n"
      "cluster: {{ nodes: {}, config: {{ election_timeout: [1s, 2s] }} }}\n"
      "network: {{ latency: {{ uniform: [1ms, 5ms] }} }}\n"
      "workload: {{ clients: 4, duration: 10s }}\n"
      "faults:\n  - {{ at: 3s, crash: leader }}\n  - {{ at: 5s, restart: all }}\n"
      "run: {{ until: 10s, converge_within: 5s, seed: 1 }}\n",
      nodes, nodes);
  auto parsed = scenario::parse_scenario(text, "raft-scale", Raft::role_names());
  if (!parsed) return std::unexpected(parsed.error());
  return bind_scenario<Raft>(std::move(*parsed), check_suite(Config{}));
}

struct Timed {
  std::uint64_t events = 0;
  double seconds = 0;
  std::uint64_t runs = 0;
  RunStatus status = RunStatus::passed;
  double rate() const { return seconds > 0 ? static_cast<double>(events) / seconds : 0; }
};

Timed timed_run(const LoadedScenario<Raft>& loaded, const CheckSuite<Raft>& suite,
                std::uint64_t seed, std::uint64_t events_max) {
  RunOptions options;
  options.seed = seed;
  // Whole runs (events_max 0) are not bounded by the default event budget: at 1,024 nodes a run
  // handles about 8M events, close to it.
  options.budget.events_max = events_max != 0 ? events_max : ~std::uint64_t{0};
  const auto start = Clock::now();
  const RunOutcome outcome = run_simulation(loaded, suite, options);
  Timed timed;
  timed.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  timed.events = outcome.events;
  timed.runs = 1;
  timed.status = outcome.status;
  return timed;
}

// Whole runs, seed after seed, until `seconds` have passed.
Timed whole_runs(const LoadedScenario<Raft>& loaded, const CheckSuite<Raft>& suite,
                 double seconds) {
  Timed total;
  while (total.runs == 0 || total.seconds < seconds) {
    const Timed one = timed_run(loaded, suite, total.runs + 1, 0);
    total.events += one.events;
    total.seconds += one.seconds;
    if (one.status != RunStatus::passed) total.status = one.status;
    ++total.runs;
  }
  return total;
}

// The first K events of seed 1, K growing until a run takes a quarter of `seconds`.
Timed first_events(const LoadedScenario<Raft>& loaded, const CheckSuite<Raft>& suite,
                   double seconds) {
  for (std::uint64_t cap = 1000;; cap *= 4) {
    const Timed timed = timed_run(loaded, suite, 1, cap);
    if (timed.seconds * 4 >= seconds || timed.events < cap) return timed;
  }
}

// The process's peak resident set (VmHWM), in MB, or 0 where /proc is not there.
double peak_rss_mb() { return static_cast<double>(peak_memory_bytes()) / (1024 * 1024); }

std::string status_word(RunStatus status) {
  return status == RunStatus::passed ? "passed" : "FAILED";
}

void measure_size(std::uint32_t nodes, const ScaleOptions& options, std::ostream& out) {
  auto loaded = scale_scenario(nodes);
  FL_ASSERT(loaded.has_value(), "the raft-scale scenario binds at every size");
  const double seconds = static_cast<double>(options.seconds.nanoseconds) / 1e9;
  const CheckSuite<Raft> incremental = check_suite(loaded->config);
  CheckSuite<Raft> every_event = incremental;
  for (Property<Raft>& property : every_event.properties) property.monitor = {};
  const Timed whole = whole_runs(*loaded, incremental, seconds);
  out << fmt::format("  {:>5}  {:>11} {:>4} {:>9.0f} {:>7}", nodes, whole.events, whole.runs,
                     whole.rate(), status_word(whole.status));
  if (options.every_event) {
    const Timed before = first_events(*loaded, every_event, seconds);
    const Timed after = timed_run(*loaded, incremental, 1, before.events);
    out << fmt::format("  {:>10} {:>9.0f} {:>9.0f} {:>7.1f}x", before.events, before.rate(),
                       after.rate(), after.rate() / before.rate());
  }
  out << fmt::format("  {:>8.0f}\n", peak_rss_mb());
  out.flush();
}

}  // namespace

int run_scale_benchmark(const Benchmark::Context& context) {
  auto options = parse_options(context.settings);
  if (!options) {
    std::fprintf(stderr, "error: %s\n", options.error().to_string().c_str());
    return exit_usage;
  }
  std::ostream& out = context.out;
  out << "raft-scale: Raft, 4 clients, leader crash at 3s, restart at 5s, 10s + liveness;\n"
         "election_timeout [1s, 2s]; events/s with incremental checks (whole runs) and, on\n"
         "the first K events of seed 1, with every property on the whole view after every event\n";
  out << fmt::format("  {:>5}  {:>11} {:>4} {:>9} {:>7}", "nodes", "incr:events", "runs",
                     "events/s", "result");
  if (options->every_event)
    out << fmt::format("  {:>10} {:>9} {:>9} {:>8}", "every:K", "events/s", "incr/s", "ratio");
  out << fmt::format("  {:>8}\n", "peak MB");
  for (std::uint32_t nodes : options->nodes) measure_size(nodes, *options, out);
  return exit_ok;
}

}  // namespace faultline::raft
