// `faultline bench`: throughput benchmarks, reported as figures and ratios (never as tests).
//
//   engine  (a) the ping workload between 100 nodes (best of 3) against a bare std::priority_queue
//   event
//           loop doing the same number of pushes and pops in the same process, and
//           (b) the two-phase-commit canary rollout scenario, in simulated events per second.
//   lin     every history in ../shared/histories through the linearizability checker.
//   check   the model checker's unique states per second on 2PC, beside SPIN on the same model.
//   raft-socket  committed writes per second of a 3-node Raft cluster of real processes on
//           loopback with fsync'd durable logs (bench_raft_socket.cc); not part of `all`.
//
// Wall-clock time is read here, in the tool, never inside the simulator.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <queue>
#include <string>

#include "checkers/linearizability/bench.h"
#include "protocols/ping/ping.h"
#include "sim/core/result.h"
#include "sim/engine/simulation.h"
#include "tools/faultline/bench_raft_socket.h"
#include "tools/faultline/check.h"
#include "tools/faultline/commands.h"
#include "tools/faultline/registry.h"

namespace faultline::cli {

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
  for (std::uint32_t i = 0; i < node_count; ++i) s.node_names.push_back("n" + std::to_string(i));
  s.network.latency = scenario::LatencyModel{scenario::LatencyModel::Shape::uniform,
                                             Duration::from_milliseconds(1),
                                             Duration::from_milliseconds(10),
                                             {3, 2}};
  s.run.until = until;
  s.run.converge_within = Duration{};
  return s;
}

EngineFigures bench_ping(Duration until) {
  const LoadedScenario<ping::Ping> loaded{ping_scenario(100, until), ping::Config{}, {}, {}};
  const CheckSuite<ping::Ping> suite;
  RunOptions options;
  options.seed = 1;
  const auto start = Clock::now();
  const RunOutcome outcome = run_simulation(loaded, suite, options);
  return EngineFigures{outcome.events, seconds_since(start)};
}

// The baseline: the same number of events through std::priority_queue, each a pop and a push
// of a (time, sequence) pair with a latency drawn from the same Rng; 100 events in flight.
EngineFigures bench_bare_loop(std::uint64_t events) {
  using Entry = std::pair<std::int64_t, std::uint64_t>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue;
  Rng rng(1);
  std::uint64_t sequence = 0;
  for (int i = 0; i < 100; ++i)
    queue.push({rng.duration_in({Duration::from_milliseconds(1), Duration::from_milliseconds(10)})
                    .nanoseconds,
                sequence++});
  std::uint64_t checksum = 0;
  const auto start = Clock::now();
  for (std::uint64_t i = 0; i < events; ++i) {
    const Entry top = queue.top();
    queue.pop();
    checksum += top.second;
    queue.push({top.first + rng.duration_in({Duration::from_milliseconds(1),
                                             Duration::from_milliseconds(10)})
                                .nanoseconds,
                sequence++});
  }
  const double seconds = seconds_since(start);
  if (checksum == 42) std::printf(" ");  // keeps the loop from being optimised away
  return EngineFigures{events, seconds};
}

// Runs a scenario file for seeds 1, 2, ... until `wall_seconds` have passed.
struct SeedSweepFigures {
  std::uint64_t events = 0;
  std::uint64_t seeds = 0;
  std::int64_t virtual_ns = 0;  // summed over the runs
  double seconds = 0;
};

Result<SeedSweepFigures> sweep_seeds(const std::string& path, double wall_seconds) {
  auto bound = load_scenario_file(path);
  if (!bound) return std::unexpected(bound.error());
  SeedSweepFigures figures;
  const auto start = Clock::now();
  while (seconds_since(start) < wall_seconds) {
    RunOptions options;
    options.seed = ++figures.seeds;
    const RunOutcome outcome = bound->run(options);
    figures.events += outcome.events;
    figures.virtual_ns += outcome.end.nanoseconds;
  }
  figures.seconds = seconds_since(start);
  return figures;
}

// (c) Raft: a 5-node cluster under steady client load (4 closed-loop clients) while a nemesis
// crashes, restarts, isolates and partitions nodes; every check runs after every event, and the
// linearizability check runs on each history. Reports events/s and virtual seconds per wall second.
int bench_raft(const std::string& source_dir) {
  const auto r = sweep_seeds(source_dir + "/scenarios/raft/five_node_nemesis.yaml", 3.0);
  if (!r) {
    std::fprintf(stderr, "error: %s\n", r.error().to_string().c_str());
    return exit_usage;
  }
  const double virtual_seconds = static_cast<double>(r->virtual_ns) / 1e9;
  std::printf(
      "  (c) Raft, 5 nodes, load+faults %10llu events  %7.3f s  %6.2f M events/s  (%llu seeds, "
      "virtual/wall time %.0fx)\n",
      static_cast<unsigned long long>(r->events), r->seconds,
      static_cast<double>(r->events) / r->seconds / 1e6, static_cast<unsigned long long>(r->seeds),
      virtual_seconds / r->seconds);
  return exit_ok;
}

int bench_engine(const std::string& source_dir) {
  std::printf("engine benchmark (one core)\n");
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
  std::printf("  (a) ping, 100 nodes          %12llu events  %7.3f s  %6.2f M events/s\n",
              static_cast<unsigned long long>(ping.events), ping.seconds, ping.rate() / 1e6);
  std::printf("      bare std::priority_queue %12llu events  %7.3f s  %6.2f M events/s\n",
              static_cast<unsigned long long>(bare.events), bare.seconds, bare.rate() / 1e6);
  std::printf("      engine / bare loop       %.2f\n", ping.rate() / bare.rate());

  const auto r = sweep_seeds(source_dir + "/scenarios/two_phase_commit/canary_rollout.yaml", 3.0);
  if (!r) {
    std::fprintf(stderr, "error: %s\n", r.error().to_string().c_str());
    return exit_usage;
  }
  std::printf(
      "  (b) 2PC canary rollout       %12llu events  %7.3f s  %6.2f M events/s  (%llu seeds, %.0f "
      "runs/s)\n",
      static_cast<unsigned long long>(r->events), r->seconds,
      static_cast<double>(r->events) / r->seconds / 1e6, static_cast<unsigned long long>(r->seeds),
      static_cast<double>(r->seeds) / r->seconds);
  return bench_raft(source_dir);
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto what = std::make_shared<std::string>("engine");
  auto source_dir = std::make_shared<std::string>(".");
  auto histories_dir = std::make_shared<std::string>("../shared/histories");
  auto raft = std::make_shared<RaftSocketBenchOptions>();
  CLI::App* bench =
      app.add_subcommand("bench",
                         "Measure throughput: engine (events/s), lin (linearizability checker), "
                         "check (model checker vs SPIN), raft-socket (Raft "
                         "writes/s over real processes)");
  bench->add_option("WHAT", *what, "engine, lin, check, all (those three) or raft-socket")
      ->check(CLI::IsMember({"engine", "lin", "check", "all", "raft-socket"}));
  bench->add_option("--clients", raft->clients,
                    "raft-socket: client sessions, one write outstanding each (default 256)");
  bench->add_option("--seconds", raft->seconds, "raft-socket: measured window (default 10)");
  bench->add_option("--warmup", raft->warmup_s,
                    "raft-socket: seconds of load before the window (default 2)");
  bench->add_option("--raft-config", raft->raft_config,
                    "raft-socket: the cluster's Raft config as YAML flow text");
  bench->add_option("--runtime", raft->runtime,
                    "raft-socket: the cluster file's runtime: keys as YAML flow text");
  bench->add_option("--dir", raft->dir,
                    "raft-socket: data directory (default: a temporary one, removed afterwards)");
  bench->add_flag("--keep", raft->keep, "raft-socket: keep the temporary directory");
  bench->add_option("--source-dir", *source_dir, "The faultline checkout (for bundled scenarios)");
  bench->add_option("--histories", *histories_dir, "Directory of histories for `bench lin`");
  bench->callback([what, source_dir, histories_dir, raft] {
    if (*what == "raft-socket") {
      exit_code() = run_raft_socket_benchmark(*raft);
      return;
    }
    int code = exit_ok;
    if (*what == "engine" || *what == "all") code = bench_engine(*source_dir);
    if (code == exit_ok && (*what == "lin" || *what == "all"))
      code = lin::run_benchmark(*histories_dir, std::cout);
    if (code == exit_ok && (*what == "check" || *what == "all"))
      code = explore::run_benchmark(*source_dir, std::cout);
    exit_code() = code;
  });
}

}  // namespace faultline::cli
