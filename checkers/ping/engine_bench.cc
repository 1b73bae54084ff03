// `faultline bench engine`, its ping row: the ping workload between 100 nodes (best of 3)
// against a bare std::priority_queue event loop doing the same number of pushes and pops in the
// same process, in events per second. The ratio is the engine's overhead per event.
// Wall-clock time is read here, in the tool, never inside the simulator.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <queue>
#include <string>

#include <fmt/core.h>

#include "checkers/ping/binding.h"
#include "sim/engine/simulation.h"
#include "sim/scenario/limits.h"
#include "sim/scenario/parse.h"
#include "tools/faultline/bench_options.h"
#include "tools/faultline/process_memory.h"

namespace faultline::ping {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct EngineFigures {
  std::uint64_t events = 0;
  double seconds = 0;
  double rate() const { return static_cast<double>(events) / seconds; }
};

scenario::Scenario ping_scenario(std::uint32_t node_count, Duration until) {
  scenario::Scenario s;
  s.name = "bench_ping";
  s.protocol = "ping";
  s.node_names.reserve(node_count);
  for (std::uint32_t i = 0; i < node_count; ++i) s.node_names.push_back("n" + std::to_string(i));
  s.network.latency = scenario::LatencyModel{scenario::LatencyModel::Shape::uniform,
                                             Duration::from_milliseconds(1),
                                             Duration::from_milliseconds(10),
                                             {3, 2},
                                             Ratio::zero()};
  s.run.until = until;
  s.run.converge_within = Duration{};
  return s;
}

EngineFigures bench_ping(Duration until) {
  const LoadedScenario<Ping> loaded{ping_scenario(100, until), Config{}, {}, {}};
  const CheckSuite<Ping> suite;
  RunOptions options;
  options.seed = 1;
  const auto start = Clock::now();
  const RunOutcome outcome = run_simulation(loaded, suite, options);
  return EngineFigures{outcome.events, seconds_since(start)};
}

// The baseline: the same number of events through std::priority_queue, each a pop and a push
// of a (time, sequence) pair with a latency drawn from the same Rng; `in_flight` events pending.
EngineFigures bench_bare_loop(std::uint64_t events, std::uint32_t in_flight = 100) {
  using Entry = std::pair<std::int64_t, std::uint64_t>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue;
  Rng rng(1);
  const DurationRange latency{Duration::from_milliseconds(1), Duration::from_milliseconds(10)};
  std::uint64_t sequence = 0;
  for (std::uint32_t i = 0; i < in_flight; ++i)
    queue.push({rng.duration_in(latency).nanoseconds, sequence++});
  std::uint64_t checksum = 0;
  const auto start = Clock::now();
  for (std::uint64_t i = 0; i < events; ++i) {
    const Entry top = queue.top();
    queue.pop();
    checksum += top.second;
    queue.push({top.first + rng.duration_in(latency).nanoseconds, sequence++});
  }
  const double seconds = seconds_since(start);
  if (checksum == 42) std::printf(" ");  // keeps the loop from being optimised away
  return EngineFigures{events, seconds};
}

struct ScaleOptions {
  static constexpr std::string_view type_name = "ScaleOptions";
  std::vector<std::uint32_t> nodes = {1000, 10000, 100000, 1000000};
  std::uint64_t events = 20'000'000;  // per size
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("nodes", self.nodes);
    visit("events", self.events);
  }
};

Result<ScaleOptions> parse_scale_options(const std::vector<std::string>& assignments) {
  auto parsed = parse_bench_options<ScaleOptions>("ping-scale", assignments);
  if (!parsed) return parsed;
  ScaleOptions& options = *parsed;
  for (std::uint32_t n : options.nodes)
    if (n < 2 || n > scenario::limits::kMaxNodes)
      return fail("--set nodes", 0,
                  "a size of " + std::to_string(n) + " nodes; sizes run from 2 to " +
                      std::to_string(scenario::limits::kMaxNodes));
  if (options.events == 0) return fail("--set events", 0, "at least one event");
  std::sort(options.nodes.begin(), options.nodes.end());
  return parsed;
}

// One size: `events` events of N ping nodes holding one token each (N messages in flight),
// then the bare heap with as many events pending. Peak memory is the run's own: the process's
// high-water mark is lowered to its resident set before the run.
void measure_size(std::uint32_t nodes, std::uint64_t events, std::ostream& out) {
  reset_peak_memory();
  const std::uint64_t resident_before = peak_memory_bytes();
  const LoadedScenario<Ping> loaded{
      ping_scenario(nodes, Duration::from_seconds(1'000'000)), Config{}, {}, {}};
  const CheckSuite<Ping> suite;
  RunOptions options;
  options.seed = 1;
  options.budget.events_max = events;
  const auto start = Clock::now();
  const RunOutcome outcome = run_simulation(loaded, suite, options);
  const EngineFigures run{outcome.events, seconds_since(start)};
  const std::uint64_t peak = peak_memory_bytes();
  const EngineFigures bare = bench_bare_loop(run.events, nodes);
  const double virtual_seconds = static_cast<double>(outcome.end.nanoseconds) / 1e9;
  out << fmt::format("  {:>9} {:>11} {:>8.3f} {:>9.2f} {:>9.2f} {:>6.2f} {:>10.1f} {:>9.1f}\n",
                     nodes, run.events, run.seconds, run.rate() / 1e6, bare.rate() / 1e6,
                     run.rate() / bare.rate(), virtual_seconds / run.seconds,
                     static_cast<double>(peak - std::min(peak, resident_before)) / (1 << 20));
  out.flush();
}

}  // namespace

int run_scale_benchmark(const Benchmark::Context& context) {
  auto options = parse_scale_options(context.settings);
  if (!options) {
    std::fprintf(stderr, "error: %s\n", options.error().to_string().c_str());
    return 1;
  }
  context.out << "ping-scale: N ping nodes, one token each (N messages in flight), latency\n"
                 "uniform [1ms, 10ms], seed 1, the first `events` events; against a bare\n"
                 "std::priority_queue with N events pending; peak MiB above the resident set\n"
                 "before the size (VmHWM, reset before each size)\n";
  context.out << fmt::format("  {:>9} {:>11} {:>8} {:>9} {:>9} {:>6} {:>10} {:>9}\n", "nodes",
                             "events", "wall s", "M ev/s", "bare M/s", "ratio", "virt/wall",
                             "peak MiB");
  for (std::uint32_t nodes : options->nodes) measure_size(nodes, options->events, context.out);
  return 0;
}

int run_engine_benchmark(const Benchmark::Context& context) {
  // Best of three alternating rounds for each: a benchmark on a shared machine measures
  // interference otherwise.
  bench_ping(Duration::from_seconds(10));  // warm-up
  EngineFigures ping, bare;
  for (int round = 0; round < 3; ++round) {
    const EngineFigures p = bench_ping(Duration::from_seconds(300));
    const EngineFigures b = bench_bare_loop(p.events);
    if (round == 0 || p.seconds < ping.seconds) ping = p;
    if (round == 0 || b.seconds < bare.seconds) bare = b;
  }
  context.out << fmt::format(
      "  ping, 100 nodes              {:12} events  {:7.3f} s  {:6.2f} M events/s\n", ping.events,
      ping.seconds, ping.rate() / 1e6);
  context.out << fmt::format(
      "      bare std::priority_queue {:12} events  {:7.3f} s  {:6.2f} M events/s\n", bare.events,
      bare.seconds, bare.rate() / 1e6);
  context.out << fmt::format("      engine / bare loop       {:.2f}\n", ping.rate() / bare.rate());
  return 0;
}

}  // namespace faultline::ping
