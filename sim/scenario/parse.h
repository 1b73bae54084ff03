// Scenario parsing: YAML text -> Scenario, with errors that name the file, key path and line.
//
// Never crashes or hangs on any input: malformed YAML, unknown keys, wrong types, negative
// durations, probabilities over 1, unknown node names (that are not plausible role names),
// empty partitions and times past the end of the run are all errors. Protocol-specific parts
// are returned as ConfigTree for the protocol binding to decode.
#pragma once

#include <string>
#include <string_view>

#include "sim/core/config_tree.h"
#include "sim/core/result.h"
#include "sim/scenario/scenario.h"

namespace faultline::scenario {

// Parses YAML text into a ConfigTree (every node carries its key path and 1-based line).
// `origin` names the source in errors ("scenarios/x.yaml").
Result<ConfigTree> parse_yaml(std::string_view text, std::string_view origin);

// Parses and validates a scenario. Role names the protocol accepts as node selectors
// (e.g. {"coordinator", "participant"}) are checked here too.
Result<Scenario> parse_scenario(std::string_view text, std::string_view origin,
                                const std::vector<std::string>& role_names);
Result<Scenario> load_scenario(const std::string& path, const std::vector<std::string>& role_names);

// Reads only the `protocol:` key, so the caller can pick the binding before a full parse.
Result<std::string> peek_protocol(std::string_view text, std::string_view origin);

// Applies `key.path=value` overrides (from --set) to a ConfigTree before decoding, e.g.
// "bug=commit_on_majority" on cluster.config. Creates missing map keys.
Result<void> apply_override(ConfigTree& tree, std::string_view assignment);

}  // namespace faultline::scenario
