// bind_scenario(): decodes the protocol-specific parts of a parsed scenario (cluster.config,
// workload, operator inputs) and validates its `checks:` names against the protocol's suite,
// so every error a scenario can contain is found at load time, with its key path and line.
#pragma once

#include <string>
#include <vector>

#include "sim/core/config_tree.h"
#include "sim/core/protocol.h"
#include "sim/core/result.h"
#include "sim/engine/simulation.h"

namespace faultline {

template <Protocol P>
Result<LoadedScenario<P>> bind_scenario(scenario::Scenario parsed, const CheckSuite<P>& suite) {
  LoadedScenario<P> loaded;
  const auto node_count = static_cast<std::uint32_t>(parsed.node_names.size());
  auto config = decode_protocol_config<P>(parsed.config, node_count);
  if (!config) return std::unexpected(config.error());
  loaded.config = std::move(*config);
  auto workload = decode_workload_config<P>(parsed.workload, node_count);
  if (!workload) return std::unexpected(workload.error());
  loaded.workload = std::move(*workload);
  for (std::size_t i = 0; i < parsed.faults.size(); ++i) {
    const auto* input = std::get_if<scenario::OperatorInput>(&parsed.faults[i].action);
    if (input == nullptr) continue;
    typename P::Input decoded{};
    if (auto status = decode_config(input->input, decoded); !status)
      return std::unexpected(status.error());
    loaded.operator_inputs.emplace(i, std::move(decoded));
  }
  std::vector<std::string> known;
  for (const auto& p : suite.properties) known.push_back(p.name);
  for (const auto& h : suite.history_checks) known.push_back(h.name);
  for (std::size_t i = 0; i < parsed.checks.size(); ++i) {
    if (std::find(known.begin(), known.end(), parsed.checks[i]) != known.end()) continue;
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    return fail("checks[" + std::to_string(i) + "]", 0,
                "unknown check '" + parsed.checks[i] + "' (expected one of: " + list + ")");
  }
  loaded.scenario = std::move(parsed);
  return loaded;
}

}  // namespace faultline
