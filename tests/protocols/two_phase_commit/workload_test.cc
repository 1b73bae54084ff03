// The workload: deterministic from its seed, open loop, degradations applied in their windows.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "protocols/two_phase_commit/protocol.h"

namespace faultline::two_phase_commit {
namespace {

struct Submitted {
  Time at;
  NodeId node;
  ClientId client;
  Input input;
  friend bool operator==(const Submitted&, const Submitted&) = default;
};

struct RecordingSink final : WorkloadSink<TwoPhaseCommit> {
  std::vector<Submitted> submitted;
  void submit(Time at, NodeId node, ClientId client, Input input) override {
    submitted.push_back(Submitted{at, node, client, std::move(input)});
  }
  void wake(Time, std::uint64_t) override {
    FAIL("the 2PC workload is open loop: it never asks for a wake");
  }
};

std::vector<Submitted> run_workload(const WorkloadConfig& config, std::uint64_t seed) {
  Workload workload(config, Config{}, 3, Rng(seed));
  RecordingSink sink;
  workload.start(sink);
  return sink.submitted;
}

TEST_CASE("two_phase_commit workload: same seed, same inputs, draws in range") {
  WorkloadConfig config;
  config.duration = Duration::from_seconds(2);
  const auto a = run_workload(config, 7);
  const auto b = run_workload(config, 7);
  const auto c = run_workload(config, 8);
  CHECK(a == b);
  CHECK(a != c);
  std::size_t predicts = 0;
  std::size_t health = 0;
  for (const Submitted& s : a) {
    CHECK(s.node.value < 3);
    if (const auto* p = std::get_if<Predict>(&s.input)) {
      ++predicts;
      CHECK(p->draw < 10'000);
      CHECK(s.client == predict_client);
    } else {
      ++health;
    }
  }
  CHECK(predicts == 399);  // every 5ms in (0, 2s)
  CHECK(health == 6);      // at 0s and 1s, for 3 nodes
}

TEST_CASE("two_phase_commit workload: degradations apply inside their window only") {
  WorkloadConfig config;
  config.duration = Duration::from_seconds(10);
  config.predict_count = 10;
  config.degrade.push_back(Degradation{1, Duration::from_seconds(3), Duration::from_seconds(5),
                                       Duration::from_milliseconds(400), Ratio{5, 100}});
  REQUIRE(config.validate(3).has_value());
  std::size_t predicts = 0;
  for (const Submitted& s : run_workload(config, 1)) {
    if (std::holds_alternative<Predict>(s.input)) {
      ++predicts;
      continue;
    }
    const auto& h = std::get<ObserveHealth>(s.input);
    const bool degraded =
        s.node == NodeId{1} && s.at >= Time{3'000'000'000} && s.at < Time{5'000'000'000};
    INFO("node " << s.node.value << " at " << format_time(s.at));
    CHECK((h.canary_p95_latency == Duration::from_milliseconds(400)) == degraded);
    if (!degraded) CHECK(h.canary_p95_latency <= Duration::from_milliseconds(100));
  }
  CHECK(predicts == 10);
  WorkloadConfig bad = config;
  bad.degrade[0].node = NodeId{3};
  CHECK_FALSE(bad.validate(3).has_value());
}

}  // namespace
}  // namespace faultline::two_phase_commit
