// The workload: deterministic from its seed, open loop, degradations applied in their windows,
// inputs submitted in batches ahead of their time (each batch's last input wakes it for the next).
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

// Records inputs, and runs the wake-ups the workload asks for in time order, as a simulator
// would: `now` is the time of the wake-up being handled.
struct RecordingSink final : WorkloadSink<TwoPhaseCommit> {
  std::vector<Submitted> submitted;
  std::vector<std::pair<Time, std::uint64_t>> wakes;  // asked for, not yet run
  std::uint64_t wakes_run = 0;
  bool submitted_late = false;  // an input for a time before the wake-up that submitted it
  Time now;
  void submit(Time at, NodeId node, ClientId client, Input input) override {
    if (at < now) submitted_late = true;
    submitted.push_back(Submitted{at, node, client, std::move(input)});
  }
  void wake(Time at, std::uint64_t token) override { wakes.emplace_back(at, token); }

  void run(Workload& workload) {
    workload.start(*this);
    while (!wakes.empty()) {
      const auto next = std::min_element(wakes.begin(), wakes.end(),
                                         [](auto& a, auto& b) { return a.first < b.first; });
      const auto [at, token] = *next;
      wakes.erase(next);
      now = at;
      ++wakes_run;
      workload.on_wake(at, token, *this);
    }
  }
};

std::vector<Submitted> run_workload(const WorkloadConfig& config, std::uint64_t seed) {
  Workload workload(config, Config{}, 3, Rng(seed));
  RecordingSink sink;
  sink.run(workload);
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

TEST_CASE("two_phase_commit workload: batches submit every input ahead of its time") {
  WorkloadConfig config;
  config.duration = Duration::from_seconds(10);
  config.predict_interval = Duration::from_microseconds(100);
  config.health_interval = Duration::from_milliseconds(1);
  REQUIRE(config.validate(3).has_value());
  Workload workload(config, Config{}, 3, Rng(5));
  RecordingSink sink;
  sink.run(workload);
  const std::vector<Submitted>& inputs = sink.submitted;
  CHECK_FALSE(sink.submitted_late);
  // 99,999 predicts in 10 batches; 10,000 rounds of 3 observations, 3,333 rounds a batch.
  CHECK(sink.wakes_run == 9 + 3);
  // The draws are those of an up-front schedule: node then draw from the predict stream, in
  // request order, one request every interval.
  Rng predict_rng = Rng(5).fork("predict");
  std::uint64_t request_id = 0;
  std::size_t observations = 0;
  for (const Submitted& s : inputs) {
    const auto* p = std::get_if<Predict>(&s.input);
    if (p == nullptr) {
      CHECK(s.at == Time{} + config.health_interval * static_cast<std::int64_t>(observations / 3));
      CHECK(s.node.value == observations % 3);
      ++observations;
      continue;
    }
    ++request_id;
    INFO("request " << request_id);
    REQUIRE(p->request_id == request_id);
    CHECK(s.at == Time{} + config.predict_interval * static_cast<std::int64_t>(request_id));
    CHECK(s.node.value == predict_rng.below(3));
    CHECK(p->draw == predict_rng.below(basis_points_total));
  }
  CHECK(request_id == 99'999);
  CHECK(observations == 30'000);
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
