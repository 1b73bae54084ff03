// bind_scenario(): decodes the protocol-specific parts of a parsed scenario (cluster.config,
// workload, operator inputs) and validates its `checks:` and `expect:` names against the
// protocol's suite, so every error a scenario can contain is found at load time, with its key
// path and line (and "did you mean" for a misspelt name).
#pragma once

#include <string>
#include <vector>

#include "sim/core/config_tree.h"
#include "sim/core/protocol.h"
#include "sim/core/result.h"
#include "sim/engine/simulation.h"
#include "sim/scenario/names.h"

namespace faultline {

template <Protocol P>
Result<LoadedScenario<P>> bind_scenario(scenario::Scenario parsed, const CheckSuite<P>& suite) {
  LoadedScenario<P> loaded;
  const auto node_count = static_cast<std::uint32_t>(parsed.node_names.size());
  auto config = decode_protocol_config<P>(parsed.config, node_count);
  if (!config) return std::unexpected(scenario::shorten_values(config.error(), parsed.config));
  loaded.config = std::move(*config);
  auto workload = decode_workload_config<P>(parsed.workload, node_count);
  if (!workload)
    return std::unexpected(scenario::shorten_values(workload.error(), parsed.workload));
  loaded.workload = std::move(*workload);
  for (std::size_t i = 0; i < parsed.faults.size(); ++i) {
    const auto* input = std::get_if<scenario::OperatorInput>(&parsed.faults[i].action);
    if (input == nullptr) continue;
    typename P::Input decoded{};
    if (auto status = decode_config(input->input, decoded); !status)
      return std::unexpected(scenario::shorten_values(status.error(), input->input));
    loaded.operator_inputs.emplace(i, std::move(decoded));
  }
  std::vector<std::string> checks;
  for (const auto& p : suite.properties) checks.push_back(p.name);
  for (const auto& h : suite.history_checks) checks.push_back(h.name);
  if (auto ok = scenario::check_check_names(parsed, checks); !ok)
    return std::unexpected(ok.error());
  // The simulator adds `convergence` (run_checks.h) to every protocol's metrics. A suite that
  // reports metrics without declaring their names (an older protocol of a user's) is trusted.
  std::vector<std::string> metrics = suite.metric_names;
  metrics.push_back("convergence");
  const bool names_declared = !suite.metrics || !suite.metric_names.empty();
  if (auto ok = scenario::check_metric_names(parsed, metrics); !ok && names_declared)
    return std::unexpected(ok.error());
  loaded.scenario = std::move(parsed);
  return loaded;
}

}  // namespace faultline
