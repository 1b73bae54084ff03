#include "protocols/two_phase_commit/workload.h"

#include <algorithm>
#include <limits>

#include "protocols/two_phase_commit/protocol.h"
#include "sim/core/assert.h"

namespace faultline::two_phase_commit {

namespace {

// Inputs are scheduled in [0, duration): about duration / interval of each kind.
Result<void> check_scheduled_inputs(const WorkloadConfig& config, std::uint32_t node_count) {
  const auto per = [&](Duration interval) {
    return static_cast<std::uint64_t>(config.duration.nanoseconds / interval.nanoseconds) + 1;
  };
  const std::uint64_t predicts =
      std::min(per(config.predict_interval),
               config.predict_count.value_or(std::numeric_limits<std::uint64_t>::max()));
  if (predicts > scheduled_inputs_max)
    return fail("predict_interval", 0,
                "schedules " + std::to_string(predicts) + " requests in " +
                    format_duration(config.duration) + "; at most " +
                    std::to_string(scheduled_inputs_max) +
                    " (lengthen predict_interval, shorten duration, or set predict_count)");
  const std::uint64_t observations = per(config.health_interval) * node_count;
  if (observations > scheduled_inputs_max)
    return fail("health_interval", 0,
                "schedules " + std::to_string(observations) + " health observations (" +
                    std::to_string(node_count) + " nodes, " + format_duration(config.duration) +
                    "); at most " + std::to_string(scheduled_inputs_max));
  return {};
}

Result<void> check_script(const std::vector<ScriptedPredict>& script, std::uint32_t node_count) {
  if (script.size() > scheduled_inputs_max)
    return fail("operations", 0,
                "lists " + std::to_string(script.size()) + " predicts; at most " +
                    std::to_string(scheduled_inputs_max));
  for (std::size_t i = 0; i < script.size(); ++i) {
    const ScriptedPredict& p = script[i];
    const std::string where = "operations[" + std::to_string(i) + "]";
    if (p.node.value >= node_count)
      return fail(where + ".node", 0,
                  "node " + std::to_string(p.node.value) + " is outside the cluster");
    if (p.draw >= basis_points_total)
      return fail(where + ".draw", 0, "must be below 10000, got " + std::to_string(p.draw));
    if (p.at < Duration{}) return fail(where + ".at", 0, "must not be negative");
    if (i > 0 && p.at < script[i - 1].at)
      return fail(where + ".at", 0, "is before the previous predict's (keep the list in order)");
    if (i > 0 && p.request_id <= script[i - 1].request_id)
      return fail(where + ".request_id", 0, "must be above the previous predict's");
  }
  return {};
}

}  // namespace

Result<void> WorkloadConfig::validate(std::uint32_t node_count) const {
  if (predict_interval < predict_interval_floor)
    return fail("predict_interval", 0,
                "must be at least " + format_duration(predict_interval_floor) + ", got " +
                    format_duration(predict_interval));
  if (health_interval < timer_floor)
    return fail("health_interval", 0,
                "must be at least " + format_duration(timer_floor) + ", got " +
                    format_duration(health_interval));
  if (auto ok = check_scheduled_inputs(*this, node_count); !ok) return ok;
  if (operations)
    if (auto ok = check_script(*operations, node_count); !ok) return ok;
  if (p95_jitter > p95_latency) return fail("p95_jitter", 0, "must not exceed p95_latency");
  if (error_rate.denominator == 0 || error_rate.numerator > error_rate.denominator)
    return fail("error_rate", 0, "must be a probability");
  for (std::size_t i = 0; i < degrade.size(); ++i) {
    const std::string where = "degrade[" + std::to_string(i) + "]";
    if (degrade[i].node.value >= node_count)
      return fail(where + ".node", 0,
                  "node " + std::to_string(degrade[i].node.value) + " is outside the cluster");
    if (degrade[i].until < degrade[i].from)
      return fail(where + ".until", 0, "ends before it starts");
  }
  return {};
}

Workload::Workload(const WorkloadConfig& config, const Config&, std::uint32_t node_count, Rng rng)
    : config_(config),
      node_count_(node_count),
      predict_rng_(rng.fork("predict")),
      health_rng_(rng.fork("health")) {
  FL_ASSERT(node_count >= 1, "a cluster has nodes");
  // validate() reports a bad config at load time; should a driver skip it, fall back to what
  // the config can still mean instead of crashing on user input.
  std::erase_if(config_.degrade, [&](const Degradation& d) { return d.node.value >= node_count; });
  if (config_.p95_jitter > config_.p95_latency) config_.p95_jitter = config_.p95_latency;
  if (config_.error_rate.denominator == 0) config_.error_rate = Ratio::zero();
  if (config_.operations)
    std::erase_if(*config_.operations, [&](const ScriptedPredict& p) {
      return p.node.value >= node_count || p.draw >= basis_points_total;
    });
  FL_ASSERT(config_.p95_jitter <= config_.p95_latency, "jitter never makes a latency negative");
}

ObserveHealth Workload::observation(NodeId node, Time at) {
  FL_ASSERT(node.value < node_count_, "an observation at a node of the cluster");
  for (const Degradation& d : config_.degrade) {
    const Time from{d.from.nanoseconds};
    const Time until{d.until.nanoseconds};
    if (d.node == node && from <= at && at < until)
      return ObserveHealth{d.p95_latency, d.error_rate};
  }
  const std::int64_t jitter = config_.p95_jitter.nanoseconds;
  const Duration p95 = config_.p95_latency + Duration{health_rng_.between(-jitter, jitter)};
  FL_ASSERT(p95 >= Duration{}, "a latency is never negative");
  return ObserveHealth{p95, config_.error_rate};
}

void Workload::start(WorkloadSink<TwoPhaseCommit>& sink) {
  if (config_.health_interval <= Duration{} || config_.predict_interval <= Duration{})
    return;  // invalid: no inputs
  end_ = Time{config_.duration.nanoseconds};
  next_round_ = Time{};
  next_predict_ = Time{} + config_.predict_interval;
  submit_observations(sink);
  submit_predicts(sink);
}

bool Workload::predicts_left() const {
  if (config_.operations) return script_next_ < config_.operations->size();
  return next_predict_ < end_ &&
         (!config_.predict_count || next_request_id_ <= *config_.predict_count);
}

ScriptedPredict Workload::next_predict() {
  FL_ASSERT(predicts_left(), "a predict is left");
  if (config_.operations) return (*config_.operations)[script_next_++];
  const auto node = static_cast<std::uint32_t>(predict_rng_.below(node_count_));
  const auto draw = static_cast<std::uint32_t>(predict_rng_.below(basis_points_total));
  const ScriptedPredict drawn{Duration{next_predict_.nanoseconds}, NodeId{node}, next_request_id_++,
                              draw};
  next_predict_ = next_predict_ + config_.predict_interval;
  return drawn;
}

void Workload::submit_predicts(WorkloadSink<TwoPhaseCommit>& sink) {
  Time last;
  for (std::uint64_t i = 0; i < input_batch && predicts_left(); ++i) {
    const ScriptedPredict p = next_predict();
    FL_ASSERT(p.node.value < node_count_, "a request goes to a node of the cluster");
    FL_ASSERT(p.draw < basis_points_total, "a routing draw is in [0, 10000)");
    last = Time{} + p.at;
    sink.submit(last, p.node, predict_client, Predict{p.request_id, p.draw});
    if (issued_.size() < scripted_predicts_max)
      issued_.push_back(p);
    else
      issued_overflow_ = true;
  }
  if (predicts_left()) sink.wake(last, predict_wake);
}

std::optional<WorkloadScript> Workload::script(Time end) const {
  if (issued_overflow_) return std::nullopt;
  std::vector<ScriptedPredict> sent;  // submitted ahead of time: keep what the run reached
  for (const ScriptedPredict& p : issued_)
    if (Time{} + p.at <= end) sent.push_back(p);
  return WorkloadScript{encode_config(sent), {"predict_interval", "predict_count"}};
}

void Workload::submit_observations(WorkloadSink<TwoPhaseCommit>& sink) {
  // Whole rounds (one observation per node), about input_batch observations in all.
  const std::uint64_t rounds = std::max<std::uint64_t>(1, input_batch / node_count_);
  Time last = next_round_;
  for (std::uint64_t r = 0; r < rounds && next_round_ < end_; ++r) {
    for (std::uint32_t i = 0; i < node_count_; ++i)
      sink.submit(next_round_, NodeId{i}, health_client, observation(NodeId{i}, next_round_));
    last = next_round_;
    next_round_ = next_round_ + config_.health_interval;
  }
  if (next_round_ < end_) sink.wake(last, health_wake);
}

void Workload::on_wake(Time, std::uint64_t token, WorkloadSink<TwoPhaseCommit>& sink) {
  FL_ASSERT(token == predict_wake || token == health_wake, "a wake-up this workload asked for");
  if (token == predict_wake)
    submit_predicts(sink);
  else
    submit_observations(sink);
}

void Workload::on_output(Time, NodeId, const Output&, WorkloadSink<TwoPhaseCommit>&) {
  // Open loop: inputs do not depend on what the nodes answer.
}

}  // namespace faultline::two_phase_commit
