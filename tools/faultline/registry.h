// The protocol registry: the one place that knows every protocol, so the command line, the
// scenario tests and the benchmarks load and run any scenario file the same way.
//
// load_scenario_file() reads a file, picks the protocol from its `protocol:` key, parses and
// validates the whole scenario (including the protocol's own config, workload and inputs),
// applies `--set` overrides, and returns a runner bound to it. Every error names the file, the
// key path and the line.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "sim/core/result.h"
#include "sim/engine/simulation.h"

namespace faultline::cli {

struct BoundScenario {
  std::string path;
  std::string protocol;
  scenario::Scenario scenario;           // as parsed (for names, node count, run spec)
  std::vector<std::string> check_names;  // every check the protocol offers
  std::function<RunOutcome(const RunOptions&)> run;
};

struct ProtocolEntry {
  std::string name;
  std::vector<std::string> role_names;
  std::function<Result<BoundScenario>(scenario::Scenario)> bind;
};

const std::vector<ProtocolEntry>& protocols();

// Overrides are "key=value" for cluster.config or "workload.key=value" for the workload.
Result<BoundScenario> load_scenario_file(const std::string& path,
                                         const std::vector<std::string>& overrides = {});

}  // namespace faultline::cli
