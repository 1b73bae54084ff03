// Which nodes a fault hits: node selectors ("all", "rest", "any", a node name, a role name)
// resolved against the cluster as it is when the fault fires, partition groups, and the
// nemesis's random draws (two halves, one directed link). Pure functions of their arguments
// and the Rng they are handed, so the simulator's fault stream draws in a fixed order.
//
// Invariants: a resolved set is sorted and holds each node once; "any" draws exactly one number
// from the Rng when some node is not down, and none otherwise; two drawn halves are non-empty.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/core/assert.h"
#include "sim/core/ids.h"
#include "sim/core/rng.h"
#include "sim/scenario/scenario.h"

namespace faultline {

// What selectors see of the cluster at the moment they are resolved.
struct Roster {
  const std::vector<std::string>& names;  // by node id
  std::vector<std::string_view> roles;    // the current role; a down node's role at its crash
  std::vector<bool> down;
};

// "{n0,n2}": a node set as traces and fault records show it.
inline std::string node_set_text(const std::vector<NodeId>& ids,
                                 const std::vector<std::string>& names) {
  std::string text;
  for (NodeId id : ids) text += (text.empty() ? "" : ",") + names[id.value];
  return "{" + text + "}";
}

namespace detail {

inline void add_unique(std::vector<NodeId>& out, NodeId id) {
  if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
}

// A name selects that node; any other word selects the nodes whose role it is.
inline void add_named(std::vector<NodeId>& out, const std::string& text, const Roster& roster) {
  bool by_name = false;
  for (std::uint32_t i = 0; i < roster.names.size(); ++i) {
    if (roster.names[i] == text) {
      add_unique(out, NodeId{i});
      by_name = true;
    }
  }
  if (by_name) return;
  for (std::uint32_t i = 0; i < roster.roles.size(); ++i)
    if (roster.roles[i] == text) add_unique(out, NodeId{i});
}

}  // namespace detail

// Resolves selectors now. "rest" expands to the nodes not in `others`; "any" draws one node
// that is not down.
inline std::vector<NodeId> resolve_selectors(const scenario::NodeSelectors& selectors,
                                             const Roster& roster, Rng& rng,
                                             const std::vector<NodeId>& others = {}) {
  FL_ASSERT(roster.roles.size() == roster.names.size(), "one role per node");
  FL_ASSERT(roster.down.size() == roster.names.size(), "one status per node");
  const auto count = static_cast<std::uint32_t>(roster.names.size());
  std::vector<NodeId> out;
  for (const auto& selector : selectors) {
    const std::string& text = selector.text;
    if (text == "all") {
      for (std::uint32_t i = 0; i < count; ++i) detail::add_unique(out, NodeId{i});
    } else if (text == "rest") {
      for (std::uint32_t i = 0; i < count; ++i)
        if (std::find(others.begin(), others.end(), NodeId{i}) == others.end())
          detail::add_unique(out, NodeId{i});
    } else if (text == "any") {
      std::vector<NodeId> candidates;
      for (std::uint32_t i = 0; i < count; ++i)
        if (!roster.down[i]) candidates.push_back(NodeId{i});
      if (!candidates.empty()) detail::add_unique(out, candidates[rng.below(candidates.size())]);
    } else {
      detail::add_named(out, text, roster);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Partition groups. Named groups resolve first, so a "rest" group can mean every node none of
// them holds.
inline std::vector<std::vector<NodeId>> resolve_groups(
    const std::vector<scenario::NodeSelectors>& groups, const Roster& roster, Rng& rng) {
  const auto has_rest = [](const scenario::NodeSelectors& group) {
    return std::any_of(group.begin(), group.end(), [](const auto& s) { return s.text == "rest"; });
  };
  std::vector<std::vector<NodeId>> resolved;
  std::vector<NodeId> named;
  for (const auto& group : groups) {
    if (has_rest(group)) continue;
    resolved.push_back(resolve_selectors(group, roster, rng));
    named.insert(named.end(), resolved.back().begin(), resolved.back().end());
  }
  for (const auto& group : groups)
    if (has_rest(group)) resolved.push_back(resolve_selectors(group, roster, rng, named));
  return resolved;
}

// The nemesis's partition: each node joins one of two halves at random; if one half came out
// empty, the other gives up its last node.
inline std::vector<std::vector<NodeId>> draw_halves(Rng& rng, std::uint32_t node_count) {
  FL_ASSERT(node_count >= 2, "two halves need two nodes");
  std::vector<std::vector<NodeId>> halves(2);
  for (std::uint32_t i = 0; i < node_count; ++i) halves[rng.below(2)].push_back(NodeId{i});
  if (halves[0].empty() || halves[1].empty()) {
    auto& full = halves[0].empty() ? halves[1] : halves[0];
    auto& empty = halves[0].empty() ? halves[0] : halves[1];
    empty.push_back(full.back());
    full.pop_back();
  }
  FL_ASSERT(!halves[0].empty(), "the first half holds a node");
  FL_ASSERT(!halves[1].empty(), "the second half holds a node");
  return halves;
}

// The nemesis's clog: one directed link between two distinct nodes, uniformly.
inline std::pair<NodeId, NodeId> draw_link(Rng& rng, std::uint32_t node_count) {
  FL_ASSERT(node_count >= 2, "a link needs two nodes");
  const NodeId a{static_cast<std::uint32_t>(rng.below(node_count))};
  NodeId b{static_cast<std::uint32_t>(rng.below(node_count - 1))};
  if (b.value >= a.value) ++b.value;
  FL_ASSERT(a != b, "a link joins two distinct nodes");
  return {a, b};
}

}  // namespace faultline
