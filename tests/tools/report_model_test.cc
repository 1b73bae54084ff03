// The run report's data (tools/faultline/report_model.h, sweep_report.h): the log histogram
// against exact sorted samples, the timeline built from a trace (roles, outages, fault windows,
// messages in flight), operations paired from a history, and the sweep's counts and caps.
#include <algorithm>
#include <vector>

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "sim/engine/stats.h"
#include "tools/faultline/report_model.h"
#include "tools/faultline/sweep_report.h"

namespace {

using namespace faultline;
using namespace faultline::cli;

TEST_CASE("the log histogram's ranks are within 1.6% above the exact ones, min and max exact",
          "[report]") {
  rc::prop("any durations", [](const std::vector<std::uint32_t>& raw) {
    RC_PRE(!raw.empty());
    LogHistogram histogram;
    std::vector<std::int64_t> sorted;
    for (const std::uint32_t r : raw) {
      const std::int64_t v = static_cast<std::int64_t>(r) * 37;  // up to ~1.6e11 ns
      histogram.add(v);
      sorted.push_back(v);
    }
    std::sort(sorted.begin(), sorted.end());
    RC_ASSERT(histogram.count() == sorted.size());
    RC_ASSERT(histogram.min() == sorted.front());
    RC_ASSERT(histogram.max() == sorted.back());
    for (std::size_t rank = 0; rank < sorted.size(); ++rank) {
      const std::int64_t got = histogram.at_rank(rank);
      RC_ASSERT(got >= sorted[rank]);
      RC_ASSERT(got - sorted[rank] <= sorted[rank] / 64);
    }
    // Percentiles follow the text summary's nearest-rank rule (stats.h), to the bucket.
    std::vector<Duration> durations;
    for (const std::int64_t v : sorted) durations.push_back(Duration{v});
    for (const std::uint32_t permille : {0u, 500u, 900u, 990u, 1000u}) {
      const std::int64_t exact = percentile_sorted(durations, permille).nanoseconds;
      const std::int64_t got = histogram.percentile(std::uint64_t{permille} * 1000);
      RC_ASSERT(got >= exact);
      RC_ASSERT(got - exact <= exact / 64);
    }
  });
}

TraceEvent event(std::int64_t ns, std::string_view kind, std::string_view node,
                 std::string text = "", std::uint64_t message = 0) {
  return TraceEvent{Time{ns}, kind, node, "", std::move(text), message};
}

FaultRecord fault(std::int64_t ns, FaultRecord::Kind kind, std::vector<NodeId> nodes = {},
                  std::string text = "") {
  return FaultRecord{Time{ns}, kind, std::move(nodes), std::move(text), {}};
}

TEST_CASE("the timeline: roles from the trace, outages and cuts from the fault log", "[report]") {
  using Kind = FaultRecord::Kind;
  RunTimelineCollector collector({"n0", "n1"}, nullptr);
  collector.record(event(0, "role", "n0", "follower"));
  collector.record(event(0, "role", "n1", "follower"));
  collector.record(event(100, "role", "n0", "leader"));
  collector.record(event(150, "send", "n0", "", 1));
  collector.record(event(150, "send", "n0", "", 2));
  collector.record(event(160, "deliver", "n1", "", 1));
  collector.record(event(300, "crash", "n0", "crash n0 (leader)"));
  collector.record(event(500, "role", "n0", "follower"));
  collector.record(event(550, "clog", "", "clog {n0} -> {n1} for 20ns"));
  const std::vector<FaultRecord> faults = {fault(200, Kind::partition, {}, "isolate {n0}"),
                                           fault(300, Kind::crash, {NodeId{0}}),
                                           fault(350, Kind::pause, {NodeId{1}}),
                                           fault(400, Kind::heal),
                                           fault(450, Kind::resume, {NodeId{1}}),
                                           fault(500, Kind::restart, {NodeId{0}}),
                                           fault(560, Kind::partition, {}, "partition"),
                                           fault(580, Kind::liveness_start)};
  const RunTimeline t = std::move(collector).finish(Time{600}, faults);

  REQUIRE(t.roles.size() == 4);
  CHECK((t.roles[0].label == "follower" && t.roles[0].end_ns == 100));
  CHECK((t.roles[1].label == "leader" && t.roles[1].begin_ns == 100 && t.roles[1].end_ns == 300));
  CHECK((t.roles[2].node == 0 && t.roles[2].begin_ns == 500 && t.roles[2].end_ns == 600));
  CHECK((t.roles[3].node == 1 && t.roles[3].end_ns == 600));
  REQUIRE(t.outages.size() == 2);
  CHECK(
      (t.outages[0].label == "down" && t.outages[0].begin_ns == 300 && t.outages[0].end_ns == 500));
  CHECK((t.outages[1].label == "paused" && t.outages[1].end_ns == 450));
  REQUIRE(t.faults.size() == 3);
  CHECK((t.faults[0].begin_ns == 550 && t.faults[0].end_ns == 570));  // the clog
  CHECK((t.faults[1].begin_ns == 200 && t.faults[1].end_ns == 400 &&
         t.faults[1].label == "isolate {n0}"));
  CHECK((t.faults[2].begin_ns == 560 && t.faults[2].end_ns == 580));  // the liveness phase heals
  REQUIRE(t.in_flight.size() == 2);
  CHECK((t.in_flight[0].time_ns == 150 && t.in_flight[0].value == 2));
  CHECK((t.in_flight[1].time_ns == 160 && t.in_flight[1].value == 1));
}

TEST_CASE("gauges keep change points only, per node", "[report]") {
  RunTimelineCollector collector({"n0", "n1"}, nullptr);
  collector.gauges_of(0, 10).gauge("term", 1);
  collector.gauges_of(1, 10).gauge("term", 1);
  collector.gauges_of(0, 20).gauge("term", 1);  // unchanged: no sample
  collector.gauges_of(0, 30).gauge("term", 2);
  const RunTimeline t = std::move(collector).finish(Time{40}, {});
  REQUIRE(t.gauges.size() == 1);
  REQUIRE(t.gauges[0].samples.size() == 3);
  CHECK((t.gauges[0].samples[2].time_ns == 30 && t.gauges[0].samples[2].value == 2));
}

struct ToyProtocol {
  using Input = int;    // a request id; negative: not a client call
  using Output = long;  // request id * 10 + outcome (0 ok, 1 failed, 2 no answer)
};

struct ToyMapping {
  std::optional<ReportCall> call(int input) const {
    if (input < 0) return std::nullopt;
    return ReportCall{static_cast<std::uint64_t>(input), "toy"};
  }
  std::optional<ReportReply> reply(long output) const {
    using Outcome = ReportOperation::Outcome;
    const Outcome outcome = output % 10 == 0   ? Outcome::ok
                            : output % 10 == 1 ? Outcome::failed
                                               : Outcome::unknown;
    return ReportReply{static_cast<std::uint64_t>(output / 10), outcome};
  }
};

TEST_CASE("operations pair the first invocation with the first definite answer", "[report]") {
  History<ToyProtocol> history;
  const auto invoke = [&](std::int64_t at, int input) {
    history.invocations.push_back(Invocation<ToyProtocol>{Time{at}, NodeId{0}, ClientId{1}, input});
  };
  const auto emit = [&](std::int64_t at, long output) {
    history.emissions.push_back(Emission<ToyProtocol>{Time{at}, NodeId{0}, output});
  };
  invoke(10, 1), invoke(20, 2), invoke(30, 3), invoke(35, -1), invoke(40, 1);  // 1 retried
  emit(50, 12);  // no answer to 1: it goes on
  emit(60, 10);  // 1 ok
  emit(70, 11);  // a later answer to 1: ignored
  emit(80, 21);  // 2 failed
  const auto ops = pair_report_operations(history, ToyMapping{});
  REQUIRE(ops.size() == 3);
  CHECK((ops[0].invoked_ns == 10 && ops[0].answered_ns == 60 &&
         ops[0].outcome == ReportOperation::Outcome::ok));
  CHECK((ops[1].answered_ns == 80 && ops[1].outcome == ReportOperation::Outcome::failed));
  CHECK(ops[2].outcome == ReportOperation::Outcome::unknown);
}

RunOutcome outcome_of(std::uint64_t seed, RunStatus status, std::int64_t failover_ns) {
  RunOutcome o;
  o.seed = seed;
  o.status = status;
  o.metrics["failover"] = {Duration{failover_ns}};
  o.verdicts.push_back(CheckVerdict{"safe", "always", status == RunStatus::passed, "", true});
  return o;
}

TEST_CASE("a sweep counts checks, keeps the slowest seeds and caps the failing list", "[report]") {
  SweepAccumulator sweep(
      1, 300, [](std::uint64_t seed, std::uint64_t) { return "repro " + std::to_string(seed); });
  for (std::uint64_t seed = 1; seed <= 300; ++seed)
    sweep.add(outcome_of(seed, seed % 2 == 0 ? RunStatus::safety_violation : RunStatus::passed,
                         static_cast<std::int64_t>(seed % 7) * 1000));
  const SweepReport report = std::move(sweep).finish({});
  REQUIRE(report.checks.size() == 1);
  CHECK((report.checks[0].passed == 150 && report.checks[0].failed == 150));
  CHECK(report.checks[0].first_failing_seed == 2);
  CHECK(report.failing_total == 150);
  CHECK(report.failing.size() == SweepAccumulator::failing_max);
  const MetricDistribution& failover = report.metrics.at("failover");
  CHECK(failover.histogram.count() == 300);
  REQUIRE(failover.slowest.size() == SweepAccumulator::slowest_max);
  CHECK((failover.slowest[0].seed == 6 && failover.slowest[0].value_ns == 6000));
  CHECK(failover.slowest[1].seed == 13);  // ties: the smaller seed first
  CHECK(failover.slowest[0].repro == "repro 6");
}

}  // namespace
