#include "checkers/two_phase_commit/binding.h"

#include <string>

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
  };
}

}  // namespace faultline::two_phase_commit
