// Reachability under network cuts: which nodes can still exchange messages, possibly relayed
// through other nodes, while some directed links are cut by partitions, one-way cuts or isolation.
//
// Used by checkers and reports (is the cluster partitioned? which side holds a majority?) and by
// the engine to describe the current partition. Plain value types only: Boost.Graph stays in
// reachability.cc (DESIGN.md 2).
//
// Invariants: nodes are NodeId{0} .. NodeId{node_count - 1}; a node always reaches itself (the
// diagonal of a CutMatrix is ignored); every component list is sorted by NodeId and the list of
// components is sorted by each component's smallest NodeId, so results are deterministic.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "sim/core/ids.h"

namespace faultline::topology {

// Which directed links are cut: is_cut(from, to) means messages from -> to are lost.
class CutMatrix {
 public:
  explicit CutMatrix(std::uint32_t node_count)
      : node_count_(node_count), cut_(std::size_t{node_count} * node_count, false) {}

  std::uint32_t node_count() const { return node_count_; }
  bool is_cut(NodeId from, NodeId to) const { return cut_[index(from, to)]; }
  void set_cut(NodeId from, NodeId to, bool cut) { cut_[index(from, to)] = cut; }
  // Cuts both directions between every node of `a` and every node of `b` (a symmetric partition).
  void cut_between(const std::vector<NodeId>& a, const std::vector<NodeId>& b);

  friend bool operator==(const CutMatrix&, const CutMatrix&) = default;

 private:
  std::size_t index(NodeId from, NodeId to) const {
    return std::size_t{from.value} * node_count_ + to.value;
  }

  std::uint32_t node_count_;
  std::vector<bool> cut_;  // row-major: [from * node_count + to]
};

using Component = std::vector<NodeId>;  // sorted

// A snapshot of the live links; recompute it after the cuts change.
class Reachability {
 public:
  explicit Reachability(const CutMatrix& cuts);
  // Same, from a predicate: is_cut(from, to) is called once for each ordered pair from != to.
  Reachability(std::uint32_t node_count, const std::function<bool(NodeId from, NodeId to)>& is_cut);
  // Nodes in classes (class_of[node] < class_count, every class non-empty) whose members no cut
  // tells apart: within a class every link is live, and a link between two classes is cut
  // exactly when is_class_cut(from class, to class). The graph searched has one vertex per
  // class, so a million nodes split by one partition cost two vertices, not 10^12 links.
  Reachability(std::vector<std::uint32_t> class_of, std::uint32_t class_count,
               const std::function<bool(std::uint32_t from, std::uint32_t to)>& is_class_cut);

  std::uint32_t node_count() const { return node_count_; }

  // True when a message from `from` can arrive at `to` over one or more live links.
  bool reachable(NodeId from, NodeId to) const;
  // reachable(from, n) for every node n, indexed by NodeId value; one search instead of N.
  std::vector<bool> reachable_from(NodeId from) const;

  // Strongly connected components: nodes in one component reach each other both ways, so a
  // request/response protocol can run inside it. This is "the partition" in reports.
  const std::vector<Component>& components() const { return strong_; }
  // Weakly connected components: ignoring link direction. Differs from components() only
  // under one-way cuts.
  const std::vector<Component>& weak_components() const { return weak_; }
  // Every node reaches every other node (one strong component). True for 0 or 1 nodes.
  bool is_connected() const { return strong_.size() <= 1; }

 private:
  std::uint32_t node_count_;
  std::vector<std::uint32_t> class_of_;                 // node -> its class
  std::vector<std::vector<std::uint32_t>> successors_;  // live links between classes, ascending
  std::vector<std::uint32_t> strong_of_;                // node -> index in strong_
  std::vector<Component> strong_;
  std::vector<Component> weak_;
};

}  // namespace faultline::topology
