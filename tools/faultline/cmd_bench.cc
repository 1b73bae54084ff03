// `faultline bench`: throughput benchmarks, reported as figures and ratios (never as tests).
//
//   engine  every protocol binding's engine rows: a bundled scenario run seed after seed for 3 s
//           of wall time (simulated events per second, virtual over wall time), or a benchmark
//           of its own. Rows come in the order of the protocol list.
//   lin     every history in ../shared/histories through the linearizability checker, beside
//           Porcupine when Go and a Porcupine checkout are present (bench/porcupine).
//   check   every binding's model-checker rows.
//   all     engine, lin and check.
//   report  the HTML reports' cost (report_bench.cc), with --set options.
//   NAME    a benchmark a binding offers on its own, with --set options.
//
// Wall-clock time is read here, in the tool, never inside the simulator.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include <fmt/core.h>

#include "checkers/linearizability/bench.h"
#include "tools/faultline/commands.h"
#include "tools/faultline/entry.h"

namespace faultline::cli {

namespace {

using Clock = std::chrono::steady_clock;

struct BenchArgs {
  std::string what = "engine";
  std::string source_dir = ".";
  std::string histories_dir = "../shared/histories";
  std::vector<std::string> settings;
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A bundled scenario run for seeds 1, 2, ... until 3 s of wall time have passed.
int sweep_scenario(const Benchmark& row, const std::string& source_dir) {
  auto bound = load_scenario_file(source_dir + "/" + row.scenario);
  if (!bound) {
    std::fprintf(stderr, "error: %s\n", bound.error().to_string().c_str());
    return exit_usage;
  }
  std::uint64_t events = 0;
  std::uint64_t seeds = 0;
  std::int64_t virtual_ns = 0;
  const auto start = Clock::now();
  while (seconds_since(start) < 3.0) {
    RunOptions options;
    options.seed = ++seeds;
    const RunOutcome outcome = bound->run(options);
    events += outcome.events;
    virtual_ns += outcome.end.nanoseconds;
  }
  const double seconds = seconds_since(start);
  std::printf(
      "  %-28s %12llu events  %7.3f s  %6.2f M events/s  (%llu seeds, %.0f runs/s, "
      "virtual/wall time %.0fx)\n",
      row.summary.c_str(), static_cast<unsigned long long>(events), seconds,
      static_cast<double>(events) / seconds / 1e6, static_cast<unsigned long long>(seeds),
      static_cast<double>(seeds) / seconds, static_cast<double>(virtual_ns) / 1e9 / seconds);
  return exit_ok;
}

int run_row(const Benchmark& row, const BenchArgs& args) {
  std::fflush(stdout);
  if (!row.scenario.empty()) return sweep_scenario(row, args.source_dir);
  const int code = row.run(Benchmark::Context{args.source_dir, args.settings, std::cout});
  std::cout.flush();
  return code;
}

int run_group(Benchmark::Group group, const BenchArgs& args) {
  for (const ProtocolEntry& entry : protocols())
    for (const Benchmark& row : entry.benchmarks) {
      if (row.group != group) continue;
      if (const int code = run_row(row, args); code != exit_ok) return code;
    }
  return exit_ok;
}

const Benchmark* find_alone(const std::string& name) {
  for (const ProtocolEntry& entry : protocols())
    for (const Benchmark& row : entry.benchmarks)
      if (row.group == Benchmark::Group::alone && row.name == name) return &row;
  return nullptr;
}

int run_bench(const BenchArgs& args) {
  if (const Benchmark* row = find_alone(args.what)) return run_row(*row, args);
  if (args.what == "report") return run_report_benchmark(args.source_dir, args.settings, std::cout);
  if (!args.settings.empty()) {
    std::fprintf(stderr, "error: --set applies to a benchmark run alone, not to '%s'\n",
                 args.what.c_str());
    return exit_usage;
  }
  int code = exit_ok;
  if (args.what == "engine" || args.what == "all") {
    std::printf("engine benchmark (one core)\n");
    code = run_group(Benchmark::Group::engine, args);
  }
  if (code == exit_ok && (args.what == "lin" || args.what == "all"))
    code = lin::run_benchmark(args.histories_dir, args.source_dir, std::cout);
  if (code == exit_ok && (args.what == "check" || args.what == "all"))
    code = run_group(Benchmark::Group::check, args);
  return code;
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  std::vector<std::string> names = {"engine", "lin", "check", "all", "report"};
  std::string alone =
      "; report: the HTML report's cost beside the runs it reports on (--set seeds=N, "
      "scenario=PATH, long_scenario=PATH)";
  for (const ProtocolEntry& entry : protocols())
    for (const Benchmark& row : entry.benchmarks)
      if (row.group == Benchmark::Group::alone) {
        names.push_back(row.name);
        alone += fmt::format("; {}: {}", row.name, row.summary);
      }
  CLI::App* bench = app.add_subcommand(
      "bench",
      "Measure throughput: engine (events/s), lin (linearizability checker), check (model "
      "checker states/s), or one protocol benchmark by name");
  bench->add_option("WHAT", args->what, "engine, lin, check, all (those three)" + alone)
      ->check(CLI::IsMember(names));
  bench->add_option("--set", args->settings,
                    "An option of a benchmark run alone, key=value (repeatable)");
  bench->add_option("--source-dir", args->source_dir,
                    "The faultline checkout (for bundled scenarios)");
  bench->add_option("--histories", args->histories_dir, "Directory of histories for `bench lin`");
  bench->callback([args] { exit_code() = run_bench(*args); });
}

}  // namespace faultline::cli
