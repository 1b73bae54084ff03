// The canary rollout's environment: prediction traffic and per-node health observations.
//
// The workload, unlike nodes, sees time and owns an Rng stream. Everything is open loop:
// `Predict` requests every predict_interval, each to a node and with a routing draw in
// [0, 10000) taken from the Rng; and every health_interval one `ObserveHealth` per node, healthy
// baseline plus jitter, except inside a `degrade` window.
//
// Inputs are submitted in batches of about input_batch, not all up front: a run of 990,000
// predicts would otherwise hold them all as pending events from its start (474 MB, 3 s before
// the first event). start() submits each stream's first batch, and asks for a wake-up at the
// time of the batch's last input, which submits the next one; so at most about two batches of
// each stream are pending. A run whose inputs fit in one batch schedules exactly what an
// up-front schedule would, in the same order (health observations, then predicts).
// Scripted predicts: with `operations` set, the predicts are exactly that list (each with its
// time, node, request id and routing draw) and predict_interval and predict_count mean
// nothing; health observations are still drawn (they are the environment, not client
// operations). script() reports the predicts a run submitted in that form, so a shrunk capsule
// lists them explicitly.
// Invariants: the same seed and config give the same inputs, in the same order; each stream
// draws from its own Rng in input order, so batching changes no input; the config with
// script() set as `operations` submits the same predicts.
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

// Every input is an invocation the run's history keeps (and a predict an output too), so their
// number is bounded. Predict traffic is a load, not a timer, so it may be faster than
// timer_floor, down to predict_interval_floor.
inline constexpr std::uint64_t scheduled_inputs_max = 1'000'000;  // predicts, and observations
inline constexpr Duration predict_interval_floor = Duration::from_microseconds(100);
// Inputs per batch of each stream (see the banner): more than any bundled scenario's, so those
// run as with an up-front schedule.
inline constexpr std::uint64_t input_batch = 10'000;
// Predicts a run records for script(): a run that submits more reports no script (a capsule that
// long would not be read).
inline constexpr std::size_t scripted_predicts_max = 100'000;

// One predict of a script (`workload.operations`).
struct ScriptedPredict {
  static constexpr std::string_view type_name = "ScriptedPredict";
  Duration at;  // from the start of the run
  NodeId node;  // a plain node index, as in `degrade`
  std::uint64_t request_id = 0;
  std::uint32_t draw = 0;  // the routing draw, in [0, 10000)
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("at", self.at);
    visit("node", self.node);
    visit("request_id", self.request_id);
    visit("draw", self.draw);
  }
  friend bool operator==(const ScriptedPredict&, const ScriptedPredict&) = default;
};

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
  // Scripted predicts (see the banner): times in order, request ids increasing.
  std::optional<std::vector<ScriptedPredict>> operations;
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
    visit("operations", self.operations);
  }
  friend bool operator==(const WorkloadConfig&, const WorkloadConfig&) = default;

  // predict_interval at least predict_interval_floor, health_interval at least timer_floor, at
  // most scheduled_inputs_max predicts and as many health observations, jitter at most the
  // baseline, degrade nodes inside the cluster; scripted predicts at most scheduled_inputs_max,
  // to nodes of the cluster, draws below 10000, times in order and request ids increasing.
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
  // The wake-up at the last input of a batch: submits that stream's next batch.
  void on_wake(Time now, std::uint64_t token, WorkloadSink<TwoPhaseCommit>& sink);

  // The observation node `node` makes at `at` (exposed for tests).
  ObserveHealth observation(NodeId node, Time at);
  std::optional<WorkloadScript> script(Time end) const;

 private:
  // Wake-up tokens: which stream's next batch is due.
  static constexpr std::uint64_t predict_wake = 0;
  static constexpr std::uint64_t health_wake = 1;

  void submit_predicts(WorkloadSink<TwoPhaseCommit>& sink);
  void submit_observations(WorkloadSink<TwoPhaseCommit>& sink);
  bool predicts_left() const;
  ScriptedPredict next_predict();  // the next predict, drawn or from the script

  WorkloadConfig config_;
  std::uint32_t node_count_;
  Rng predict_rng_;
  Rng health_rng_;
  Time end_;           // inputs are in [0, end_)
  Time next_predict_;  // the time of the next predict not yet submitted
  std::uint64_t next_request_id_ = 1;
  Time next_round_;                      // the time of the next health round not yet submitted
  std::size_t script_next_ = 0;          // scripted: the next predict of the list
  std::vector<ScriptedPredict> issued_;  // every predict submitted, for script()
  bool issued_overflow_ = false;         // more than scripted_predicts_max: no script
};

}  // namespace faultline::two_phase_commit
