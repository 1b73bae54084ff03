// Swarm profiles (scenarios/<protocol>/swarm.yaml): ranges and choices from which `faultline
// fuzz` draws one concrete scenario per seed (scenarios/README.md, "Swarm profiles").
//
// A profile is a scenario template plus three swarm sections. In the template (cluster, network,
// workload, run, checks) any value may be a draw expression, `{ one_of: [a, b, ...] }` or
// `{ range: [low, high] }`; `faults`, `nemesis` and `operations` list the fault kinds and
// operation kinds a seed may enable. Swarm testing (Groce et al., ISSTA 2012): each seed enables
// each kind independently with probability 1/2 (at least one per group), so most seeds exercise
// a few features hard instead of all of them a little.
//
// Invariants:
//   - draw_scenario is a pure function of (profile, seed): it draws only from
//     Rng(seed).fork("swarm") and its named children, integers only, no floats;
//   - every node of a drawn tree carries the profile's key path and line of the value it came
//     from, so an error in a drawn scenario names the profile's line;
//   - scenario_yaml(drawn) is text that parse_scenario reads back as the same scenario.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/config_tree.h"
#include "sim/core/result.h"
#include "sim/core/rng.h"

namespace faultline::scenario {

// A fault kind a seed may enable, with its parameters (templates) as the profile gives them.
struct SwarmFaultKind {
  std::string name;   // crash, restart, pause, resume, isolate, partition, one_way, heal, clog,
                      // flap, network, input
  ConfigTree params;  // a map (empty when the profile gives none)
};

// An operation kind a seed may enable: its share of the workload's mix and the workload keys it
// sets when enabled or disabled.
struct SwarmOperation {
  std::string name;
  std::string mix;      // "" (not in the mix), "rest", or the workload key that gets its percent
  ConfigTree mix_node;  // where `mix` was given (for paths and lines)
  ConfigTree enabled;   // a workload template merged over the workload when enabled (or null)
  ConfigTree disabled;  // ... when disabled (or null)
};

struct SwarmProfile {
  std::string source_path;
  std::string name;
  std::string description;
  std::string protocol;
  std::vector<std::string> role_names;  // the protocol's roles: partition shapes may name one
  bool swarm = true;                    // false: every kind enabled in every seed
  std::string bug;                      // "" or "none": no bug switch
  ConfigTree bug_node;                  // where the bug was given (a scalar; path "bug")
  ConfigTree cluster;                   // template map: nodes (required), config
  ConfigTree network;                   // templates, null when absent
  ConfigTree workload;
  ConfigTree run;
  ConfigTree checks;
  ConfigTree fault_count;  // template of an integer: explicit faults per seed
  std::vector<SwarmFaultKind> fault_kinds;
  std::vector<ConfigTree> nemesis_kinds;  // scalars; empty: no nemesis
  ConfigTree nemesis;                     // template map: interval, start, stop, crashed_max
  ConfigTree operation_weight;            // template of an integer >= 1
  std::vector<SwarmOperation> operations;
};

// Parses a profile; errors name the origin, key path and line like a scenario's. Role names
// (leader, coordinator, ...) are accepted as partition shapes.
Result<SwarmProfile> parse_swarm_profile(std::string_view text, std::string_view origin,
                                         const std::vector<std::string>& role_names);

// Where a draw's choices come from: the seed (fuzzing), or a probe (checking a profile): the
// first alternative at every draw point but one, whose alternative is given, every kind enabled
// and one fault of each kind.
class Drawer {
 public:
  // Draw points met by probes: path -> number of alternatives.
  using Points = std::map<std::string, std::uint32_t>;

  explicit Drawer(Rng rng) : rng_(rng) {}
  Drawer(std::shared_ptr<Points> points, std::string probe_path, std::uint32_t probe_alternative)
      : points_(std::move(points)),
        probe_path_(std::move(probe_path)),
        probe_alternative_(probe_alternative) {}

  bool probing() const { return !rng_.has_value(); }
  // A child for one part of the scenario: a named fork of the seed's stream, or the same probe.
  Drawer stream(std::string_view name) const;
  // The template with every draw expression replaced by a value drawn from it (recursively).
  Result<ConfigTree> resolve(const ConfigTree& tmpl);
  // Uniform in [0, bound), bound > 0; 0 when probing.
  std::uint64_t below(std::uint64_t bound);

 private:
  // Which alternative of a draw point with `count` of them: random, or the probe's choice.
  std::uint32_t alternative(const ConfigTree& point, std::uint32_t count);
  Result<ConfigTree> resolve_range(const ConfigTree& expr);

  std::optional<Rng> rng_;
  std::shared_ptr<Points> points_;
  std::string probe_path_;
  std::uint32_t probe_alternative_ = 0;
};

// `{ one_of: [...] }` or `{ range: [low, high] }`.
bool is_draw_expression(const ConfigTree& node);

struct DrawnScenario {
  ConfigTree tree;  // a scenario's top-level map, with the profile's paths and lines
  std::uint64_t seed = 0;
  std::vector<std::string> faults_enabled;      // "crash", "nemesis.partition", ...
  std::vector<std::string> operations_enabled;  // "get", "put", ...
};

// The scenario seed `seed` draws from the profile; its run.seed is `seed`. An error is a value
// the profile lets a seed draw that the scenario cannot take (a shape needing two nodes is never
// drawn for one; a node count that is not a number is an error), with the profile's path and
// line.
Result<DrawnScenario> draw_scenario(const SwarmProfile& profile, std::uint64_t seed);

// Draws the profile once per probe (the first alternative of every draw point, with every kind
// enabled and one fault of each kind; then each operation kind alone; then each other alternative
// of one draw point at a time, every kind enabled) and
// passes each drawn tree to `check` (the caller parses and binds it as a scenario). Returns the
// first error, which names the profile's key path and line.
Result<void> probe_swarm_profile(const SwarmProfile& profile,
                                 const std::function<Result<void>(const ConfigTree&)>& check);

// The drawn scenario as a YAML document: `header` (lines of comment text, without '#'), then
// one top-level key per line, sections as blocks of flow values.
std::string scenario_yaml(const DrawnScenario& drawn, const std::vector<std::string>& header);

}  // namespace faultline::scenario
