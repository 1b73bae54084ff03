#include "checkers/two_phase_commit/binding.h"

#include <string>
#include <tuple>

#include "sim/scenario/limits.h"

namespace faultline::two_phase_commit {

ObserveHealth healthy_observation() {
  return ObserveHealth{Duration::from_milliseconds(80), Ratio{1, 500}};
}

ObserveHealth sick_observation() {
  return ObserveHealth{Duration::from_milliseconds(400), Ratio{5, 100}};
}

Result<void> ModelOptions::validate(std::uint32_t node_count) const {
  for (std::uint32_t node : degrade)
    if (node >= node_count)
      return fail("degrade", 0, "node " + std::to_string(node) + " is outside the cluster");
  return {};
}

Result<Model> Binding::model(const Config& config, std::uint32_t node_count,
                             const ModelOptions& options) {
  Model model;
  model.config = config;
  model.node_count = node_count;
  model.boot_inputs.assign(node_count, {Input{healthy_observation()}});
  for (std::uint32_t node : options.degrade)
    model.model_inputs.emplace_back(NodeId{node}, Input{sick_observation()});
  return model;
}

std::optional<Model::Symmetry> Binding::symmetry(const Model& model) {
  if (!model.model_inputs.empty()) return std::nullopt;
  Model::Symmetry symmetry;
  for (std::uint32_t i = 1; i < model.node_count; ++i) symmetry.nodes.push_back(i);
  symmetry.rename = [](const Node& node, std::span<const NodeId> ids) { return node.renamed(ids); };
  return symmetry;
}

std::vector<Benchmark> Binding::benchmarks() {
  return {
      Benchmark{"two_phase_commit", Benchmark::Group::engine, "2PC canary rollout",
                "scenarios/two_phase_commit/canary_rollout.yaml"},
      Benchmark{"two_phase_commit-check", Benchmark::Group::check,
                "model checker on 2PC beside SPIN (bench/spin)", "", &run_check_benchmark},
      Benchmark{"two_phase_commit-check-large", Benchmark::Group::alone,
                "model checker on 2PC from 382 to 16 M states, then SPIN on the 16 M-state "
                "space (minutes; about 4 GiB)",
                "", &run_large_check_benchmark},
  };
}

// ---- scenario lint ------------------------------------------------------------------------

Result<scenario::Warnings> Binding::lint(const scenario::Scenario& scenario, const Config& config,
                                         const WorkloadConfig&) {
  scenario::Warnings warnings;
  if (scenario.node_names.size() < 2 || stage_weights_bps(config).empty()) return warnings;
  const Duration round_trip = scenario::shortest_latency(scenario) * 2;
  const std::tuple<std::string_view, Duration, std::string_view> timeouts[] = {
      {"prepare_timeout", config.prepare_timeout,
       "every prepare times out before a vote can arrive, so every stage aborts"},
      {"decision_retry", config.decision_retry,
       "the coordinator resends every decision before an ack can arrive"},
      {"query_interval", config.query_interval,
       "an in-doubt participant asks before the decision can arrive"}};
  for (const auto& [key, timeout, consequence] : timeouts)
    if (timeout < round_trip)
      warnings.push_back(
          scenario::key_error(scenario.config, key,
                              std::string(key) + " " + format_duration(timeout) +
                                  " is shorter than the network's shortest round trip (" +
                                  format_duration(round_trip) + "): " + std::string(consequence)));
  return warnings;
}

namespace {

// Why no participant can stay in doubt for query_interval, or nullopt when one may.
std::optional<std::string> why_never_blocked(const scenario::Scenario& scenario,
                                             const Config& config) {
  if (scenario::has_network_or_node_fault(scenario) || scenario::network_misbehaves(scenario))
    return std::nullopt;
  const auto longest = scenario::longest_latency(scenario);
  if (!longest || *longest * 4 >= config.query_interval) return std::nullopt;
  return "no fault, no nemesis, no lost, duplicated or reordered message, and the longest "
         "one-way latency " +
         format_duration(*longest) + " is under a quarter of query_interval (" +
         format_duration(config.query_interval) + "), so no participant ever blocks";
}

}  // namespace

std::optional<std::string> Binding::why_no_samples(std::string_view metric,
                                                   const scenario::Scenario& scenario,
                                                   const Config& config, const WorkloadConfig&) {
  if (stage_weights_bps(config).empty())
    return "the config has no rollout stage, so no transaction begins";
  const Duration run = scenario.run.until + scenario.run.converge_within;
  if (config.stage_interval > run)
    return "the first stage begins at stage_interval (" + format_duration(config.stage_interval) +
           "), after the run ends (" + format_duration(run) + ")";
  const bool needs_participant = metric == "stage_duration" || metric == "blocked_time";
  if (needs_participant && scenario.node_names.size() < 2)
    return "a cluster of one node has no participants";
  if (metric == "blocked_time") return why_never_blocked(scenario, config);
  return std::nullopt;
}

namespace {

struct PredictMapping {
  std::optional<cli::ReportCall> call(const Input& input) const {
    const auto* predict = std::get_if<Predict>(&input);
    if (predict == nullptr) return std::nullopt;
    return cli::ReportCall{predict->request_id, "predict"};
  }
  std::optional<cli::ReportReply> reply(const Output& output) const {
    const auto* served = std::get_if<PredictServed>(&output);
    if (served == nullptr) return std::nullopt;
    return cli::ReportReply{served->request_id, cli::ReportOperation::Outcome::ok};
  }
};

}  // namespace

std::vector<cli::ReportOperation> Binding::report_operations(
    const History<TwoPhaseCommit>& history) {
  return cli::pair_report_operations(history, PredictMapping{});
}

void Binding::report_gauges(const Node& node, cli::ReportGaugeSink& sink) {
  sink.gauge("canary weight (basis points)", node.committed_state().canary_weight_bps);
  sink.gauge("committed routing version",
             static_cast<std::int64_t>(node.committed_state().version));
}

}  // namespace faultline::two_phase_commit
