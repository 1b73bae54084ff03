// draw_scenario: (profile, seed) -> one concrete scenario, and the probes that check a profile.
//
// Each part of the scenario draws from its own named stream of Rng(seed).fork("swarm") (swarm,
// cluster, run, network, workload, faults, nemesis), so a change to how one part is drawn never
// perturbs the others. Node names are n0, n1, ...; fault times are whole milliseconds in
// [0, run.until).
#include <algorithm>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/core/assert.h"
#include "sim/scenario/limits.h"
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

constexpr std::uint32_t kFaultsMax = 1'000;  // explicit faults one seed may draw
constexpr std::string_view kShapes[] = {"one", "minority", "halves", "random"};

// A node made here, carrying the path and line of the profile node `at` it was drawn from.
ConfigTree node_at(ConfigTree::Kind kind, const ConfigTree& at) {
  ConfigTree node;
  node.kind = kind;
  node.path = at.path;
  node.line = at.line;
  return node;
}
ConfigTree scalar_at(std::string text, const ConfigTree& at) {
  ConfigTree node = node_at(Kind::scalar, at);
  node.scalar = std::move(text);
  return node;
}
ConfigTree list_at(std::vector<ConfigTree> items, const ConfigTree& at) {
  ConfigTree node = node_at(Kind::list, at);
  node.items = std::move(items);
  return node;
}
ConfigTree map_at(std::vector<std::pair<std::string, ConfigTree>> entries, const ConfigTree& at) {
  ConfigTree node = node_at(Kind::map, at);
  node.entries = std::move(entries);
  return node;
}

// Sets map[key] = value, replacing an entry with that key or appending one.
void set_entry(ConfigTree& map, const std::string& key, ConfigTree value) {
  for (auto& entry : map.entries)
    if (entry.first == key) {
      entry.second = std::move(value);
      return;
    }
  map.entries.emplace_back(key, std::move(value));
}

std::string node_name(std::uint64_t index) { return "n" + std::to_string(index); }

// A fault of a drawn scenario: its time (for ordering) and its map ({ at: ..., crash: ... }).
struct DrawnFault {
  Duration at;
  ConfigTree map;
};

class ScenarioDraw {
 public:
  // `only_operation`: a probe that enables that operation kind alone (the mix then covers every
  // request with it, which may clash with workload keys no kind sets).
  ScenarioDraw(const SwarmProfile& profile, const Drawer& root, std::uint64_t seed,
               std::optional<std::size_t> only_operation = std::nullopt)
      : profile_(profile), root_(root), seed_(seed), only_operation_(only_operation) {}

  Result<DrawnScenario> draw() {
    draw_swarm();
    using Step = Result<void> (ScenarioDraw::*)();
    constexpr Step kSteps[] = {&ScenarioDraw::draw_cluster, &ScenarioDraw::draw_run,
                               &ScenarioDraw::draw_network, &ScenarioDraw::draw_workload,
                               &ScenarioDraw::draw_faults,  &ScenarioDraw::draw_nemesis,
                               &ScenarioDraw::draw_checks};
    for (const Step step : kSteps)
      if (auto ok = (this->*step)(); !ok) return std::unexpected(ok.error());
    return assemble();
  }

 private:
  // --- swarm: which fault kinds and operation kinds this seed enables ----------------------

  // Each feature independently with probability 1/2; at least one of a non-empty group.
  std::vector<bool> pick(Drawer& drawer, std::size_t count) {
    std::vector<bool> on(count, true);
    if (!profile_.swarm || drawer.probing() || count == 0) return on;
    for (std::size_t i = 0; i < count; ++i) on[i] = drawer.below(2) == 1;
    if (std::ranges::find(on, true) == on.end()) on[drawer.below(count)] = true;
    return on;
  }

  void draw_swarm() {
    Drawer drawer = root_.stream("swarm");
    for (const ConfigTree& kind : profile_.nemesis_kinds)
      if (std::ranges::find(nemesis_features_, kind.scalar) == nemesis_features_.end())
        nemesis_features_.push_back(kind.scalar);
    const std::size_t fault_features = profile_.fault_kinds.size();
    const std::vector<bool> faults = pick(drawer, fault_features + nemesis_features_.size());
    fault_on_.assign(faults.begin(), faults.begin() + static_cast<std::ptrdiff_t>(fault_features));
    nemesis_on_.assign(faults.begin() + static_cast<std::ptrdiff_t>(fault_features), faults.end());
    operation_on_ = pick(drawer, profile_.operations.size());
    if (only_operation_) {
      operation_on_.assign(profile_.operations.size(), false);
      operation_on_[*only_operation_] = true;
    }
    // The mix needs a kind: when the profile has mix kinds and none is on, one is.
    std::vector<std::size_t> mix;
    for (std::size_t i = 0; i < profile_.operations.size(); ++i)
      if (!profile_.operations[i].mix.empty()) mix.push_back(i);
    const bool mix_on = std::ranges::any_of(mix, [&](std::size_t i) { return operation_on_[i]; });
    if (!mix.empty() && !mix_on) operation_on_[mix[drawer.below(mix.size())]] = true;
  }

  // --- cluster, run, network, checks --------------------------------------------------------

  Result<void> draw_cluster() {
    Drawer drawer = root_.stream("cluster");
    auto cluster = drawer.resolve(profile_.cluster);
    if (!cluster) return std::unexpected(cluster.error());
    const ConfigTree* nodes = cluster->find("nodes");
    auto count = decode<std::uint32_t>(*nodes);
    if (!count) return std::unexpected(count.error());
    if (*count == 0 || *count > limits::kMaxNodes)
      return nodes->error("expected a node count (1 to " + std::to_string(limits::kMaxNodes) +
                          "), got " + quote(nodes->scalar));
    nodes_ = *count;
    if (!profile_.bug.empty() && profile_.bug != "none") {
      ConfigTree* config = nullptr;
      for (auto& [key, value] : cluster->entries)
        if (key == "config") config = &value;
      if (config == nullptr || config->kind == Kind::null) {
        set_entry(*cluster, "config", map_at({}, *cluster));
        config = &cluster->entries.back().second;
        config->path = join_path(cluster->path, "config");
      }
      if (config->kind == Kind::map)
        set_entry(*config, "bug", scalar_at(profile_.bug, profile_.bug_node));
    }
    tree_.emplace_back("cluster", std::move(*cluster));
    return {};
  }

  Result<void> draw_run() {
    Drawer drawer = root_.stream("run");
    auto run = drawer.resolve(profile_.run);
    if (!run) return std::unexpected(run.error());
    if (run->kind == Kind::null) *run = map_at({}, profile_.run);
    if (run->kind != Kind::map)
      return run->error("expected a map with keys until, converge_within, restart_crashed");
    if (const ConfigTree* until = run->find("until")) {
      auto value = read_positive_duration(*until);
      if (!value) return std::unexpected(value.error());
      until_ = *value;
    }
    ConfigTree seed = scalar_at(std::to_string(seed_), *run);
    seed.path = join_path(run->path, "seed");
    set_entry(*run, "seed", std::move(seed));
    run_ = std::move(*run);
    return {};
  }

  Result<void> draw_network() {
    Drawer drawer = root_.stream("network");
    auto network = drawer.resolve(profile_.network);
    if (!network) return std::unexpected(network.error());
    if (network->kind != Kind::null) tree_.emplace_back("network", std::move(*network));
    return {};
  }

  Result<void> draw_checks() {
    if (profile_.checks.kind != Kind::null) checks_ = profile_.checks;
    return {};
  }

  // --- workload and its operation mix -------------------------------------------------------

  Result<void> draw_workload() {
    Drawer drawer = root_.stream("workload");
    auto workload = drawer.resolve(profile_.workload);
    if (!workload) return std::unexpected(workload.error());
    if (workload->kind == Kind::null && (profile_.operations.empty())) return {};
    if (workload->kind == Kind::null) *workload = map_at({}, profile_.workload);
    if (workload->kind != Kind::map)
      return workload->error("expected a map of workload keys, got a " + kind_name(*workload));
    for (std::size_t i = 0; i < profile_.operations.size(); ++i) {
      const SwarmOperation& operation = profile_.operations[i];
      const ConfigTree& fragment = operation_on_[i] ? operation.enabled : operation.disabled;
      if (fragment.kind == Kind::null) continue;
      auto keys = drawer.resolve(fragment);
      if (!keys) return std::unexpected(keys.error());
      for (auto& [key, value] : keys->entries) set_entry(*workload, key, std::move(value));
    }
    if (auto ok = draw_mix(drawer, *workload); !ok) return ok;
    if (!workload->entries.empty()) tree_.emplace_back("workload", std::move(*workload));
    return {};
  }

  // Each enabled mix kind gets a weight; its percent is 100 * weight / total, rounded down, and
  // the rest kind (or, with it off, the last enabled kind) takes what rounding leaves.
  Result<void> draw_mix(Drawer& drawer, ConfigTree& workload) {
    std::vector<std::pair<std::size_t, std::uint64_t>> weights;  // (operation, weight)
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < profile_.operations.size(); ++i) {
      if (profile_.operations[i].mix.empty() || !operation_on_[i]) continue;
      auto weight_node = drawer.resolve(profile_.operation_weight);
      if (!weight_node) return std::unexpected(weight_node.error());
      auto weight = decode<std::uint32_t>(*weight_node);
      if (!weight) return std::unexpected(weight.error());
      if (*weight == 0) return weight_node->error("an operation's weight must be at least 1");
      weights.emplace_back(i, *weight);
      total += *weight;
    }
    std::vector<std::uint64_t> percent(profile_.operations.size(), 0);
    std::uint64_t assigned = 0;
    bool rest_on = false;
    for (const auto& [i, weight] : weights) {
      rest_on = rest_on || profile_.operations[i].mix == "rest";
      percent[i] = 100 * weight / total;
      assigned += percent[i];
    }
    if (!rest_on && !weights.empty()) percent[weights.back().first] += 100 - assigned;
    for (std::size_t i = 0; i < profile_.operations.size(); ++i) {
      const SwarmOperation& operation = profile_.operations[i];
      if (operation.mix.empty() || operation.mix == "rest") continue;
      ConfigTree value = scalar_at(std::to_string(percent[i]), operation.mix_node);
      set_entry(workload, operation.mix, std::move(value));
    }
    return {};
  }

  // --- faults -------------------------------------------------------------------------------

  static bool needs_two_nodes(std::string_view kind) {
    return kind == "partition" || kind == "one_way" || kind == "clog" || kind == "flap";
  }

  Result<void> draw_faults() {
    Drawer drawer = root_.stream("faults");
    std::vector<const SwarmFaultKind*> kinds;
    for (std::size_t i = 0; i < profile_.fault_kinds.size(); ++i)
      if (fault_on_[i] && (nodes_ >= 2 || !needs_two_nodes(profile_.fault_kinds[i].name)))
        kinds.push_back(&profile_.fault_kinds[i]);
    if (kinds.empty()) return {};
    std::uint64_t count = kinds.size();  // a probe draws one fault of each kind
    if (!drawer.probing()) {
      auto count_node = drawer.resolve(profile_.fault_count);
      if (!count_node) return std::unexpected(count_node.error());
      auto drawn = decode<std::uint32_t>(*count_node);
      if (!drawn) return std::unexpected(drawn.error());
      if (*drawn > kFaultsMax)
        return count_node->error("at most " + std::to_string(kFaultsMax) +
                                 " explicit faults a seed, got " + std::to_string(*drawn));
      count = *drawn;
    }
    const std::int64_t until_ms = until_.nanoseconds / 1'000'000;
    for (std::uint64_t i = 0; i < count; ++i) {
      const SwarmFaultKind& kind = *kinds[drawer.probing() ? i : drawer.below(kinds.size())];
      const std::uint64_t at_ms =
          until_ms > 0 ? drawer.below(static_cast<std::uint64_t>(until_ms)) : 0;
      if (auto ok = draw_fault(drawer, kind,
                               Duration::from_milliseconds(static_cast<std::int64_t>(at_ms)));
          !ok)
        return ok;
    }
    std::ranges::stable_sort(faults_, {}, &DrawnFault::at);
    return {};
  }

  void add_fault(Duration at, const std::string& action, ConfigTree value, const ConfigTree& from) {
    ConfigTree map = map_at({{"at", scalar_at(format_duration(at), from)}}, from);
    map.entries.emplace_back(action, std::move(value));
    faults_.push_back(DrawnFault{at, std::move(map)});
  }

  // `{ at: at + after, <action>: all }` when the kind gives `after_key` and it ends in time.
  Result<void> add_undo(const ConfigTree& params, std::string_view after_key, Duration at,
                        const std::string& action) {
    const ConfigTree* after = params.find(after_key);
    if (after == nullptr) return {};
    auto delay = decode<Duration>(*after);
    if (!delay) return std::unexpected(delay.error());
    if (at + *delay < until_) add_fault(at + *delay, action, scalar_at("all", *after), *after);
    return {};
  }

  Result<void> draw_fault(Drawer& drawer, const SwarmFaultKind& kind, Duration at) {
    auto resolved = drawer.resolve(kind.params);
    if (!resolved) return std::unexpected(resolved.error());
    const ConfigTree& params = *resolved;
    const std::string& name = kind.name;
    if (name == "heal") {
      add_fault(at, name, scalar_at("all", params), params);
      return {};
    }
    if (name == "network") return draw_network_change(params, at);
    if (name == "input") return draw_input(params, at);
    if (name == "partition" || name == "flap" || name == "one_way" || name == "clog")
      return draw_cut(drawer, name, params, at);
    add_fault(at, name, *params.find("targets"), params);
    if (name == "crash") return add_undo(params, "restart_after", at, "restart");
    if (name == "pause") return add_undo(params, "resume_after", at, "resume");
    if (name == "isolate") return add_undo(params, "heal_after", at, "heal");
    return {};
  }

  // The drawn network's value of a link setting, or the scenario's default when it gives none.
  ConfigTree base_setting(const std::string& key, const ConfigTree& at) const {
    for (const auto& [section_name, section] : tree_)
      if (section_name == "network")
        if (const ConfigTree* found = section.find(key)) return *found;
    const NetworkSpec defaults;
    if (key == "latency") {
      FL_ASSERT(defaults.latency.shape == LatencyModel::Shape::uniform, "default latency shape");
      ConfigTree bounds = list_at({scalar_at(format_duration(defaults.latency.low), at),
                                   scalar_at(format_duration(defaults.latency.high), at)},
                                  at);
      return map_at({{"uniform", std::move(bounds)}}, at);
    }
    if (key == "queue_capacity") return scalar_at(std::to_string(defaults.queue_capacity), at);
    const Ratio ratio = key == "drop"        ? defaults.drop
                        : key == "duplicate" ? defaults.duplicate
                                             : defaults.reorder;
    return scalar_at(format_ratio(ratio), at);
  }

  // A network change, and with restore_after, the drawn network's settings back after it.
  Result<void> draw_network_change(const ConfigTree& params, Duration at) {
    ConfigTree change = params;
    std::erase_if(change.entries, [](const auto& entry) { return entry.first == "restore_after"; });
    add_fault(at, "network", change, params);
    const ConfigTree* after = params.find("restore_after");
    if (after == nullptr) return {};
    auto delay = decode<Duration>(*after);
    if (!delay) return std::unexpected(delay.error());
    if (at + *delay >= until_) return {};
    ConfigTree restore = map_at({}, *after);
    for (const auto& entry : change.entries)
      restore.entries.emplace_back(entry.first, base_setting(entry.first, *after));
    add_fault(at + *delay, "network", std::move(restore), *after);
    return {};
  }

  Result<void> draw_input(const ConfigTree& params, Duration at) {
    const ConfigTree& body = *params.find("bodies");
    if (body.kind != Kind::map)
      return body.error(
          "expected one input body, like { campaign: {} }, or { one_of: [...] } "
          "of them; got a " +
          kind_name(body));
    ConfigTree input = map_at({{"node", *params.find("targets")}}, body);
    for (const auto& entry : body.entries) input.entries.push_back(entry);
    add_fault(at, "input", std::move(input), params);
    return {};
  }

  // Partitions, flaps, one-way cuts and clogs: faults between groups of nodes.
  Result<void> draw_cut(Drawer& drawer, const std::string& name, const ConfigTree& params,
                        Duration at) {
    if (name == "one_way" || name == "clog") {
      ConfigTree ends = draw_ends(drawer, params);
      if (name == "clog") ends.entries.emplace_back("for", *params.find("for"));
      add_fault(at, name, std::move(ends), params);
      return name == "one_way" ? add_undo(params, "heal_after", at, "heal") : Result<void>{};
    }
    auto groups = draw_groups(drawer, *params.find("shapes"));
    if (!groups) return std::unexpected(groups.error());
    if (name == "partition") {
      add_fault(at, name, std::move(*groups), params);
      return add_undo(params, "heal_after", at, "heal");
    }
    ConfigTree flap = map_at({{"groups", std::move(*groups)},
                              {"period", *params.find("period")},
                              {"for", *params.find("for")}},
                             params);
    add_fault(at, name, std::move(flap), params);
    return {};
  }

  // A random node `from`, and a non-empty random subset of the others `to`.
  ConfigTree draw_ends(Drawer& drawer, const ConfigTree& at) {
    const std::uint64_t from = drawer.below(nodes_);
    std::vector<ConfigTree> to;
    std::vector<std::uint64_t> others;
    for (std::uint64_t i = 0; i < nodes_; ++i)
      if (i != from) others.push_back(i);
    for (const std::uint64_t i : others)
      if (drawer.below(2) == 1) to.push_back(scalar_at(node_name(i), at));
    if (to.empty()) to.push_back(scalar_at(node_name(others[drawer.below(others.size())]), at));
    return map_at({{"from", scalar_at(node_name(from), at)}, {"to", list_at(std::move(to), at)}},
                  at);
  }

  // `count` distinct nodes drawn uniformly, in index order.
  std::vector<std::uint64_t> draw_subset(Drawer& drawer, std::uint64_t count) {
    std::vector<std::uint64_t> nodes(nodes_);
    std::iota(nodes.begin(), nodes.end(), 0);
    for (std::uint64_t i = 0; i < count; ++i)
      std::swap(nodes[i], nodes[i + drawer.below(nodes_ - i)]);
    nodes.resize(count);
    std::ranges::sort(nodes);
    return nodes;
  }

  ConfigTree group_of(const std::vector<std::uint64_t>& nodes, const ConfigTree& at) {
    std::vector<ConfigTree> items;
    for (const std::uint64_t i : nodes) items.push_back(scalar_at(node_name(i), at));
    return list_at(std::move(items), at);
  }

  // The groups of a partition or flap of the given shape (nodes_ >= 2).
  Result<ConfigTree> draw_groups(Drawer& drawer, const ConfigTree& shape) {
    const std::string& name = shape.scalar;
    const ConfigTree rest = list_at({scalar_at("rest", shape)}, shape);
    if (shape.kind == Kind::scalar &&
        std::ranges::find(profile_.role_names, name) != profile_.role_names.end())
      return list_at({list_at({scalar_at(name, shape)}, shape), rest}, shape);
    if (shape.kind != Kind::scalar || std::ranges::find(kShapes, name) == std::end(kShapes)) {
      std::string expected = join(kShapes);
      for (const std::string& role : profile_.role_names) expected += ", " + role;
      return shape.error("unknown partition shape " + quote(name) +
                         " (expected one of: " + expected + ")");
    }
    if (name != "random") {
      const std::uint64_t size = name == "one"        ? 1
                                 : name == "minority" ? std::max<std::uint64_t>(1, (nodes_ - 1) / 2)
                                                      : nodes_ / 2;
      return list_at({group_of(draw_subset(drawer, size), shape), rest}, shape);
    }
    // random: two or three non-empty groups (as many as there are nodes at most).
    const std::uint64_t group_count = std::min<std::uint64_t>(nodes_, 2 + drawer.below(2));
    std::vector<std::uint64_t> order = draw_subset(drawer, nodes_);
    std::vector<std::vector<std::uint64_t>> groups(group_count);
    for (std::uint64_t i = 0; i < nodes_; ++i)
      groups[i < group_count ? i : drawer.below(group_count)].push_back(order[i]);
    std::vector<ConfigTree> items;
    for (auto& group : groups) {
      std::ranges::sort(group);
      items.push_back(group_of(group, shape));
    }
    return list_at(std::move(items), shape);
  }

  // --- nemesis ------------------------------------------------------------------------------

  Result<void> draw_nemesis() {
    if (std::ranges::find(nemesis_on_, true) == nemesis_on_.end()) return {};
    Drawer drawer = root_.stream("nemesis");
    auto nemesis = drawer.resolve(profile_.nemesis);
    if (!nemesis) return std::unexpected(nemesis.error());
    std::vector<ConfigTree> kinds;
    for (const ConfigTree& kind : profile_.nemesis_kinds) {
      const auto feature = std::ranges::find(nemesis_features_, kind.scalar);
      if (nemesis_on_[static_cast<std::size_t>(feature - nemesis_features_.begin())])
        kinds.push_back(kind);
    }
    ConfigTree list = list_at(std::move(kinds), *nemesis);
    list.path = join_path(nemesis->path, "kinds");
    nemesis->entries.insert(nemesis->entries.begin(), {"kinds", std::move(list)});
    nemesis_ = std::move(*nemesis);
    return {};
  }

  // --- the scenario -------------------------------------------------------------------------

  std::vector<std::string> enabled_names(bool faults) const {
    std::vector<std::string> names;
    if (!faults) {
      for (std::size_t i = 0; i < profile_.operations.size(); ++i)
        if (operation_on_[i]) names.push_back(profile_.operations[i].name);
      return names;
    }
    for (std::size_t i = 0; i < profile_.fault_kinds.size(); ++i)
      if (fault_on_[i]) names.push_back(profile_.fault_kinds[i].name);
    for (std::size_t i = 0; i < nemesis_features_.size(); ++i)
      if (nemesis_on_[i]) names.push_back("nemesis." + nemesis_features_[i]);
    return names;
  }

  std::string description(const DrawnScenario& drawn) const {
    const auto listed = [](const std::vector<std::string>& names) {
      std::string text;
      for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
      return text.empty() ? std::string("none") : text;
    };
    return "Seed " + std::to_string(seed_) + " of the swarm profile " + profile_.name +
           ". Fault kinds: " + listed(drawn.faults_enabled) +
           ". Operation kinds: " + listed(drawn.operations_enabled) + ".";
  }

  DrawnScenario assemble() {
    DrawnScenario drawn;
    drawn.seed = seed_;
    drawn.faults_enabled = enabled_names(true);
    drawn.operations_enabled = enabled_names(false);
    const ConfigTree none;
    ConfigTree root = map_at({}, none);
    root.entries.emplace_back("name",
                              scalar_at(profile_.name + "_seed_" + std::to_string(seed_), none));
    root.entries.emplace_back("description", scalar_at(description(drawn), none));
    root.entries.emplace_back("protocol", scalar_at(profile_.protocol, none));
    for (auto& entry : tree_) root.entries.push_back(std::move(entry));
    if (!faults_.empty()) {
      std::vector<ConfigTree> items;
      for (DrawnFault& fault : faults_) items.push_back(std::move(fault.map));
      root.entries.emplace_back("faults", list_at(std::move(items), none));
    }
    if (nemesis_.kind != Kind::null) root.entries.emplace_back("nemesis", std::move(nemesis_));
    root.entries.emplace_back("run", std::move(run_));
    if (checks_.kind != Kind::null) root.entries.emplace_back("checks", std::move(checks_));
    drawn.tree = std::move(root);
    return drawn;
  }

  const SwarmProfile& profile_;
  Drawer root_;
  std::uint64_t seed_;
  std::optional<std::size_t> only_operation_;
  std::uint32_t nodes_ = 0;
  Duration until_ = RunSpec{}.until;
  std::vector<std::string> nemesis_features_;  // distinct nemesis kinds, in profile order
  std::vector<bool> fault_on_;
  std::vector<bool> nemesis_on_;
  std::vector<bool> operation_on_;
  std::vector<std::pair<std::string, ConfigTree>> tree_;  // cluster, network, workload
  std::vector<DrawnFault> faults_;
  ConfigTree nemesis_;
  ConfigTree run_;
  ConfigTree checks_;
};

}  // namespace

Result<DrawnScenario> draw_scenario(const SwarmProfile& profile, std::uint64_t seed) {
  return ScenarioDraw(profile, Drawer(Rng(seed).fork("swarm")), seed).draw();
}

Result<void> probe_swarm_profile(const SwarmProfile& profile,
                                 const std::function<Result<void>(const ConfigTree&)>& check) {
  auto points = std::make_shared<Drawer::Points>();
  const auto probe = [&](const std::string& path, std::uint32_t alternative,
                         std::optional<std::size_t> only_operation) -> Result<void> {
    auto drawn = ScenarioDraw(profile, Drawer(points, path, alternative), 1, only_operation).draw();
    if (!drawn) return std::unexpected(drawn.error());
    return check(drawn->tree);
  };
  if (auto ok = probe("", 0, std::nullopt); !ok) return ok;
  for (std::size_t i = 0; i < profile.operations.size(); ++i)
    if (auto ok = probe("", 0, i); !ok) return ok;
  // Each other alternative of each draw point; a probe may meet points nested in a choice.
  std::set<std::pair<std::string, std::uint32_t>> done;
  for (bool more = true; more;) {
    more = false;
    const Drawer::Points seen = *points;
    for (const auto& [path, count] : seen)
      for (std::uint32_t alternative = 1; alternative < count; ++alternative) {
        if (!done.emplace(path, alternative).second) continue;
        more = true;
        if (auto ok = probe(path, alternative, std::nullopt); !ok) return ok;
      }
  }
  return {};
}

std::string scenario_yaml(const DrawnScenario& drawn, const std::vector<std::string>& header) {
  std::string text;
  for (const std::string& line : header) {
    text += "# ";
    text += line;
    text += "\n";
  }
  for (const auto& [key, value] : drawn.tree.entries) {
    text += key;
    const bool block_map = value.kind == Kind::map && !value.entries.empty();
    const bool block_list =
        value.kind == Kind::list && !value.items.empty() && value.items.front().kind == Kind::map;
    if (!block_map && !block_list) {
      text += ": ";
      text += to_flow_yaml(value);
      text += "\n";
      continue;
    }
    text += ":\n";
    for (const auto& [inner_key, inner] : value.entries) {
      text += "  ";
      text += inner_key;
      text += ": ";
      text += to_flow_yaml(inner);
      text += "\n";
    }
    for (const ConfigTree& item : value.items) {
      text += "  - ";
      text += to_flow_yaml(item);
      text += "\n";
    }
  }
  return text;
}

}  // namespace faultline::scenario
