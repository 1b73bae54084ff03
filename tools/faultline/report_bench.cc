// `faultline bench report`: what the HTML reports cost, beside what they report on, in one run.
//
//   sweep   `seeds` seeds of `scenario` across all cores (as `run --seeds` runs them), then the
//           sweep report gathered and written from their outcomes: the report's share of the
//           sweep's time, per seed.
//   single  one seed of `long_scenario` run plain, then with the report's timeline collected
//           and its page written, alternating, best of three: the extra per event.
#include <algorithm>
#include <chrono>
#include <ostream>

#include <fmt/core.h>

#include "tools/faultline/bench_options.h"
#include "tools/faultline/commands.h"
#include "tools/faultline/entry.h"
#include "tools/faultline/html_report.h"
#include "tools/faultline/seed_runner.h"

namespace faultline::cli {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct ReportBenchOptions {
  static constexpr std::string_view type_name = "ReportBenchOptions";
  std::uint64_t seeds = 10'000;
  std::string scenario = "scenarios/raft/three_node_leader_crash.yaml";
  std::string long_scenario = "scenarios/raft/slow_follower.yaml";
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("seeds", self.seeds);
    visit("scenario", self.scenario);
    visit("long_scenario", self.long_scenario);
  }
};

const ReportHeader kHeader{"bench", "bench", "bench", "faultline bench report", "bench"};

void bench_sweep(const BoundScenario& bound, std::uint64_t seeds, std::ostream& out) {
  std::vector<RunOutcome> outcomes(seeds);
  std::uint64_t events = 0;
  auto start = Clock::now();
  run_indices(seeds, worker_count(0, seeds), [&](std::uint64_t i) {
    RunOptions options;
    options.seed = i + 1;
    outcomes[i] = bound.run(options);
  });
  const double sweep_seconds = seconds_since(start);
  start = Clock::now();
  SweepAccumulator sweep(1, seeds, [&](std::uint64_t seed, std::uint64_t print) {
    return fmt::format("faultline replay {} --seed {} --fingerprint {:016x}", bound.path, seed,
                       print);
  });
  for (const RunOutcome& outcome : outcomes) {
    sweep.add(outcome);
    events += outcome.events;
  }
  const std::string html = sweep_report_html(kHeader, std::move(sweep).finish({}));
  const double report_seconds = seconds_since(start);
  out << fmt::format(
      "  sweep   {} seeds, {} events: {:.2f} s; report {:.3f} s = {:.2f}% of the sweep, {:.1f} us "
      "a seed, {} bytes\n",
      seeds, events, sweep_seconds, report_seconds, 100 * report_seconds / sweep_seconds,
      1e6 * report_seconds / static_cast<double>(seeds), html.size());
}

void bench_single(const BoundScenario& bound, std::ostream& out) {
  double plain = 1e9, reported = 1e9;
  std::uint64_t events = 0;
  std::size_t bytes = 0;
  for (int round = 0; round < 3; ++round) {
    auto start = Clock::now();
    events = bound.run(RunOptions{}).events;
    plain = std::min(plain, seconds_since(start));
    start = Clock::now();
    RunTimeline timeline;
    const RunOutcome outcome = bound.run_report(RunOptions{}, timeline);
    bytes = run_report_html(kHeader, outcome, timeline, "").size();
    reported = std::min(reported, seconds_since(start));
  }
  out << fmt::format(
      "  single  {} events: run {:.3f} s, with the report {:.3f} s (x{:.2f}), {:.0f} ns an "
      "event more, {} bytes\n",
      events, plain, reported, reported / plain,
      1e9 * (reported - plain) / static_cast<double>(events), bytes);
}

}  // namespace

int run_report_benchmark(const std::string& source_dir, const std::vector<std::string>& settings,
                         std::ostream& out) {
  auto options = parse_bench_options<ReportBenchOptions>("report", settings);
  if (!options || options->seeds == 0) {
    std::fprintf(stderr, "error: %s\n",
                 options ? "--set seeds: at least one seed" : options.error().to_string().c_str());
    return exit_usage;
  }
  auto sweep = load_scenario_file(source_dir + "/" + options->scenario);
  auto single = load_scenario_file(source_dir + "/" + options->long_scenario);
  for (const auto* bound : {&sweep, &single})
    if (!*bound) {
      std::fprintf(stderr, "error: %s\n", bound->error().to_string().c_str());
      return exit_usage;
    }
  out << "report benchmark: the HTML report's cost beside the runs it reports on\n";
  bench_sweep(*sweep, options->seeds, out);
  bench_single(*single, out);
  return exit_ok;
}

}  // namespace faultline::cli
