// The network's latency bounds and the fault classes protocol bindings ask about (limits.h).
#include "sim/scenario/limits.h"

#include <algorithm>
#include <variant>

namespace faultline::scenario {

namespace {

// Every latency model and link setting a message can meet: network-wide, per link, and from
// each `network` fault.
template <class Visit>
void for_each_setting(const Scenario& scenario, Visit&& visit) {
  LinkSettings network_wide;
  network_wide.latency = scenario.network.latency;
  network_wide.drop = scenario.network.drop;
  network_wide.duplicate = scenario.network.duplicate;
  network_wide.reorder = scenario.network.reorder;
  visit(network_wide);
  for (const LinkOverride& link : scenario.network.links) visit(link.settings);
  for (const Fault& fault : scenario.faults)
    if (const auto* change = std::get_if<NetworkChange>(&fault.action)) visit(change->settings);
}

Duration lowest(const LatencyModel& model) {
  return model.shape == LatencyModel::Shape::exponential ? Duration{} : model.low;
}

}  // namespace

Duration shortest_latency(const Scenario& scenario) {
  std::optional<Duration> shortest;
  for_each_setting(scenario, [&](const LinkSettings& settings) {
    if (!settings.latency) return;
    const Duration low = lowest(*settings.latency);
    shortest = shortest ? std::min(*shortest, low) : low;
  });
  return shortest.value_or(Duration{});
}

std::optional<Duration> longest_latency(const Scenario& scenario) {
  bool unbounded = false;
  Duration longest;
  for_each_setting(scenario, [&](const LinkSettings& settings) {
    if (!settings.latency) return;
    if (settings.latency->shape == LatencyModel::Shape::exponential) unbounded = true;
    longest = std::max(longest, settings.latency->high);
  });
  if (unbounded) return std::nullopt;
  return longest;
}

bool network_misbehaves(const Scenario& scenario) {
  if (scenario.network.queue_capacity != NetworkSpec{}.queue_capacity) return true;
  bool misbehaves = false;
  const auto above_zero = [](const std::optional<Ratio>& p) { return p && !p->is_zero(); };
  for_each_setting(scenario, [&](const LinkSettings& settings) {
    if (above_zero(settings.drop) || above_zero(settings.duplicate) ||
        above_zero(settings.reorder) || settings.queue_capacity)
      misbehaves = true;
  });
  return misbehaves;
}

bool may_stop_or_cut(const Scenario& scenario) {
  for (const Fault& fault : scenario.faults)
    if (std::holds_alternative<Crash>(fault.action) ||
        std::holds_alternative<Pause>(fault.action) ||
        std::holds_alternative<Isolate>(fault.action) ||
        std::holds_alternative<Partition>(fault.action) ||
        std::holds_alternative<OneWayPartition>(fault.action) ||
        std::holds_alternative<Flap>(fault.action))
      return true;
  if (!scenario.nemesis) return false;
  using Kind = Nemesis::Kind;
  return std::ranges::any_of(scenario.nemesis->kinds, [](Kind kind) {
    return kind == Kind::crash || kind == Kind::pause || kind == Kind::partition ||
           kind == Kind::isolate;
  });
}

bool has_network_or_node_fault(const Scenario& scenario) {
  if (scenario.nemesis) return true;
  return std::ranges::any_of(scenario.faults, [](const Fault& fault) {
    return !std::holds_alternative<OperatorInput>(fault.action);
  });
}

Error key_error(const ConfigTree& section, std::string_view key, std::string what) {
  if (const ConfigTree* node = section.find(key)) return Error{node->path, node->line, what};
  return Error{section.path, section.line, std::string(key) + " (default): " + what};
}

}  // namespace faultline::scenario
