// CutRules: which directed links the scenario's partitions, isolations and one-way cuts have cut,
// kept as rules over sets of nodes rather than one flag per link, so a partition of a million
// nodes costs a label per node, not 10^12 link flags (network.h).
//
// A partition labels the nodes of each group (0: in no group) and cuts a link when both ends
// carry different labels. Partitions that label every node merge into one labelling (the pair
// of labels becomes the new label), so repeated nemesis partitions and isolations keep a single
// rule. A one-way cut is a LinkSet (from -> to). Rules only accumulate until clear() (a heal).
//
// Invariants: is_cut(a, a) is false; a link is cut exactly when the same faults applied link by
// link would have cut it (tests/sim/engine/engine_test.cc compares the two on random faults);
// classes() groups nodes that no rule tells apart, numbered in order of their first node.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/core/ids.h"

namespace faultline {

// Directed links from every node of `from` to every other node of `to` (both sorted, unique).
struct LinkSet {
  std::vector<NodeId> from;
  std::vector<NodeId> to;

  LinkSet(std::vector<NodeId> from_nodes, std::vector<NodeId> to_nodes);
  bool contains(NodeId a, NodeId b) const;
};

class CutRules {
 public:
  explicit CutRules(std::uint32_t node_count) : node_count_(node_count) {}

  bool empty() const { return partitions_.empty() && one_way_.empty(); }
  bool is_cut(NodeId from, NodeId to) const {
    if (empty()) return false;
    return is_cut_by_rules(from, to);
  }

  // Cuts both ways between every node of one group and every node of another.
  void partition(const std::vector<std::vector<NodeId>>& groups);
  // Cuts each target off from every other node, both ways.
  void isolate(const std::vector<NodeId>& targets);
  // Cuts every link from a node of `from` to another node of `to`.
  void one_way(std::vector<NodeId> from, std::vector<NodeId> to);
  void clear();

  // Nodes grouped so that no rule tells two members of a group apart: between two distinct
  // nodes, whether the link is cut depends only on their classes, and no link inside a class is
  // cut (a node at both ends of a one-way cut gets a class of its own).
  struct Classes {
    std::vector<std::uint32_t> class_of;  // per node
    std::vector<NodeId> first_member;     // per class, its smallest node
  };
  Classes classes() const;

 private:
  struct Labelling {
    std::vector<std::uint32_t> label_of;  // per node; 0: not in any group
    bool total = false;                   // every node has a label
  };

  bool is_cut_by_rules(NodeId from, NodeId to) const;
  void add_labelling(Labelling labelling);

  std::uint32_t node_count_;
  std::vector<Labelling> partitions_;
  std::vector<LinkSet> one_way_;
};

}  // namespace faultline
