// The canary rollout's environment: prediction traffic and per-node health observations.
//
// The workload, unlike nodes, sees time and owns an Rng stream. Everything is open loop and
// scheduled up front in start(): `Predict` requests every predict_interval, each to a node and
// with a routing draw in [0, 10000) taken from the Rng; and every health_interval one
// `ObserveHealth` per node, healthy baseline plus jitter, except inside a `degrade` window.
// Invariant: the same seed and config give the same inputs, in the same order.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "protocols/two_phase_commit/types.h"
#include "sim/core/ids.h"
#include "sim/core/rng.h"
#include "sim/core/workload.h"

namespace faultline::two_phase_commit {

struct TwoPhaseCommit;

// A window in which one node observes a sick canary.
struct Degradation {
  static constexpr std::string_view type_name = "Degradation";
  NodeId node;  // a plain node index in a scenario (`node: 1`); n0 is the coordinator
  Duration from;
  Duration until = Duration::from_seconds(1'000'000);
  Duration p95_latency = Duration::from_milliseconds(400);
  Ratio error_rate{5, 100};
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("node", self.node);
    visit("from", self.from);
    visit("until", self.until);
    visit("p95_latency", self.p95_latency);
    visit("error_rate", self.error_rate);
  }
  friend bool operator==(const Degradation&, const Degradation&) = default;
};

// The workload schedules every input up front, so their number is bounded: each is an event
// waiting in the simulator's queue from the start. Predict traffic is a load, not a timer, so it
// may be faster than timer_floor, down to predict_interval_floor.
inline constexpr std::uint64_t scheduled_inputs_max = 1'000'000;  // predicts, and observations
inline constexpr Duration predict_interval_floor = Duration::from_microseconds(100);

struct WorkloadConfig {
  static constexpr std::string_view type_name = "WorkloadConfig";
  Duration duration = Duration::from_seconds(30);  // inputs are scheduled in [0, duration)
  Duration predict_interval =
      Duration::from_milliseconds(5);                      // one request per interval, cluster-wide
  std::optional<std::uint64_t> predict_count;              // stop after this many requests
  Duration health_interval = Duration::from_seconds(1);    // per node, first at time 0
  Duration p95_latency = Duration::from_milliseconds(80);  // healthy baseline
  Duration p95_jitter = Duration::from_milliseconds(20);   // baseline +- up to this
  Ratio error_rate{1, 500};                                // healthy baseline (0.2%)
  std::vector<Degradation> degrade;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("duration", self.duration);
    visit("predict_interval", self.predict_interval);
    visit("predict_count", self.predict_count);
    visit("health_interval", self.health_interval);
    visit("p95_latency", self.p95_latency);
    visit("p95_jitter", self.p95_jitter);
    visit("error_rate", self.error_rate);
    visit("degrade", self.degrade);
  }
  friend bool operator==(const WorkloadConfig&, const WorkloadConfig&) = default;

  // predict_interval at least predict_interval_floor, health_interval at least timer_floor, at
  // most scheduled_inputs_max predicts and as many health observations, jitter at most the
  // baseline, degrade nodes inside the cluster.
  Result<void> validate(std::uint32_t node_count) const;
};

inline constexpr ClientId predict_client{0};
inline constexpr ClientId health_client{1};

class Workload : public WorkloadDefaults<TwoPhaseCommit> {
 public:
  Workload(const WorkloadConfig& config, const Config& protocol_config, std::uint32_t node_count,
           Rng rng);
  void start(WorkloadSink<TwoPhaseCommit>& sink);
  void on_output(Time now, NodeId node, const Output& output, WorkloadSink<TwoPhaseCommit>& sink);

  // The observation node `node` makes at `at` (exposed for tests).
  ObserveHealth observation(NodeId node, Time at);

 private:
  WorkloadConfig config_;
  std::uint32_t node_count_;
  Rng predict_rng_;
  Rng health_rng_;
};

}  // namespace faultline::two_phase_commit
