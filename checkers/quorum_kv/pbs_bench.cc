// `faultline bench quorum_kv-pbs`: the leaderless mode checked against Probabilistically Bounded
// Staleness (Bailis et al., VLDB 2012). The WARS model's four message delays map onto four
// kinds of links (leaderless.cc): writes n2 -> replicas (W) and read answers replicas -> gateway
// (S) exponential with mean `mean`; acknowledgements (A), read requests (R) and the hops between
// gateway and n2 take no time. Those two links reorder freely (`reorder: 1`): PBS draws each
// delay independently, and a FIFO link would hold a fast copy behind a slow one sent before it
// (at t = 0 it makes no difference, the curve below reads 0.10 too high at t = mean with FIFO
// links). Each client writes its own key and reads it back `t` after the
// write's acknowledgement. A write is acknowledged when its W-th copy lands; the other N-W land
// later, each after an exponential wait (memoryless), so a read t later misses the write exactly
// when all of the R replicas that answer first still lack it:
//   P(stale, t) = sum over s of Binomial(N-W, e^(-t/mean))(s) x C(s, R) / C(N, R),
// which at t = 0 is PBS's closed form C(N-W, R) / C(N, R). The benchmark prints, for each
// (N, R, W) of the table, the simulated figure beside it, and the t-visibility curve.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <ostream>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "checkers/quorum_kv/binding.h"
#include "sim/engine/load_scenario.h"
#include "sim/scenario/parse.h"
#include "tools/faultline/bench_options.h"

namespace faultline::quorum_kv {

namespace {

using Clock = std::chrono::steady_clock;

struct PbsOptions {
  static constexpr std::string_view type_name = "PbsOptions";
  std::uint64_t reads = 1'000'000;                  // per (N, R, W) row
  Duration mean = Duration::from_milliseconds(10);  // of the W and S delays
  std::vector<Duration> t = {Duration{},
                             Duration::from_milliseconds(1),
                             Duration::from_milliseconds(5),
                             Duration::from_milliseconds(10),
                             Duration::from_milliseconds(20),
                             Duration::from_milliseconds(50)};
  bool curve = true;  // the t-visibility curve, for (N, R, W) = (3, 1, 1)
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("reads", self.reads);
    visit("mean", self.mean);
    visit("t", self.t);
    visit("curve", self.curve);
  }
};

Result<PbsOptions> parse_options(const std::vector<std::string>& assignments) {
  auto parsed = parse_bench_options<PbsOptions>("quorum_kv-pbs", assignments);
  if (!parsed) return parsed;
  PbsOptions& options = *parsed;
  if (options.reads < 1 || options.reads > 100'000'000)
    return fail("--set reads", 0, "must be 1 to 100,000,000");
  if (options.mean <= Duration{}) return fail("--set mean", 0, "must be above 0");
  return parsed;
}

// "n3, n4, n5": the replicas of an N-replica leaderless cluster.
std::string replica_names(std::uint32_t n) {
  std::string names;
  for (std::uint32_t i = 0; i < n; ++i)
    names += (i ? ", n" : "n") + std::to_string(first_replica_node.value + i);
  return names;
}

double choose(std::uint32_t n, std::uint32_t k) {
  if (k > n) return 0;
  double c = 1;
  for (std::uint32_t i = 0; i < k; ++i) c = c * (n - i) / (i + 1);
  return c;
}

}  // namespace

double pbs_stale_probability(std::uint32_t n, std::uint32_t r, std::uint32_t w,
                             double t_over_mean) {
  const double p = std::exp(-t_over_mean);  // a non-quorum replica still lacks the write
  double total = 0;
  for (std::uint32_t s = 0; s <= n - w; ++s)
    total += choose(n - w, s) * std::pow(p, s) * std::pow(1 - p, n - w - s) * choose(s, r) /
             choose(n, r);
  return total;
}

Result<PbsRun> run_pbs(const PbsPoint& point) {
  const std::uint64_t clients = 10;
  const std::uint64_t per_client = (point.reads + clients - 1) / clients;
  // A pair takes about 2 x mean plus t of virtual time; 8 x that leaves room for the tail.
  const std::int64_t pair_ns = 2 * point.mean.nanoseconds + point.t.nanoseconds;
  const std::int64_t until_seconds = std::max<std::int64_t>(
      10, static_cast<std::int64_t>(per_client) * pair_ns * 8 / 1'000'000'000);
  // No request times out: a delay is at most 64 means (Rng::exponential) and a request takes
  // two delays. Not longer, though: every request arms its deadline, and a cancelled deadline
  // stays in the event queue until its time, so the queue holds every deadline of that span.
  const std::int64_t timeout_ns = 4 * 64 * point.mean.nanoseconds;
  const std::string text = fmt::format(
      "name: pbs\nprotocol: quorum_kv\n"
      "cluster:\n  nodes: {nodes}\n  config: {{ mode: leaderless, followers: {followers}, "
      "replication: {n}, read_quorum: {r}, write_quorum: {w}, sloppy_quorum: false, "
      "write_timeout: {timeout}ns, read_timeout: {timeout}ns, anti_entropy_interval: 1h }}\n"
      "network:\n  latency: {{ fixed: 0ms }}\n  links:\n"
      "    - {{ from: n2, to: [{replicas}], latency: {{ exponential: {mean}ns }}, reorder: 1 }}\n"
      "    - {{ from: [{replicas}], to: n0, latency: {{ exponential: {mean}ns }}, reorder: 1 }}\n"
      "workload: {{ clients: {clients}, write_then_read: true, read_delay: {t}ns, "
      "think_time: [0ms, 0ms], requests_per_client: {requests}, duration: 1000h, "
      "request_timeout: {retry}ns }}\n"
      "run: {{ until: {until}s, converge_within: 10s, seed: {seed} }}\n"
      "checks: [acked_writes_stored]\n",
      fmt::arg("nodes", 3 + point.n), fmt::arg("followers", point.n - 1), fmt::arg("n", point.n),
      fmt::arg("r", point.r), fmt::arg("w", point.w), fmt::arg("mean", point.mean.nanoseconds),
      fmt::arg("clients", clients), fmt::arg("t", point.t.nanoseconds),
      fmt::arg("requests", per_client * 2), fmt::arg("seed", point.seed),
      fmt::arg("replicas", replica_names(point.n)), fmt::arg("until", until_seconds),
      fmt::arg("timeout", timeout_ns), fmt::arg("retry", 2 * timeout_ns));
  auto parsed = scenario::parse_scenario(text, "quorum_kv-pbs", QuorumKv::role_names());
  if (!parsed) return std::unexpected(parsed.error());
  auto config = decode_protocol_config<QuorumKv>(
      parsed->config, static_cast<std::uint32_t>(parsed->node_names.size()));
  if (!config) return std::unexpected(config.error());
  const CheckSuite<QuorumKv> suite = check_suite(*config);
  auto loaded = bind_scenario<QuorumKv>(std::move(*parsed), suite);
  if (!loaded) return std::unexpected(loaded.error());
  RunOptions options;
  options.seed = point.seed;
  options.budget.events_max = ~std::uint64_t{0};
  const auto start = Clock::now();
  const RunOutcome outcome = run_simulation(*loaded, suite, options);
  PbsRun run;
  run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  run.events = outcome.events;
  run.passed = outcome.status == RunStatus::passed;
  const auto count = [&](const char* name) {
    const auto it = outcome.metrics.find(name);
    return it == outcome.metrics.end() ? std::uint64_t{0} : it->second.size();
  };
  run.reads = count("read_latency");
  run.stale = count("stale_read");
  return run;
}

int run_pbs_benchmark(const Benchmark::Context& context) {
  auto options = parse_options(context.settings);
  if (!options) {
    context.out << "error: " << options.error().to_string() << "\n";
    return 1;
  }
  context.out << fmt::format(
      "PBS: a write, then a read of it t later; W and S delays exponential, mean {}; {} reads a "
      "row\n{:>3} {:>3} {:>3} {:>8} {:>10} {:>10} {:>8} {:>10} {:>8} {:>10}\n",
      format_duration(options->mean), options->reads, "N", "R", "W", "t", "simulated", "formula",
      "|diff|", "reads", "seconds", "reads/s");
  struct Row {
    std::uint32_t n, r, w;
    Duration t;
  };
  std::vector<Row> rows{{3, 1, 1, {}}, {3, 1, 2, {}}, {3, 2, 2, {}}, {5, 1, 1, {}}, {5, 2, 2, {}}};
  if (options->curve)
    for (const Duration t : options->t)
      if (t > Duration{}) rows.push_back(Row{3, 1, 1, t});
  int status = 0;
  for (const Row& row : rows) {
    auto run = run_pbs(PbsPoint{row.n, row.r, row.w, row.t, options->mean, options->reads, 1});
    if (!run) {
      context.out << "error: " << run.error().to_string() << "\n";
      return 1;
    }
    const double simulated = run->reads ? static_cast<double>(run->stale) / run->reads : 0;
    const double formula = pbs_stale_probability(
        row.n, row.r, row.w,
        static_cast<double>(row.t.nanoseconds) / static_cast<double>(options->mean.nanoseconds));
    context.out << fmt::format(
        "{:>3} {:>3} {:>3} {:>8} {:>10.4f} {:>10.4f} {:>8.4f} {:>10} {:>8.2f} "
        "{:>10.0f}{}\n",
        row.n, row.r, row.w, format_duration(row.t), simulated, formula,
        std::abs(simulated - formula), run->reads, run->seconds, run->reads / run->seconds,
        run->passed ? "" : "  (run FAILED)");
    if (!run->passed) status = 2;
  }
  return status;
}

}  // namespace faultline::quorum_kv
