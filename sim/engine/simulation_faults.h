// How a Simulation<P> applies the scenario's faults and the nemesis: the out-of-class
// definitions of its fault members (declared in simulation.h, which includes this file after the
// class). Selectors resolve against the cluster when the fault fires (fault_targets.h).
//
// Determinism: scenario faults draw only from the "faults" stream and the nemesis only from the
// "nemesis" stream, in the order the events fire; every fault is recorded (record_fault), so it
// is traced, folded into the fingerprint and handed to the history checks.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/engine/fault_targets.h"
#include "sim/engine/simulation.h"

namespace faultline {

// `at: [min, max]` is drawn uniformly from the faults stream when the run starts; a fixed `at`
// draws nothing, so scenarios without ranges keep their fingerprints.
template <Protocol P>
Time Simulation<P>::fault_time(const scenario::Fault& fault) {
  if (!fault.at_max) return fault.at;
  FL_ASSERT(*fault.at_max >= fault.at, "a fault time range is inverted");
  return fault.at + fault_rng_.duration_in(DurationRange{Duration{}, *fault.at_max - fault.at});
}

// The cluster as selectors see it now.
template <Protocol P>
Roster Simulation<P>::roster() const {
  Roster roster{scenario_.node_names, {}, {}};
  for (std::uint32_t i = 0; i < node_count_; ++i) {
    roster.roles.push_back(nodes_[i] ? nodes_[i]->role() : std::string_view(last_role_[i]));
    roster.down.push_back(status_[i] == Status::down);
  }
  return roster;
}

template <Protocol P>
std::vector<NodeId> Simulation<P>::resolve(const scenario::NodeSelectors& selectors,
                                           const std::vector<NodeId>& others) {
  return resolve_selectors(selectors, roster(), fault_rng_, others);
}

template <Protocol P>
void Simulation<P>::apply_fault(std::size_t, const scenario::Crash& f) {
  for (NodeId id : resolve(f.targets)) crash(id);
}

template <Protocol P>
void Simulation<P>::apply_fault(std::size_t, const scenario::Restart& f) {
  for (NodeId id : resolve(f.targets)) restart(id);
}

template <Protocol P>
void Simulation<P>::apply_fault(std::size_t, const scenario::Pause& f) {
  for (NodeId id : resolve(f.targets)) pause(id);
}

template <Protocol P>
void Simulation<P>::apply_fault(std::size_t, const scenario::Resume& f) {
  for (NodeId id : resolve(f.targets)) resume(id);
}

template <Protocol P>
void Simulation<P>::apply_fault(std::size_t, const scenario::Isolate& f) {
  isolate(resolve(f.targets), "");
}

template <Protocol P>
void Simulation<P>::apply_fault(std::size_t, const scenario::Partition& f) {
  partition_into(resolve_groups(f.groups, roster(), fault_rng_), "partition");
}

template <Protocol P>
void Simulation<P>::apply_fault(std::size_t, const scenario::OneWayPartition& f) {
  const auto from = resolve(f.from);
  const auto to = resolve(f.to, from);
  network_.cuts().one_way(from, to);
  record_fault(FaultRecord::Kind::partition, {}, "one-way cut " + names(from) + " -> " + names(to));
}

template <Protocol P>
void Simulation<P>::apply_fault(std::size_t, const scenario::Heal&) {
  heal("heal all");
}

template <Protocol P>
void Simulation<P>::apply_fault(std::size_t, const scenario::NetworkChange& f) {
  network_.change_all(f.settings);
  record_fault(FaultRecord::Kind::network, {}, "network settings changed");
}

template <Protocol P>
void Simulation<P>::apply_fault(std::size_t, const scenario::Clog& f) {
  const auto from = resolve(f.from);
  const auto to = resolve(f.to, from);
  network_.clog(LinkSet(from, to), now_ + f.duration, now_);
  record_fault(FaultRecord::Kind::clog, {},
               "clog " + names(from) + " -> " + names(to) + " for " + format_duration(f.duration));
}

template <Protocol P>
void Simulation<P>::apply_fault(std::size_t index, const scenario::Flap& f) {
  queue_.push(now_, FlapToggle{index, true, now_ + f.duration});
}

template <Protocol P>
void Simulation<P>::apply_fault(std::size_t index, const scenario::OperatorInput& f) {
  const auto targets = resolve({f.target});
  const auto it = loaded_.operator_inputs.find(index);
  FL_ASSERT(it != loaded_.operator_inputs.end(), "operator input was not decoded at load time");
  record_fault(FaultRecord::Kind::input, targets,
               "operator input " + describe(it->second) + " to " + names(targets));
  for (NodeId id : targets) queue_.push(now_, InputArrival{id, kOperator, it->second});
}

// Cuts each target off from every other node, both ways. `label_prefix`: "nemesis " or "".
template <Protocol P>
void Simulation<P>::isolate(const std::vector<NodeId>& targets, std::string_view label_prefix) {
  network_.cuts().isolate(targets);
  record_fault(FaultRecord::Kind::partition, targets,
               std::string(label_prefix) + "isolate " + names(targets));
}

template <Protocol P>
void Simulation<P>::partition_into(const std::vector<std::vector<NodeId>>& groups,
                                   std::string_view label) {
  std::string text(label);
  for (std::size_t g = 0; g < groups.size(); ++g) text += (g == 0 ? " " : " | ") + names(groups[g]);
  network_.cuts().partition(groups);
  record_fault(FaultRecord::Kind::partition, {}, text);
}

template <Protocol P>
void Simulation<P>::heal(std::string_view label) {
  network_.heal_all();
  record_fault(FaultRecord::Kind::heal, {}, std::string(label));
}

template <Protocol P>
std::optional<NodeId> Simulation<P>::nemesis_pick(const std::vector<NodeId>& from) {
  if (from.empty()) return std::nullopt;
  return from[nemesis_rng_.below(from.size())];
}

template <Protocol P>
void Simulation<P>::nemesis_fault(scenario::Nemesis::Kind kind, const scenario::Nemesis& nemesis) {
  using Kind = scenario::Nemesis::Kind;
  std::optional<NodeId> id;
  switch (kind) {
    case Kind::crash:
      if (nodes_with(Status::down).size() >= nemesis.crashed_max) return;
      if (!(id = nemesis_pick(up_nodes()))) return;
      crash(*id);
      return note_nemesis(scenario::Crash{selectors_of({*id})});
    case Kind::restart:
      if (!(id = nemesis_pick(nodes_with(Status::down)))) return;
      restart(*id);
      return note_nemesis(scenario::Restart{selectors_of({*id})});
    case Kind::pause:
      if (!(id = nemesis_pick(nodes_with(Status::up)))) return;
      pause(*id);
      return note_nemesis(scenario::Pause{selectors_of({*id})});
    case Kind::resume:
      if (!(id = nemesis_pick(nodes_with(Status::paused)))) return;
      resume(*id);
      return note_nemesis(scenario::Resume{selectors_of({*id})});
    case Kind::isolate:
      if (!(id = nemesis_pick(all_nodes()))) return;
      isolate({*id}, "nemesis ");
      return note_nemesis(scenario::Isolate{selectors_of({*id})});
    case Kind::partition:
      if (node_count_ >= 2) nemesis_partition();
      return;
    case Kind::heal: heal("nemesis heal"); return note_nemesis(scenario::Heal{});
    case Kind::clog:
      if (node_count_ >= 2) nemesis_clog(nemesis);
      return;
  }
}

template <Protocol P>
void Simulation<P>::nemesis_partition() {
  const auto halves = draw_halves(nemesis_rng_, node_count_);
  partition_into(halves, "nemesis partition");
  scenario::Partition partition;
  for (const auto& half : halves) partition.groups.push_back(selectors_of(half));
  note_nemesis(std::move(partition));
}

template <Protocol P>
void Simulation<P>::nemesis_clog(const scenario::Nemesis& nemesis) {
  const auto [a, b] = draw_link(nemesis_rng_, node_count_);
  const Duration hold = nemesis_rng_.duration_in(nemesis.interval);
  network_.clog(LinkSet({a}, {b}), now_ + hold, now_);
  record_fault(
      FaultRecord::Kind::clog, {},
      "nemesis clog " + names({a}) + " -> " + names({b}) + " for " + format_duration(hold));
  note_nemesis(scenario::Clog{selectors_of({a}), selectors_of({b}), hold});
}

// The nodes by name, as a scenario file would select them.
template <Protocol P>
scenario::NodeSelectors Simulation<P>::selectors_of(const std::vector<NodeId>& ids) const {
  scenario::NodeSelectors selectors;
  for (NodeId id : ids)
    selectors.push_back(scenario::NodeSelector{std::string(node_name(id)), "", 0});
  return selectors;
}

// What the nemesis did, as an explicit fault at this moment (RunOutcome::nemesis_faults), so
// `faultline shrink` can replace the nemesis by a list it can cut down.
template <Protocol P>
void Simulation<P>::note_nemesis(scenario::FaultAction action) {
  outcome_.nemesis_faults.push_back(scenario::Fault{now_, std::move(action), "", 0, std::nullopt});
}

template <Protocol P>
void Simulation<P>::apply_link_overrides() {
  for (const auto& link : scenario_.network.links) {
    const auto from = resolve(link.from);
    const auto to = resolve(link.to, from);
    for (NodeId a : from)
      for (NodeId b : to) {
        if (a == b) continue;
        network_.override_link(a, b, link.settings);
        if (link.symmetric) network_.override_link(b, a, link.settings);
      }
  }
}

template <Protocol P>
topology::Reachability Simulation<P>::reachability() const {
  // One vertex per class of nodes the cuts do not tell apart (cut_rules.h): a partition of a
  // million nodes is searched as a graph of a few vertices.
  CutRules::Classes classes = network_.cuts().classes();
  const std::vector<NodeId> first = classes.first_member;
  return topology::Reachability(std::move(classes.class_of),
                                static_cast<std::uint32_t>(first.size()),
                                [&](std::uint32_t from, std::uint32_t to) {
                                  return network_.is_cut(first[from], first[to]);
                                });
}

// A partition or heal records who can still talk to whom (strongly connected) after it:
// "... -> components {n0} {n1,n2}".
template <Protocol P>
void Simulation<P>::record_fault(FaultRecord::Kind kind, std::vector<NodeId> nodes,
                                 std::string text) {
  std::vector<std::vector<NodeId>> components;
  if (kind == FaultRecord::Kind::partition || kind == FaultRecord::Kind::heal) {
    components = reachability().components();
    text += " -> components";
    for (const auto& component : components) text += " " + names(component);
  }
  // A fault of one node is traced at that node (its track in a trace viewer).
  const bool at_node = kind == FaultRecord::Kind::crash || kind == FaultRecord::Kind::restart ||
                       kind == FaultRecord::Kind::pause || kind == FaultRecord::Kind::resume;
  trace(to_string(kind), at_node ? std::optional(nodes[0]) : std::nullopt, std::nullopt,
        [&] { return text; });
  fold(0xf0, NodeId{}, text);
  fault_log_.push_back(
      FaultRecord{now_, kind, std::move(nodes), std::move(text), std::move(components)});
}

}  // namespace faultline
