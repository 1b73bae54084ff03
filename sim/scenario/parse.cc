// parse_scenario: ConfigTree (from parse_yaml) -> Scenario, validating everything that does not
// need the protocol. Each section has one small reader; every error comes from the ConfigTree
// node it is about, so it carries that node's key path and line.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/scenario/limits.h"
#include "sim/scenario/names.h"
#include "sim/scenario/parse.h"
#include "sim/scenario/parse_detail.h"
#include "sim/scenario/read_values.h"

namespace faultline::scenario {

namespace {

using namespace values;  // the value readers are this file's vocabulary

// ---------------------------------------------------------------------------------------------

class ScenarioReader {
 public:
  explicit ScenarioReader(const std::vector<std::string>& role_names) : role_names_(role_names) {}

  Result<Scenario> read(const ConfigTree& root) {
    if (root.kind != Kind::map)
      return root.error(
          "expected a map of scenario keys (name, protocol, cluster, ...) at the top level, got "
          "a " +
          kind_name(root));
    if (auto ok = expect_map(root, {"name", "description", "protocol", "cluster", "network",
                                    "workload", "faults", "nemesis", "run", "checks", "expect"});
        !ok)
      return std::unexpected(ok.error());
    // Order matters: run.until bounds fault times, cluster.nodes resolves selectors.
    using Step = Result<void> (ScenarioReader::*)(const ConfigTree&);
    constexpr Step kSteps[] = {&ScenarioReader::read_header, &ScenarioReader::read_cluster,
                               &ScenarioReader::read_run,    &ScenarioReader::read_network,
                               &ScenarioReader::read_faults, &ScenarioReader::read_nemesis,
                               &ScenarioReader::read_checks, &ScenarioReader::read_expect};
    for (const Step step : kSteps)
      if (auto ok = (this->*step)(root); !ok) return std::unexpected(ok.error());
    scenario_.workload = section(root, "workload");
    return std::move(scenario_);
  }

 private:
  Result<void> read_header(const ConfigTree& root) {
    auto header = read_document_header(root, "a scenario name");
    if (!header) return std::unexpected(header.error());
    scenario_.name = std::move(header->name);
    scenario_.protocol = std::move(header->protocol);
    scenario_.description = std::move(header->description);
    return {};
  }

  // --- cluster -----------------------------------------------------------------------------

  Result<void> read_cluster(const ConfigTree& root) {
    auto cluster = require(root, "cluster");
    if (!cluster) return std::unexpected(cluster.error());
    if (auto ok = expect_map(**cluster, {"nodes", "config", "clocks"}); !ok) return ok;
    auto nodes = require(**cluster, "nodes");
    if (!nodes) return std::unexpected(nodes.error());
    if (auto ok = (*nodes)->kind == Kind::list ? read_node_list(**nodes) : read_node_count(**nodes);
        !ok)
      return ok;
    scenario_.config = section(**cluster, "config");
    if (const ConfigTree* clocks = (*cluster)->find("clocks")) return read_clocks(*clocks);
    return {};
  }

  // clocks: { n1: { rate: 101/100, offset: -250ms } }: a node's clock rate, between 1/2 and 2
  // (a clock that gains or loses more than that is not a clock; a bound keeps virtual time from
  // overflowing), and its offset (skew), within a day either way.
  Result<void> read_clocks(const ConfigTree& node) {
    if (node.kind != Kind::map)
      return node.error("expected a map from node names to { rate: R, offset: D }, got a " +
                        kind_name(node));
    scenario_.clock_rates.assign(scenario_.node_names.size(), Ratio::one());
    scenario_.clock_offsets.assign(scenario_.node_names.size(), Duration{});
    for (const auto& [name, clock] : node.entries) {
      const auto named = std::ranges::find(scenario_.node_names, name);
      if (named == scenario_.node_names.end())
        return clock.error("no node is named '" + name + "'");
      if (auto ok = expect_map(clock, {"rate", "offset"}); !ok) return ok;
      if (clock.entries.empty()) return clock.error("expected rate, offset or both");
      const auto index = static_cast<std::size_t>(named - scenario_.node_names.begin());
      if (const ConfigTree* rate = clock.find("rate")) {
        auto ratio = read_clock_rate(*rate);
        if (!ratio) return std::unexpected(ratio.error());
        scenario_.clock_rates[index] = *ratio;
      }
      if (const ConfigTree* offset = clock.find("offset")) {
        auto skew = read_clock_offset(*offset);
        if (!skew) return std::unexpected(skew.error());
        scenario_.clock_offsets[index] = *skew;
      }
    }
    return {};
  }

  static Result<Ratio> read_clock_rate(const ConfigTree& rate) {
    if (rate.kind != Kind::scalar)
      return rate.error("expected a ratio like 101/100 or 0.99, got a " + kind_name(rate));
    auto ratio = parse_ratio(rate.scalar);
    if (!ratio) return rate.error(ratio.error().what);
    if (*ratio < Ratio{1, 2} || Ratio{2, 1} < *ratio)
      return rate.error("a clock rate must be between 1/2 and 2, got " + quote(rate.scalar));
    return *ratio;
  }

  // A duration, negative with a leading '-' ("-250ms": the clock is behind).
  static Result<Duration> read_clock_offset(const ConfigTree& offset) {
    if (offset.kind != Kind::scalar)
      return offset.error("expected a duration like 250ms or -1s, got a " + kind_name(offset));
    const bool behind = offset.scalar.starts_with('-');
    auto magnitude = parse_duration(std::string_view(offset.scalar).substr(behind ? 1 : 0));
    if (!magnitude) return offset.error(magnitude.error().what);
    if (*magnitude > Duration::from_seconds(86'400))
      return offset.error("a clock offset must be within 24h either way, got " +
                          quote(offset.scalar));
    return behind ? Duration{} - *magnitude : *magnitude;
  }

  Result<void> read_node_count(const ConfigTree& node) {
    const std::string expected = "expected a node count (1 to " +
                                 std::to_string(limits::kMaxNodes) +
                                 ") or a list of unique node names";
    if (node.kind != Kind::scalar) return node.error(expected + ", got a " + kind_name(node));
    std::uint32_t count = 0;
    const auto [end, ec] =
        std::from_chars(node.scalar.data(), node.scalar.data() + node.scalar.size(), count);
    if (ec != std::errc{} || end != node.scalar.data() + node.scalar.size() || count == 0 ||
        count > limits::kMaxNodes)
      return node.error(expected + ", got " + quote(node.scalar));
    for (std::uint32_t i = 0; i < count; ++i)
      scenario_.node_names.push_back("n" + std::to_string(i));
    names_are_numbered_ = true;
    return {};
  }

  Result<void> read_node_list(const ConfigTree& node) {
    if (node.items.empty() || node.items.size() > limits::kMaxNodes)
      return node.error("expected 1 to " + std::to_string(limits::kMaxNodes) + " node names, got " +
                        std::to_string(node.items.size()));
    for (const ConfigTree& item : node.items) {
      auto name = read_text(item, "a node name");
      if (!name) return std::unexpected(name.error());
      if (!is_identifier(*name))
        return item.error("node names use letters, digits, '_' and '-', got " + quote(*name));
      if (std::ranges::find(kSelectorKeywords, *name) != std::end(kSelectorKeywords))
        return item.error("'" + *name +
                          "' is reserved as a selector (all, rest, any) and cannot name a node");
      if (std::ranges::find(role_names_, *name) != role_names_.end())
        return item.error("'" + *name + "' is a role of protocol '" + scenario_.protocol +
                          "' and cannot name a node");
      const auto previous = std::ranges::find(scenario_.node_names, *name);
      if (previous != scenario_.node_names.end())
        return item.error(
            "duplicate node name " + quote(*name) + " (also " +
            node.items[static_cast<std::size_t>(previous - scenario_.node_names.begin())].path +
            ")");
      scenario_.node_names.push_back(*name);
    }
    return {};
  }

  // --- node selectors ----------------------------------------------------------------------

  std::string known_nodes() const {
    const auto& names = scenario_.node_names;
    if (names_are_numbered_)
      return names.size() == 1 ? "n0" : "n0..n" + std::to_string(names.size() - 1);
    std::string text;
    for (std::size_t i = 0; i < names.size() && i < 8; ++i) text += (i == 0 ? "" : ", ") + names[i];
    return names.size() > 8 ? text + ", ..." : text;
  }

  Result<NodeSelector> read_selector(const ConfigTree& node) const {
    auto text = read_text(node, "a node name, a role, or all/rest/any");
    if (!text) return std::unexpected(text.error());
    const bool known =
        std::ranges::find(scenario_.node_names, *text) != scenario_.node_names.end() ||
        std::ranges::find(role_names_, *text) != role_names_.end() ||
        std::ranges::find(kSelectorKeywords, *text) != std::end(kSelectorKeywords);
    if (!known) {
      std::string roles;
      for (const std::string& role : role_names_) roles += (roles.empty() ? "" : ", ") + role;
      return node.error("unknown node " + quote(*text) + " (expected a node (" + known_nodes() +
                        ")" + (roles.empty() ? "" : ", a role (" + roles + ")") +
                        ", or all, rest, any)");
    }
    return NodeSelector{*text, node.path, node.line};
  }

  // One selector or a non-empty list of them.
  Result<NodeSelectors> read_selectors(const ConfigTree& node) const {
    if (node.kind == Kind::scalar) {
      auto one = read_selector(node);
      if (!one) return std::unexpected(one.error());
      return NodeSelectors{*one};
    }
    if (node.kind != Kind::list)
      return node.error("expected a node selector or a list of them, got a " + kind_name(node));
    if (node.items.empty()) return node.error("expected at least one node");
    NodeSelectors selectors;
    for (const ConfigTree& item : node.items) {
      auto one = read_selector(item);
      if (!one) return std::unexpected(one.error());
      selectors.push_back(*one);
    }
    return selectors;
  }

  // At least two non-empty groups; a node named literally may sit in only one group.
  Result<std::vector<NodeSelectors>> read_groups(const ConfigTree& node) const {
    if (node.kind != Kind::list || node.items.size() < 2)
      return node.error("expected at least two groups, like [[n0], [rest]]");
    std::vector<NodeSelectors> groups;
    std::vector<std::string> seen;
    for (const ConfigTree& item : node.items) {
      if (item.kind == Kind::list && item.items.empty())
        return item.error("partition group is empty");
      auto group = read_selectors(item);
      if (!group) return std::unexpected(group.error());
      for (const NodeSelector& s : *group) {
        const bool literal =
            std::ranges::find(scenario_.node_names, s.text) != scenario_.node_names.end() ||
            s.text == "rest";
        if (literal && std::ranges::find(seen, s.text) != seen.end())
          return fail(s.path, s.line, quote(s.text) + " appears in more than one group");
        if (literal) seen.push_back(s.text);
      }
      groups.push_back(std::move(*group));
    }
    return groups;
  }

  Result<std::pair<NodeSelectors, NodeSelectors>> read_from_to(const ConfigTree& node) const {
    auto from = read_required(node, "from", [&](const ConfigTree& n) { return read_selectors(n); });
    if (!from) return std::unexpected(from.error());
    auto to = read_required(node, "to", [&](const ConfigTree& n) { return read_selectors(n); });
    if (!to) return std::unexpected(to.error());
    return std::pair{std::move(*from), std::move(*to)};
  }

  // --- run and network ---------------------------------------------------------------------

  Result<void> read_run(const ConfigTree& root) {
    const ConfigTree run = section(root, "run");
    if (auto ok = expect_map(run, {"until", "converge_within", "restart_crashed", "seed"}); !ok)
      return ok;
    RunSpec& spec = scenario_.run;
    if (const ConfigTree* n = run.find("until")) {
      auto until = read_positive_duration(*n);
      if (!until) return std::unexpected(until.error());
      if (auto ok = at_most_a_day(*n, *until); !ok) return ok;
      spec.until = *until;
    }
    if (const ConfigTree* n = run.find("converge_within")) {
      if (auto ok = decode_config(*n, spec.converge_within); !ok) return ok;
      // spec.until is at most a day, so the product cannot overflow.
      if (spec.converge_within > spec.until * limits::kMaxConvergeRatio)
        return n->error("converge_within " + format_duration(spec.converge_within) +
                        " is more than " + std::to_string(limits::kMaxConvergeRatio) +
                        " times run.until (" + format_duration(spec.until) +
                        "): a liveness phase orders of magnitude longer than the run is a unit "
                        "slip (raise until, or shorten converge_within)");
      if (auto ok = at_most_a_day(*n, spec.converge_within); !ok) return ok;
    }
    if (auto ok = decode_if_present(run, "restart_crashed", spec.restart_crashed); !ok) return ok;
    if (auto ok = decode_if_present(run, "seed", spec.seed); !ok) return ok;
    return {};
  }

  static Result<void> at_most_a_day(const ConfigTree& node, Duration value) {
    if (value <= limits::kMaxPhase) return {};
    return node.error("must be at most " + format_duration(limits::kMaxPhase) +
                      " of simulated time, got " + format_duration(value));
  }

  Result<void> read_network(const ConfigTree& root) {
    const ConfigTree network = section(root, "network");
    if (auto ok = expect_map(
            network, {"latency", "drop", "duplicate", "reorder", "queue_capacity", "links"});
        !ok)
      return ok;
    auto settings = read_link_settings(network);
    if (!settings) return std::unexpected(settings.error());
    NetworkSpec& spec = scenario_.network;
    spec.latency = settings->latency.value_or(spec.latency);
    spec.drop = settings->drop.value_or(spec.drop);
    spec.duplicate = settings->duplicate.value_or(spec.duplicate);
    spec.reorder = settings->reorder.value_or(spec.reorder);
    spec.queue_capacity = settings->queue_capacity.value_or(spec.queue_capacity);
    const ConfigTree* links = network.find("links");
    if (links == nullptr || links->kind == Kind::null) return {};
    if (links->kind != Kind::list)
      return links->error("expected a list of link overrides, got a " + kind_name(*links));
    for (const ConfigTree& item : links->items) {
      auto link = read_link(item);
      if (!link) return std::unexpected(link.error());
      spec.links.push_back(std::move(*link));
    }
    return {};
  }

  Result<LinkOverride> read_link(const ConfigTree& node) {
    if (node.kind != Kind::map)
      return node.error("expected a map like { from: [a], to: [b], drop: 1/10 }, got a " +
                        kind_name(node));
    if (auto ok = expect_map(node, {"from", "to", "symmetric", "latency", "drop", "duplicate",
                                    "reorder", "queue_capacity"});
        !ok)
      return std::unexpected(ok.error());
    LinkOverride link;
    auto ends = read_from_to(node);
    if (!ends) return std::unexpected(ends.error());
    link.from = std::move(ends->first);
    link.to = std::move(ends->second);
    if (auto ok = decode_if_present(node, "symmetric", link.symmetric); !ok)
      return std::unexpected(ok.error());
    auto settings = read_link_settings(node);
    if (!settings) return std::unexpected(settings.error());
    if (!has_any_setting(*settings))
      return node.error("a link override needs at least one of: " + join(kLinkSettingKeys));
    link.settings = *settings;
    return link;
  }

  // --- faults ------------------------------------------------------------------------------

  Result<void> read_faults(const ConfigTree& root) {
    const ConfigTree* faults = root.find("faults");
    if (faults == nullptr || faults->kind == Kind::null) return {};
    if (faults->kind != Kind::list)
      return faults->error("expected a list of faults, got a " + kind_name(*faults));
    for (const ConfigTree& item : faults->items) {
      auto fault = read_fault(item);
      if (!fault) return std::unexpected(fault.error());
      scenario_.faults.push_back(std::move(*fault));
    }
    std::ranges::stable_sort(scenario_.faults, {}, &Fault::at);
    const Duration shortest = shortest_latency(scenario_);
    for (const Fault& fault : scenario_.faults)
      if (const auto* flap = std::get_if<Flap>(&fault.action); flap && flap->period < shortest)
        scenario_.warnings.push_back(
            Error{fault.path + ".flap.period", fault.line,
                  "period " + format_duration(flap->period) +
                      " is shorter than the network's shortest one-way latency (" +
                      format_duration(shortest) +
                      "), so the partition changes while every message is in flight"});
    return {};
  }

  Result<Fault> read_fault(const ConfigTree& node) {
    if (node.kind != Kind::map)
      return node.error("expected a fault like { at: 2s, crash: n1 }, got a " + kind_name(node));
    const ConfigTree* action = nullptr;
    std::string action_key;
    for (const auto& [key, value] : node.entries) {
      if (key == "at") continue;
      if (!contains(kFaultActions, key))
        return value.error("unknown key " + quote(key) +
                           " (expected 'at' and one of: " + join(kFaultActions) + ")");
      if (action != nullptr)
        return value.error("a fault has exactly one action, got both '" + action_key + "' and '" +
                           key + "'");
      action = &value;
      action_key = key;
    }
    // `at: 2s` fires at 2s; `at: [2s, 2075ms]` at a time drawn uniformly from that range.
    auto at =
        read_required(node, "at", [](const ConfigTree& n) { return decode<DurationRange>(n); });
    if (!at) return std::unexpected(at.error());
    const bool ranged = node.find("at")->kind == Kind::list;
    if (at->max >= scenario_.run.until) {
      const std::string what = ranged ? "fault time range [" + format_duration(at->min) + ", " +
                                            format_duration(at->max) + "] does not end"
                                      : "fault at " + format_duration(at->max) + " is not";
      return node.find("at")->error(what + " before run.until (" +
                                    format_duration(scenario_.run.until) +
                                    "); faults happen in the safety phase");
    }
    if (action == nullptr) return node.error("a fault needs one action: " + join(kFaultActions));
    auto parsed = read_action(action_key, *action);
    if (!parsed) return std::unexpected(parsed.error());
    Fault fault{Time{at->min.nanoseconds}, std::move(*parsed), node.path, node.line};
    if (ranged) fault.at_max = Time{at->max.nanoseconds};
    return fault;
  }

  Result<FaultAction> read_action(std::string_view key, const ConfigTree& node) const {
    if (key == "crash") return read_targets<Crash>(node);
    if (key == "restart") return read_targets<Restart>(node);
    if (key == "pause") return read_targets<Pause>(node);
    if (key == "resume") return read_targets<Resume>(node);
    if (key == "isolate") return read_targets<Isolate>(node);
    if (key == "partition") return read_partition(node);
    if (key == "one_way") return read_one_way(node);
    if (key == "heal") return read_heal(node);
    if (key == "network") return read_network_change(node);
    if (key == "clog") return read_clog(node);
    if (key == "flap") return read_flap(node);
    return read_input(node);
  }

  template <class Action>
  Result<FaultAction> read_targets(const ConfigTree& node) const {
    auto targets = read_selectors(node);
    if (!targets) return std::unexpected(targets.error());
    return Action{std::move(*targets)};
  }

  Result<FaultAction> read_partition(const ConfigTree& node) const {
    auto groups = read_groups(node);
    if (!groups) return std::unexpected(groups.error());
    return Partition{std::move(*groups)};
  }

  Result<FaultAction> read_one_way(const ConfigTree& node) const {
    if (node.kind != Kind::map)
      return node.error("expected { from: [...], to: [...] }, got a " + kind_name(node));
    if (auto ok = expect_map(node, {"from", "to"}); !ok) return std::unexpected(ok.error());
    auto ends = read_from_to(node);
    if (!ends) return std::unexpected(ends.error());
    return OneWayPartition{std::move(ends->first), std::move(ends->second)};
  }

  static Result<FaultAction> read_heal(const ConfigTree& node) {
    if (node.kind != Kind::scalar || node.scalar != "all")
      return node.error("expected 'all' (heal removes every partition, clog and one-way cut)");
    return Heal{};
  }

  static Result<FaultAction> read_network_change(const ConfigTree& node) {
    if (node.kind != Kind::map)
      return node.error("expected a map of link settings (" + join(kLinkSettingKeys) + "), got a " +
                        kind_name(node));
    if (auto ok = expect_map(node, kLinkSettingKeys); !ok) return std::unexpected(ok.error());
    auto settings = read_link_settings(node);
    if (!settings) return std::unexpected(settings.error());
    if (!has_any_setting(*settings))
      return node.error("expected at least one of: " + join(kLinkSettingKeys));
    return NetworkChange{*settings};
  }

  Result<FaultAction> read_clog(const ConfigTree& node) const {
    if (node.kind != Kind::map)
      return node.error("expected { from: [...], to: [...], for: 500ms }, got a " +
                        kind_name(node));
    if (auto ok = expect_map(node, {"from", "to", "for"}); !ok) return std::unexpected(ok.error());
    auto ends = read_from_to(node);
    if (!ends) return std::unexpected(ends.error());
    auto duration =
        read_required(node, "for", [](const ConfigTree& n) { return read_positive_duration(n); });
    if (!duration) return std::unexpected(duration.error());
    return Clog{std::move(ends->first), std::move(ends->second), *duration};
  }

  Result<FaultAction> read_flap(const ConfigTree& node) const {
    if (node.kind != Kind::map)
      return node.error("expected { groups: [[...], [...]], period: 300ms, for: 3s }, got a " +
                        kind_name(node));
    if (auto ok = expect_map(node, {"groups", "period", "for"}); !ok)
      return std::unexpected(ok.error());
    auto groups =
        read_required(node, "groups", [&](const ConfigTree& n) { return read_groups(n); });
    if (!groups) return std::unexpected(groups.error());
    auto period = read_required(node, "period",
                                [](const ConfigTree& n) { return read_positive_duration(n); });
    if (!period) return std::unexpected(period.error());
    if (*period < limits::kMinPeriod)
      return node.find("period")->error("period " + format_duration(*period) +
                                        " is below the floor of " +
                                        format_duration(limits::kMinPeriod) +
                                        ": a flap faster than any message travels only burns "
                                        "events");
    auto duration =
        read_required(node, "for", [](const ConfigTree& n) { return read_positive_duration(n); });
    if (!duration) return std::unexpected(duration.error());
    if (const std::int64_t toggles = duration->nanoseconds / period->nanoseconds;
        static_cast<std::uint64_t>(toggles) > limits::kMaxFlapToggles)
      return node.find("for")->error(
          "a flap for " + format_duration(*duration) + " with period " + format_duration(*period) +
          " toggles " + std::to_string(toggles) + " times; at most " +
          std::to_string(limits::kMaxFlapToggles) + " (lengthen the period or shorten for)");
    return Flap{std::move(*groups), *period, *duration};
  }

  // { node: n0, begin: { ... } }: the target plus one protocol input, kept for the binding.
  Result<FaultAction> read_input(const ConfigTree& node) const {
    if (node.kind != Kind::map)
      return node.error("expected { node: n0, <input kind>: {...} }, got a " + kind_name(node));
    auto target =
        read_required(node, "node", [&](const ConfigTree& n) { return read_selector(n); });
    if (!target) return std::unexpected(target.error());
    ConfigTree input;
    input.kind = Kind::map;
    input.path = node.path;
    input.line = node.line;
    for (const auto& entry : node.entries) {
      if (entry.first == "node") continue;
      if (!input.entries.empty())
        return entry.second.error("an input has one kind, got both " +
                                  quote(input.entries.front().first) + " and " +
                                  quote(entry.first));
      input.entries.push_back(entry);
    }
    if (input.entries.empty())
      return node.error(
          "missing the input kind next to 'node', like { node: n0, <input kind>: {...} }");
    return OperatorInput{std::move(*target), std::move(input)};
  }

  // --- nemesis, checks, expect -------------------------------------------------------------

  Result<void> read_nemesis(const ConfigTree& root) {
    const ConfigTree* node = root.find("nemesis");
    if (node == nullptr || node->kind == Kind::null) return {};
    if (node->kind != Kind::map)
      return node->error(
          "expected a map with keys kinds, interval, start, stop, crashed_max, got a " +
          kind_name(*node));
    if (auto ok = expect_map(*node, {"kinds", "interval", "start", "stop", "crashed_max"}); !ok)
      return ok;
    Nemesis nemesis;
    auto kinds = read_required(
        *node, "kinds", [](const ConfigTree& n) { return decode<std::vector<Nemesis::Kind>>(n); });
    if (!kinds) return std::unexpected(kinds.error());
    if (kinds->empty()) return node->find("kinds")->error("expected at least one kind");
    nemesis.kinds = *kinds;
    if (const ConfigTree* n = node->find("interval")) {
      if (auto ok = decode_config(*n, nemesis.interval); !ok) return ok;
      if (nemesis.interval.min.nanoseconds <= 0)
        return n->error("the shortest interval must be greater than 0");
    }
    if (auto ok = read_nemesis_window(*node, nemesis); !ok) return ok;
    if (auto ok = check_nemesis_pace(*node, nemesis); !ok) return ok;
    if (const ConfigTree* n = node->find("crashed_max")) {
      if (auto ok = decode_config(*n, nemesis.crashed_max); !ok) return ok;
      if (nemesis.crashed_max > scenario_.node_names.size())
        return n->error("crashed_max " + std::to_string(nemesis.crashed_max) + " exceeds the " +
                        std::to_string(scenario_.node_names.size()) + " nodes");
    }
    scenario_.nemesis = std::move(nemesis);
    return {};
  }

  // The interval's floor and the number of faults it may draw; a warning when it is shorter than
  // any message can travel.
  Result<void> check_nemesis_pace(const ConfigTree& node, const Nemesis& nemesis) {
    const ConfigTree* at = node.find("interval") != nullptr ? node.find("interval") : &node;
    const Duration shortest = nemesis.interval.min;
    if (shortest < limits::kMinPeriod)
      return at->error("the shortest interval " + format_duration(shortest) +
                       " is below the floor of " + format_duration(limits::kMinPeriod));
    const Time stop = nemesis.stop.value_or(Time{scenario_.run.until.nanoseconds});
    const Duration window = stop - nemesis.start;
    if (const std::int64_t draws = window.nanoseconds / shortest.nanoseconds;
        static_cast<std::uint64_t>(draws) > limits::kMaxNemesisFaults)
      return at->error("the nemesis may draw " + std::to_string(draws) + " faults in " +
                       format_duration(window) + " (one per " + format_duration(shortest) +
                       "); at most " + std::to_string(limits::kMaxNemesisFaults));
    if (const Duration latency = shortest_latency(scenario_); shortest < latency)
      scenario_.warnings.push_back(Error{at->path, at->line,
                                         "the shortest interval " + format_duration(shortest) +
                                             " is shorter than the network's shortest one-way "
                                             "latency (" +
                                             format_duration(latency) + ")"});
    return {};
  }

  Result<void> read_nemesis_window(const ConfigTree& node, Nemesis& nemesis) {
    const Duration until = scenario_.run.until;
    if (const ConfigTree* n = node.find("start")) {
      Duration start;
      if (auto ok = decode_config(*n, start); !ok) return ok;
      if (start >= until)
        return n->error("start " + format_duration(start) + " is not before run.until (" +
                        format_duration(until) + ")");
      nemesis.start = Time{start.nanoseconds};
    }
    if (const ConfigTree* n = node.find("stop")) {
      Duration stop;
      if (auto ok = decode_config(*n, stop); !ok) return ok;
      if (stop > until)
        return n->error("stop " + format_duration(stop) + " is after run.until (" +
                        format_duration(until) + ")");
      if (stop.nanoseconds <= nemesis.start.nanoseconds)
        return n->error("stop " + format_duration(stop) + " is not after start");
      nemesis.stop = Time{stop.nanoseconds};
    }
    return {};
  }

  Result<void> read_checks(const ConfigTree& root) {
    const ConfigTree* node = root.find("checks");
    if (node == nullptr || node->kind == Kind::null) return {};
    if (node->kind != Kind::list)
      return node->error("expected a list of check names, got a " + kind_name(*node));
    for (const ConfigTree& item : node->items) {
      auto name = read_text(item, "a check name");
      if (!name) return std::unexpected(name.error());
      if (std::ranges::find(scenario_.checks, *name) != scenario_.checks.end())
        return item.error("check " + quote(*name) + " is listed twice");
      scenario_.checks.push_back(*name);
      scenario_.check_lines.push_back(item.line);
    }
    return {};
  }

  Result<void> read_expect(const ConfigTree& root) {
    const ConfigTree* node = root.find("expect");
    if (node == nullptr || node->kind == Kind::null) return {};
    if (node->kind != Kind::map)
      return node->error("expected a map of metric -> { statistic: bound }, got a " +
                         kind_name(*node));
    for (const auto& [metric, statistics] : node->entries) {
      if (!is_identifier(metric))
        return statistics.error("expected a metric name, got " + quote(metric));
      if (statistics.kind != Kind::map || statistics.entries.empty())
        return statistics.error("expected a map of statistic -> bound, like { p99: \"< 600ms\" }");
      if (auto ok = expect_map(statistics, kStatistics); !ok) return ok;
      for (const auto& [statistic, bound] : statistics.entries) {
        auto expectation = read_bound(bound, metric, statistic);
        if (!expectation) return std::unexpected(expectation.error());
        expectation->metric_line = statistics.line;
        scenario_.expectations.push_back(std::move(*expectation));
      }
    }
    return {};
  }

  const std::vector<std::string>& role_names_;
  Scenario scenario_;
  bool names_are_numbered_ = false;
};

// The `protocol:` value and its line, reading nothing else.
Result<std::pair<std::string, int>> peek_protocol_key(std::string_view text,
                                                      std::string_view origin) {
  auto tree = parse_yaml(text, origin);
  if (!tree) return std::unexpected(tree.error());
  if (tree->kind != Kind::map)
    return std::unexpected(with_origin(
        Error{tree->path, tree->line,
              "expected a map of scenario keys at the top level, got a " + kind_name(*tree)},
        origin));
  auto protocol = read_required(
      *tree, "protocol", [](const ConfigTree& n) { return read_text(n, "a protocol name"); });
  if (!protocol)
    return std::unexpected(with_origin(shorten_values(std::move(protocol.error()), *tree), origin));
  return std::pair{std::move(*protocol), tree->find("protocol")->line};
}

}  // namespace

Result<std::string> read_scenario_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return fail(path, 0, "no such file");
  if (std::filesystem::is_directory(path, ec))
    return fail(path, 0, "is a directory, not a scenario file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(path, 0, "cannot open the file for reading");
  // Read one byte past the limit, never more: /dev/zero or a huge file must not fill memory.
  std::string contents(kMaxInputBytes + 1, '\0');
  in.read(contents.data(), static_cast<std::streamsize>(contents.size()));
  if (in.bad()) return fail(path, 0, "could not read the file");
  contents.resize(static_cast<std::size_t>(in.gcount()));
  if (contents.size() > kMaxInputBytes)
    return fail(
        path, 0,
        "file is larger than " + std::to_string(kMaxInputBytes) + " bytes; is it a scenario?");
  return contents;
}

Result<Scenario> parse_scenario(std::string_view text, std::string_view origin,
                                const std::vector<std::string>& role_names) {
  auto tree = parse_yaml(text, origin);
  if (!tree) return std::unexpected(tree.error());
  return parse_scenario_tree(*tree, origin, role_names);
}

Result<Scenario> parse_scenario_tree(const ConfigTree& tree, std::string_view origin,
                                     const std::vector<std::string>& role_names) {
  auto scenario = ScenarioReader(role_names).read(tree);
  if (!scenario)
    return std::unexpected(with_origin(shorten_values(std::move(scenario.error()), tree), origin));
  scenario->source_path = std::string(origin);
  return scenario;
}

Result<Scenario> load_scenario(const std::string& path,
                               const std::vector<std::string>& role_names) {
  auto text = read_scenario_file(path);
  if (!text) return std::unexpected(text.error());
  return parse_scenario(*text, path, role_names);
}

Result<std::string> peek_protocol(std::string_view text, std::string_view origin) {
  auto protocol = peek_protocol_key(text, origin);
  if (!protocol) return std::unexpected(protocol.error());
  return std::move(protocol->first);
}

Result<std::string> peek_protocol(std::string_view text, std::string_view origin,
                                  std::span<const std::string> known) {
  auto protocol = peek_protocol_key(text, origin);
  if (!protocol) return std::unexpected(protocol.error());
  auto& [name, line] = *protocol;
  if (std::ranges::find(known, name) == known.end())
    return std::unexpected(
        with_origin(Error{"protocol", line, unknown_name("protocol", name, known)}, origin));
  return std::move(name);
}

}  // namespace faultline::scenario
