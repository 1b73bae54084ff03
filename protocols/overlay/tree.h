// Tree: the overlay's shape and its data, as pure functions of the config (no per-node tables,
// so a tree of a million nodes costs nothing to describe).
//
// The seed's tree: A (leader, Green) -> B (team leader, Green) -> C (worker, Green), and
// A -> E (team leader, Pink) -> D, F (workers, Pink). A generated tree is complete: node 0 is the
// leader, the children of node i are f*i + 1 .. f*i + f, the leader's children lead the teams
// (team t is the subtree of node t + 1; the leader belongs to team 0) and every deeper node is a
// worker. Nothing here needs a graph library: the numbering is the graph.
//
// Data: every node owns one slice, a contiguous range of keys; slices follow the tree in
// preorder, so every subtree's data is one contiguous key range and every team's too. A slice's
// size is its weight (leader 1, team leader 2, worker 3) times a unit: in the seed, the team's
// hours (Green 11 days, Pink 35) over its members' weights; generated, records_per_weight. A
// reading's value is a function of (data_seed, key): every answer has a ground truth.
//
// Limits: a node splits its limit among its own slice and its children's subtrees in proportion
// to the records each holds inside the filter's key range (floor, then the remainder one row at
// a time in order), so the split is a function of the query alone, whoever computes it.
//
// Invariants: slices are disjoint and cover [0, total_records()); a subtree's range holds its
// root's slice first; allocations of a limit sum to min(limit, what can be asked of the parts).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "protocols/overlay/types.h"
#include "sim/core/ids.h"

namespace faultline::overlay {

// Keys [first, first + count).
struct KeyRange {
  std::uint64_t first = 0;
  std::uint64_t count = 0;
  std::uint64_t end() const { return first + count; }
  friend bool operator==(const KeyRange&, const KeyRange&) = default;
};

enum class Role : std::uint8_t { leader, team_leader, worker };
std::string_view role_name(Role role);

// One part of a node's allocation: its own slice (part == the node) or a child's subtree.
struct Allocation {
  NodeId part;
  std::uint32_t limit = 0;
  friend bool operator==(const Allocation&, const Allocation&) = default;
};

class Tree {
 public:
  explicit Tree(const Config& config);

  std::uint32_t node_count() const { return node_count_; }
  friend bool operator==(const Tree&, const Tree&) = default;
  std::uint32_t team_count() const;
  std::optional<NodeId> parent(NodeId node) const;
  std::vector<NodeId> children(NodeId node) const;  // ascending
  std::uint32_t level(NodeId node) const;           // the leader is level 0
  Role role(NodeId node) const;
  std::uint32_t team(NodeId node) const;
  std::uint32_t weight(NodeId node) const;

  KeyRange slice(NodeId node) const;
  KeyRange subtree(NodeId node) const;  // every slice of the subtree: one range
  std::uint64_t total_records() const { return subtree(NodeId{0}).count; }

  // The reading stored under `key`, in micrograms per cubic metre (0 .. 149).
  std::uint32_t value(std::uint64_t key) const;
  // Records of `range` inside the filter's key range.
  static std::uint64_t in_filter(KeyRange range, const Filter& filter);
  // The first `limit` rows of the node's slice that pass the filter, ascending by key.
  std::vector<Row> scan(NodeId node, const Filter& filter, std::uint32_t limit) const;
  // Records inside the filter's key range that the missing entries cover, each record once (an
  // entry inside a missing subtree adds nothing).
  std::uint64_t missing_in_filter(const Filter& filter, const std::vector<Missing>& missing) const;
  // Whether `node` lies in the subtree of `root` (root included).
  bool within(NodeId node, NodeId root) const;
  // How `node` splits `limit`: its own slice first, then each child's subtree, leaving out
  // parts allocated nothing (no records in range, or no rows left to give).
  std::vector<Allocation> allocate(NodeId node, const Filter& filter, std::uint32_t limit) const;

 private:
  std::uint64_t seed_unit(std::uint32_t team) const;
  std::uint64_t generated_subtree_records(std::uint32_t level) const;
  std::uint64_t generated_preorder_first(NodeId node) const;

  Shape shape_;
  std::uint32_t fanout_;
  std::uint32_t depth_;
  std::uint64_t records_per_weight_;
  std::uint64_t data_seed_;
  std::uint32_t node_count_;
};

// The size of a generated tree (0 if it would exceed nodes_max), or the seed's six.
std::uint64_t tree_size(const Config& config);

// The seed's node names, in NodeId order: A, B, C, D, E, F.
inline constexpr std::string_view seed_names[] = {"A", "B", "C", "D", "E", "F"};

}  // namespace faultline::overlay
