// `faultline bench overlay-tail`: The Tail at Scale's fan-out figure, reproduced on the overlay.
// Runs scenarios/overlay/tail_at_scale/no_hedging.yaml and hedged_p95.yaml (a leader and 100
// leaves answering in 10ms, or 1s with probability 1%) for `duration` of virtual time each
// (one client, queries back to back), and prints per file: queries, the fraction taking at
// least 1s, p50, p99, p99.9 and max query latency, and the extra requests hedging sent (hedges
// over first requests). Options (--set): duration (no_hedging: 2000s; hedged: a twentieth of it,
// as its queries are that much shorter), seed (1).
#include <algorithm>
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

namespace faultline::overlay {

namespace {

struct TailOptions {
  static constexpr std::string_view type_name = "TailOptions";
  Duration duration = Duration::from_seconds(2000);
  std::uint64_t seed = 1;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("duration", self.duration);
    visit("seed", self.seed);
  }
};

struct TailFigures {
  std::vector<Duration> latencies;  // ascending
  std::uint64_t parts = 0;
  std::uint64_t hedges = 0;
  Duration at_rank(double fraction) const {
    if (latencies.empty()) return Duration{};
    const auto rank =
        static_cast<std::size_t>(fraction * static_cast<double>(latencies.size() - 1));
    return latencies[rank];
  }
};

Result<TailOptions> parse_tail_options(const std::vector<std::string>& assignments) {
  auto parsed = parse_bench_options<TailOptions>("overlay-tail", assignments);
  if (!parsed) return parsed;
  TailOptions& options = *parsed;
  if (options.duration < Duration::from_seconds(20))
    return fail("--set duration", 0, "at least 20s");
  return parsed;
}

Result<TailFigures> run_file(const std::string& path, Duration duration, std::uint64_t seed) {
  auto parsed = scenario::load_scenario(path, Overlay::role_names());
  if (!parsed) return std::unexpected(parsed.error());
  const std::string duration_key = "duration=" + format_duration(duration);
  if (auto ok = scenario::apply_override(parsed->workload, duration_key); !ok)
    return std::unexpected(ok.error());
  parsed->run.until = duration;
  auto loaded = bind_scenario<Overlay>(std::move(*parsed), check_suite(Config{}));
  if (!loaded) return std::unexpected(loaded.error());
  RunOptions options;
  options.seed = seed;
  options.budget.events_max = ~std::uint64_t{0};
  const CheckSuite<Overlay> suite;  // the figures only: the scenario tests run the checks
  Simulation<Overlay> simulation(*loaded, suite, options);
  simulation.run();
  TailFigures figures;
  std::map<QueryId, Time> asked;
  for (const auto& call : simulation.history().invocations)
    if (const auto* query = std::get_if<Query>(&call.input))
      asked.try_emplace(query->id, call.time);
  for (const auto& emission : simulation.history().emissions) {
    const auto* done = std::get_if<QueryDone>(&emission.output);
    if (done == nullptr || done->outcome != Outcome::complete) continue;
    figures.latencies.push_back(emission.time - asked.at(done->id));
    figures.parts += done->parts_sent - done->hedges_sent;
    figures.hedges += done->hedges_sent;
  }
  std::ranges::sort(figures.latencies);
  return figures;
}

void print_row(std::ostream& out, const std::string& name, const TailFigures& f) {
  const auto slow =
      std::ranges::count_if(f.latencies, [](Duration d) { return d >= Duration::from_seconds(1); });
  const double share =
      f.latencies.empty() ? 0 : static_cast<double>(slow) / static_cast<double>(f.latencies.size());
  const double extra =
      f.parts == 0 ? 0 : static_cast<double>(f.hedges) / static_cast<double>(f.parts);
  out << fmt::format("  {:<12} {:>8} {:>8.1f}% {:>9} {:>9} {:>9} {:>9} {:>7.2f}%\n", name,
                     f.latencies.size(), 100 * share, format_duration(f.at_rank(0.5)),
                     format_duration(f.at_rank(0.99)), format_duration(f.at_rank(0.999)),
                     format_duration(f.latencies.empty() ? Duration{} : f.latencies.back()),
                     100 * extra);
}

}  // namespace

int run_tail_benchmark(const Benchmark::Context& context) {
  auto options = parse_tail_options(context.settings);
  if (!options) {
    std::fprintf(stderr, "error: %s\n", options.error().to_string().c_str());
    return 1;
  }
  const std::string dir = context.source_dir + "/scenarios/overlay/tail_at_scale/";
  auto plain = run_file(dir + "no_hedging.yaml", options->duration, options->seed);
  auto hedged = run_file(dir + "hedged_p95.yaml", options->duration / 20, options->seed);
  for (const auto* result : {&plain, &hedged})
    if (!*result) {
      std::fprintf(stderr, "error: %s\n", result->error().to_string().c_str());
      return 1;
    }
  context.out << "overlay-tail: a leader and 100 leaves, 10ms or 1s at 1% (seed " << options->seed
              << ")\n";
  context.out << fmt::format("  {:<12} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8}\n", "", "queries",
                             ">= 1s", "p50", "p99", "p99.9", "max", "extra");
  print_row(context.out, "no hedging", *plain);
  print_row(context.out, "hedged p95", *hedged);
  const double cut =
      static_cast<double>(plain->at_rank(0.999).nanoseconds) /
      static_cast<double>(std::max<std::int64_t>(hedged->at_rank(0.999).nanoseconds, 1));
  context.out << fmt::format("  p99.9 cut {:.1f}x\n", cut);
  return 0;
}

}  // namespace faultline::overlay
