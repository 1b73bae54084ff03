#include "sim/engine/cut_rules.h"

#include <algorithm>
#include <map>
#include <utility>

#include "sim/core/assert.h"

namespace faultline {

namespace {

std::vector<NodeId> sorted_unique(std::vector<NodeId> nodes) {
  std::ranges::sort(nodes);
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  return nodes;
}

bool holds(const std::vector<NodeId>& sorted, NodeId node) {
  return std::ranges::binary_search(sorted, node);
}

// Splits every class by a key per node: nodes stay together only if they were together and
// share the key. New classes are numbered in order of their first node.
template <class Key>
void refine(std::vector<std::uint32_t>& class_of, std::uint32_t node_count, Key&& key_of) {
  std::map<std::pair<std::uint32_t, std::uint64_t>, std::uint32_t> renumbered;
  for (std::uint32_t node = 0; node < node_count; ++node) {
    const auto key = std::make_pair(class_of[node], key_of(node));
    const auto [it, added] =
        renumbered.try_emplace(key, static_cast<std::uint32_t>(renumbered.size()));
    class_of[node] = it->second;
  }
}

}  // namespace

LinkSet::LinkSet(std::vector<NodeId> from_nodes, std::vector<NodeId> to_nodes)
    : from(sorted_unique(std::move(from_nodes))), to(sorted_unique(std::move(to_nodes))) {}

bool LinkSet::contains(NodeId a, NodeId b) const {
  return a != b && holds(from, a) && holds(to, b);
}

bool CutRules::is_cut_by_rules(NodeId from, NodeId to) const {
  FL_ASSERT(from.value < node_count_, "link source out of range");
  FL_ASSERT(to.value < node_count_, "link destination out of range");
  for (const Labelling& rule : partitions_) {
    const std::uint32_t a = rule.label_of[from.value];
    const std::uint32_t b = rule.label_of[to.value];
    if (a != 0 && b != 0 && a != b) return true;
  }
  return std::ranges::any_of(one_way_,
                             [&](const LinkSet& rule) { return rule.contains(from, to); });
}

void CutRules::partition(const std::vector<std::vector<NodeId>>& groups) {
  Labelling labelling{std::vector<std::uint32_t>(node_count_, 0), false};
  bool overlapping = false;
  for (std::uint32_t g = 0; g < groups.size(); ++g)
    for (NodeId node : groups[g]) {
      FL_ASSERT(node.value < node_count_, "partition member out of range");
      std::uint32_t& label = labelling.label_of[node.value];
      if (label != 0 && label != g + 1) overlapping = true;
      label = g + 1;
    }
  if (overlapping) {
    // A node in two groups is cut from each group's others: one directed rule per pair.
    for (std::size_t g = 0; g < groups.size(); ++g)
      for (std::size_t h = 0; h < groups.size(); ++h)
        if (g != h) one_way(groups[g], groups[h]);
    return;
  }
  labelling.total = std::ranges::find(labelling.label_of, 0u) == labelling.label_of.end();
  add_labelling(std::move(labelling));
}

void CutRules::isolate(const std::vector<NodeId>& targets) {
  // The others share label 1; each target gets its own.
  Labelling labelling{std::vector<std::uint32_t>(node_count_, 1), true};
  std::uint32_t next = 2;
  for (NodeId target : targets) {
    FL_ASSERT(target.value < node_count_, "isolated node out of range");
    labelling.label_of[target.value] = next++;
  }
  add_labelling(std::move(labelling));
}

// Two total labellings cut a link when either does, which is when the pair of labels differs:
// the pair becomes the label, and one rule stays one rule.
void CutRules::add_labelling(Labelling labelling) {
  const auto merge_into = std::ranges::find_if(partitions_, &Labelling::total);
  if (!labelling.total || merge_into == partitions_.end()) {
    partitions_.push_back(std::move(labelling));
    return;
  }
  std::vector<std::uint32_t>& merged = merge_into->label_of;
  const std::vector<std::uint32_t> added = std::move(labelling.label_of);
  refine(merged, node_count_, [&](std::uint32_t node) { return added[node]; });
  for (std::uint32_t& label : merged) ++label;  // labels start at 1
}

void CutRules::one_way(std::vector<NodeId> from, std::vector<NodeId> to) {
  LinkSet rule(std::move(from), std::move(to));
  FL_ASSERT(rule.from.empty() || rule.from.back().value < node_count_, "cut source out of range");
  FL_ASSERT(rule.to.empty() || rule.to.back().value < node_count_, "cut target out of range");
  one_way_.push_back(std::move(rule));
}

void CutRules::clear() {
  partitions_.clear();
  one_way_.clear();
}

CutRules::Classes CutRules::classes() const {
  std::vector<std::uint32_t> class_of(node_count_, 0);
  for (const Labelling& rule : partitions_)
    refine(class_of, node_count_, [&](std::uint32_t node) { return rule.label_of[node]; });
  constexpr std::uint64_t kOwnClass = std::uint64_t{1} << 32;
  for (const LinkSet& rule : one_way_)
    refine(class_of, node_count_, [&](std::uint32_t node) -> std::uint64_t {
      const bool from = holds(rule.from, NodeId{node});
      const bool to = holds(rule.to, NodeId{node});
      if (from && to) return kOwnClass + node;  // cut from the others at both ends
      return std::uint64_t{from} | std::uint64_t{to} << 1;
    });
  Classes classes{std::move(class_of), {}};
  for (std::uint32_t node = 0; node < node_count_; ++node)
    if (classes.class_of[node] == classes.first_member.size())
      classes.first_member.push_back(NodeId{node});
  FL_ASSERT(!classes.first_member.empty() || node_count_ == 0, "every node has a class");
  return classes;
}

}  // namespace faultline
