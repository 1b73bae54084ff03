// parse_swarm_profile: YAML text -> SwarmProfile. The same YAML machinery and error conventions
// as a scenario (parse.h): every error names the origin, the key path and the line. What only a
// drawn scenario can show (a config key the protocol does not have, a selector naming no node) is
// found by probing the profile (probe_swarm_profile), still at the profile's path and line.
#include <algorithm>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/core/assert.h"
#include "sim/scenario/names.h"
#include "sim/scenario/parse.h"
#include "sim/scenario/parse_detail.h"
#include "sim/scenario/read_values.h"
#include "sim/scenario/scenario.h"
#include "sim/scenario/swarm.h"
#include "sim/scenario/swarm_detail.h"

namespace faultline::scenario {

namespace {

using namespace values;  // the scenario reader's value readers

// The parameters each fault kind takes in a profile (faults.kinds.<kind>), each with its default
// as YAML ("" for none).
struct FaultParam {
  std::string_view key;
  std::string_view default_yaml;
};
struct FaultKindKeys {
  std::string_view kind;
  std::vector<FaultParam> params;
};
constexpr std::string_view kDefaultShapes = "{ one_of: [one, minority, halves, random] }";
const std::vector<FaultKindKeys>& fault_kind_keys() {
  static const std::vector<FaultKindKeys> table{
      {"crash", {{"targets", "any"}, {"restart_after", ""}}},
      {"restart", {{"targets", "all"}}},
      {"pause", {{"targets", "any"}, {"resume_after", ""}}},
      {"resume", {{"targets", "all"}}},
      {"isolate", {{"targets", "any"}, {"heal_after", ""}}},
      {"partition", {{"shapes", kDefaultShapes}, {"heal_after", ""}}},
      {"one_way", {{"heal_after", ""}}},
      {"heal", {}},
      {"clog", {{"for", "{ range: [100ms, 1s] }"}}},
      {"flap",
       {{"shapes", kDefaultShapes},
        {"period", "{ range: [50ms, 500ms] }"},
        {"for", "{ range: [500ms, 3s] }"}}},
      {"network",
       {{"latency", ""},
        {"drop", ""},
        {"duplicate", ""},
        {"reorder", ""},
        {"queue_capacity", ""},
        {"restore_after", ""}}},
      {"input", {{"bodies", ""}, {"targets", "any"}}},
  };
  return table;
}

ConfigTree empty_map(const ConfigTree& at) {
  ConfigTree map;
  map.kind = Kind::map;
  map.path = at.path;
  map.line = at.line;
  return map;
}

void set_lines(ConfigTree& tree, int line) {
  tree.line = line;
  for (ConfigTree& item : tree.items) set_lines(item, line);
  for (auto& entry : tree.entries) set_lines(entry.second, line);
}

// A default the profile does not give, as a template at `path` and `line` (the YAML is ours and
// always parses).
ConfigTree default_template(std::string_view yaml, const std::string& path, int line) {
  auto tree = parse_yaml(yaml, "");
  FL_ASSERT(tree.has_value(), "a built-in default parses");
  repath(*tree, path);
  set_lines(*tree, line);
  return std::move(*tree);
}

class ProfileReader {
 public:
  explicit ProfileReader(const std::vector<std::string>& role_names) {
    profile_.role_names = role_names;
  }

  Result<SwarmProfile> read(const ConfigTree& root) {
    if (root.kind != Kind::map)
      return root.error(
          "expected a map of profile keys (name, protocol, cluster, faults, ...) at the top "
          "level, got a " +
          kind_name(root));
    if (const ConfigTree* expect = root.find("expect"))
      return expect->error(
          "a profile has no expect: a bound on a metric that a drawn scenario cannot sample "
          "would fail lint (put bounds in a scenario)");
    if (auto ok = expect_map(
            root, {"name", "description", "protocol", "swarm", "bug", "cluster", "network",
                   "workload", "operations", "faults", "nemesis", "run", "checks"});
        !ok)
      return std::unexpected(ok.error());
    using Step = Result<void> (ProfileReader::*)(const ConfigTree&);
    constexpr Step kSteps[] = {&ProfileReader::read_header,    &ProfileReader::read_cluster,
                               &ProfileReader::read_templates, &ProfileReader::read_faults,
                               &ProfileReader::read_nemesis,   &ProfileReader::read_operations};
    for (const Step step : kSteps)
      if (auto ok = (this->*step)(root); !ok) return std::unexpected(ok.error());
    return std::move(profile_);
  }

 private:
  Result<void> read_header(const ConfigTree& root) {
    auto header = read_document_header(root, "a profile name");
    if (!header) return std::unexpected(header.error());
    profile_.name = std::move(header->name);
    profile_.protocol = std::move(header->protocol);
    profile_.description = std::move(header->description);
    if (auto ok = decode_if_present(root, "swarm", profile_.swarm); !ok) return ok;
    if (const ConfigTree* bug = root.find("bug")) {
      auto text = read_text(*bug, "a bug switch name (or none)");
      if (!text) return std::unexpected(text.error());
      profile_.bug = *text;
      profile_.bug_node = *bug;
    }
    return {};
  }

  Result<void> read_cluster(const ConfigTree& root) {
    auto cluster = require(root, "cluster");
    if (!cluster) return std::unexpected(cluster.error());
    if ((*cluster)->kind != Kind::map)
      return (*cluster)->error("expected a map with keys nodes, config, clocks, got a " +
                               kind_name(**cluster));
    if (auto ok = expect_map(**cluster, {"nodes", "config", "clocks"}); !ok) return ok;
    auto nodes = require(**cluster, "nodes");
    if (!nodes) return std::unexpected(nodes.error());
    if ((*nodes)->kind == Kind::list)
      return (*nodes)->error(
          "a profile draws a node count (nodes are named n0, n1, ...): give a number or a draw "
          "expression like { one_of: [3, 5] }, not a list of names");
    if (const ConfigTree* config = (*cluster)->find("config");
        config != nullptr && config->kind == Kind::map)
      if (const ConfigTree* bug = config->find("bug"))
        return bug->error(
            "a profile gives its bug switch as the top-level key bug (fuzz --bug overrides it), "
            "not in cluster.config");
    profile_.cluster = **cluster;
    return check_template(profile_.cluster);
  }

  Result<void> read_templates(const ConfigTree& root) {
    profile_.network = section(root, "network");
    profile_.workload = section(root, "workload");
    profile_.run = section(root, "run");
    profile_.checks = section(root, "checks");
    if (profile_.run.kind == Kind::map)
      if (const ConfigTree* seed = profile_.run.find("seed"))
        return seed->error(
            "a profile has no run.seed: each fuzz seed is its drawn scenario's run seed");
    for (const ConfigTree* tmpl :
         {&profile_.network, &profile_.workload, &profile_.run, &profile_.checks})
      if (auto ok = check_template(*tmpl); !ok) return ok;
    return {};
  }

  Result<void> read_faults(const ConfigTree& root) {
    const ConfigTree faults = section(root, "faults");
    profile_.fault_count =
        default_template("{ range: [1, 4] }", join_path(faults.path, "count"), faults.line);
    if (faults.kind == Kind::null) return {};
    if (faults.kind == Kind::list)
      return faults.error(
          "a profile's faults is a map of count and kinds, like { count: { range: [1, 4] }, "
          "kinds: { crash: {}, partition: {} } }, not a list of faults");
    if (auto ok = expect_map(faults, {"count", "kinds"}); !ok) return ok;
    if (const ConfigTree* count = faults.find("count")) profile_.fault_count = *count;
    if (auto ok = check_template(profile_.fault_count); !ok) return ok;
    auto kinds = require(faults, "kinds");
    if (!kinds) return std::unexpected(kinds.error());
    if ((*kinds)->kind != Kind::map)
      return (*kinds)->error(
          "expected a map of fault kinds, like { crash: {}, partition: {} }, "
          "got a " +
          kind_name(**kinds));
    for (const auto& [name, params] : (*kinds)->entries) {
      auto kind = read_fault_kind(name, params);
      if (!kind) return std::unexpected(kind.error());
      profile_.fault_kinds.push_back(std::move(*kind));
    }
    return {};
  }

  static Result<SwarmFaultKind> read_fault_kind(const std::string& name, const ConfigTree& params) {
    const auto& table = fault_kind_keys();
    const auto spec = std::ranges::find(table, name, &FaultKindKeys::kind);
    if (spec == table.end()) {
      std::vector<std::string_view> kinds;
      for (const FaultKindKeys& k : table) kinds.push_back(k.kind);
      return params.error("unknown fault kind " + quote(name) +
                          " (expected one of: " + join(kinds) + ")");
    }
    std::vector<std::string_view> keys;
    for (const FaultParam& param : spec->params) keys.push_back(param.key);
    SwarmFaultKind kind{name, params.kind == Kind::null ? empty_map(params) : params};
    if (kind.params.kind != Kind::map)
      return params.error("expected a map of " + name + "'s parameters" +
                          (keys.empty() ? "" : " (" + join(keys) + ")") + ", got a " +
                          kind_name(params));
    if (auto ok = expect_map(kind.params, keys); !ok) return std::unexpected(ok.error());
    if (name == "input" && kind.params.find("bodies") == nullptr)
      return missing(kind.params, "bodies");
    if (name == "network" && std::ranges::none_of(kind.params.entries, [](const auto& entry) {
          return contains(kLinkSettingKeys, entry.first);
        }))
      return params.error("a network fault needs at least one of: " + join(kLinkSettingKeys));
    if (auto ok = check_template(kind.params); !ok) return std::unexpected(ok.error());
    for (const FaultParam& param : spec->params)
      if (!param.default_yaml.empty() && kind.params.find(param.key) == nullptr)
        kind.params.entries.emplace_back(
            std::string(param.key),
            default_template(param.default_yaml, join_path(kind.params.path, param.key),
                             kind.params.line));
    return kind;
  }

  Result<void> read_nemesis(const ConfigTree& root) {
    const ConfigTree* node = root.find("nemesis");
    if (node == nullptr || node->kind == Kind::null) return {};
    if (node->kind != Kind::map)
      return node->error(
          "expected a map with keys kinds, interval, start, stop, crashed_max, "
          "got a " +
          kind_name(*node));
    if (auto ok = expect_map(*node, {"kinds", "interval", "start", "stop", "crashed_max"}); !ok)
      return ok;
    auto kinds = require(*node, "kinds");
    if (!kinds) return std::unexpected(kinds.error());
    if ((*kinds)->kind != Kind::list || (*kinds)->items.empty())
      return (*kinds)->error("expected a non-empty list of nemesis kinds, like [crash, restart]");
    for (const ConfigTree& item : (*kinds)->items) {
      if (auto kind = decode<Nemesis::Kind>(item); !kind) return std::unexpected(kind.error());
      profile_.nemesis_kinds.push_back(item);
    }
    profile_.nemesis = *node;
    std::erase_if(profile_.nemesis.entries, [](const auto& e) { return e.first == "kinds"; });
    return check_template(profile_.nemesis);
  }

  Result<void> read_operations(const ConfigTree& root) {
    const ConfigTree operations = section(root, "operations");
    profile_.operation_weight = default_template(
        "{ range: [1, 4] }", join_path(operations.path, "weight"), operations.line);
    if (operations.kind == Kind::null) return {};
    if (auto ok = expect_map(operations, {"weight", "kinds"}); !ok) return ok;
    if (const ConfigTree* weight = operations.find("weight")) profile_.operation_weight = *weight;
    if (auto ok = check_template(profile_.operation_weight); !ok) return ok;
    auto kinds = require(operations, "kinds");
    if (!kinds) return std::unexpected(kinds.error());
    if ((*kinds)->kind != Kind::map || (*kinds)->entries.empty())
      return (*kinds)->error(
          "expected a map of operation kinds, like { get: { mix: "
          "read_percent }, put: { mix: rest } }");
    for (const auto& [name, params] : (*kinds)->entries) {
      auto operation = read_operation(name, params);
      if (!operation) return std::unexpected(operation.error());
      profile_.operations.push_back(std::move(*operation));
    }
    return {};
  }

  Result<SwarmOperation> read_operation(const std::string& name, const ConfigTree& params) const {
    SwarmOperation operation;
    operation.name = name;
    if (params.kind == Kind::null) return operation;
    if (auto ok = expect_map(params, {"mix", "enabled", "disabled"}); !ok)
      return std::unexpected(ok.error());
    if (const ConfigTree* mix = params.find("mix")) {
      auto key = read_text(*mix, "a workload key or rest");
      if (!key) return std::unexpected(key.error());
      if (!is_identifier(*key)) return mix->error("expected a workload key, got " + quote(*key));
      for (const SwarmOperation& other : profile_.operations)
        if (other.mix == *key)
          return mix->error("operation kinds " + quote(other.name) + " and " + quote(name) +
                            " both have mix " + quote(*key));
      operation.mix = *key;
      operation.mix_node = *mix;
    }
    for (const auto& [key, slot] :
         {std::pair{"enabled", &operation.enabled}, std::pair{"disabled", &operation.disabled}}) {
      const ConfigTree* fragment = params.find(key);
      if (fragment == nullptr || fragment->kind == Kind::null) continue;
      if (fragment->kind != Kind::map)
        return fragment->error("expected a map of workload keys, got a " + kind_name(*fragment));
      if (auto ok = check_template(*fragment); !ok) return std::unexpected(ok.error());
      *slot = *fragment;
    }
    return operation;
  }

  SwarmProfile profile_;
};

}  // namespace

Result<SwarmProfile> parse_swarm_profile(std::string_view text, std::string_view origin,
                                         const std::vector<std::string>& role_names) {
  auto tree = parse_yaml(text, origin);
  if (!tree) return std::unexpected(tree.error());
  auto profile = ProfileReader(role_names).read(*tree);
  if (!profile)
    return std::unexpected(with_origin(shorten_values(std::move(profile.error()), *tree), origin));
  profile->source_path = std::string(origin);
  return profile;
}

}  // namespace faultline::scenario
