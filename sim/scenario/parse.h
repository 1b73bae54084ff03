// Scenario parsing: YAML text -> Scenario, with errors that name the file, key path and line.
//
// Never crashes or hangs on any input: malformed YAML, unknown keys, wrong types, negative
// durations, probabilities over 1, unknown node names (that are not plausible role names),
// empty partitions and times past the end of the run are all errors. Protocol-specific parts
// are returned as ConfigTree for the protocol binding to decode. No exception escapes.
//
// Error conventions (README.md, "Scenario file reference", lists the messages):
//   - `where` is the key path ("faults[2].at"); when `origin` is non-empty it is prefixed,
//     "scenarios/x.yaml: faults[2].at", so Error::to_string() reads
//     "scenarios/x.yaml: faults[2].at (line 12): expected a duration like 150ms, ...".
//   - `line` is 1-based. A map value carries the line of its key (so an error about
//     `cluster:` points at that line, not at its first nested key); a list item or the root
//     carries the line where it starts; aliased copies carry the alias's line at the top and the
//     anchor's lines inside. 0 means "not from the file" (a missing file, an --set override).
//   - Limits keep parsing bounded: 8 MiB of text, 64 levels of nesting, 200k nodes and 16 MiB of
//     text after expanding aliases. Files must be UTF-8 without NUL bytes (a byte-order mark at
//     the start is skipped); one document only; duplicate keys and merge keys ('<<') are
//     rejected.
//   - Values that cannot make sense (limits.h: a flap period under 1ms, a liveness phase 100
//     times the run) are errors; legal values the network makes pointless are Scenario::warnings.
//   - A value quoted in a message is cut to 80 bytes plus its length (names.h).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

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
// The same for a tree parse_yaml built (or one drawn from a swarm profile, whose nodes carry the
// profile's key paths and lines, so errors name the profile).
Result<Scenario> parse_scenario_tree(const ConfigTree& tree, std::string_view origin,
                                     const std::vector<std::string>& role_names);
// Reads the file and parses it with `path` as the origin; sets Scenario::source_path.
Result<Scenario> load_scenario(const std::string& path, const std::vector<std::string>& role_names);

// The tree as one line of YAML flow text ("{a: 1, b: [x, y]}"), which parse_yaml reads back as
// an equal tree (key paths and lines aside): for writing a config into a generated file.
std::string to_flow_yaml(const ConfigTree& tree);

// Reads only the `protocol:` key, so the caller can pick the binding before a full parse.
Result<std::string> peek_protocol(std::string_view text, std::string_view origin);
// The same, and the name must be one of `known`: else an error with the key's line and a "did
// you mean" for a near miss.
Result<std::string> peek_protocol(std::string_view text, std::string_view origin,
                                  std::span<const std::string> known);

// A scenario file's text: errors for a missing path, a directory, an unreadable file or one
// larger than the parser accepts (read no further than that, so /dev/zero is an error too).
Result<std::string> read_scenario_file(const std::string& path);

// Applies `key.path=value` overrides (from --set) to a ConfigTree before decoding, e.g.
// "bug=commit_on_majority" on cluster.config. The key is dot-separated names with optional
// [index] into existing lists; missing map keys are created. The value is read as YAML, so
// "timeout=[150ms, 300ms]" sets a list. On error the tree is left unchanged.
Result<void> apply_override(ConfigTree& tree, std::string_view assignment);

}  // namespace faultline::scenario
