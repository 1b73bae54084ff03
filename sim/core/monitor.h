// Monitors (property.h) for the two shapes most state properties have, so that the simulator's
// cost of checking a property after an event does not grow with the square of the cluster.
//
// - keyed_monitor: the verdict depends on each node only through a small key (its role and term,
//   say). It may change only when some changed node's key did: O(changed) per event.
// - pairwise_monitor: the property fails iff some pair of distinct nodes fails a pair test, and
//   the test reads each node only through its key (two nodes with equal keys are
//   interchangeable). Nodes are grouped by key; after an event each node whose key changed is
//   tested against one member of every group: O(changed x groups) per event instead of
//   O(nodes^2). In a healthy cluster most nodes share a handful of keys (followers whose logs
//   agree), so the groups stay few however many nodes there are.
//
// Why a pairwise monitor is sound: at the previous call the verdict held (an `always` property
// that failed has stopped the run), so no pair failed; a pair of nodes whose keys did not change
// is the same pair as before as far as the test can tell; so any failing pair now involves a node
// whose key changed, and every such node is tested against every group. A key that identifies a
// log by its last index and chained checksum makes "interchangeable" hold up to a 64-bit checksum
// collision, the assumption the log checks themselves make.
//
// Invariants: `keys_[n]` is node n's key at the last update (none: it takes no part, e.g. down);
// node n is in the one group of key *keys_[n] at slot slots_[n], and in no other group; no group
// is empty and no two groups have one key.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "sim/core/assert.h"
#include "sim/core/ids.h"
#include "sim/core/property.h"

namespace faultline {

// Refresh: bool(const ClusterView<P>&, std::size_t node, std::optional<Key>& key) brings node's
// key up to date in place and says whether it changed (in place: a key holding a vector is
// compared, not copied, when it stays the same).
template <class P, class Key, class Refresh>
class KeyedMonitor final : public Monitor<P> {
 public:
  explicit KeyedMonitor(Refresh refresh) : refresh_(std::move(refresh)) {}

  bool update(const ClusterView<P>& view, std::span<const NodeId> changed) override {
    keys_.resize(view.nodes.size());
    bool any = false;
    for (NodeId id : changed)
      if (refresh_(view, id.value, keys_[id.value])) any = true;
    return any;
  }

 private:
  Refresh refresh_;
  std::vector<std::optional<Key>> keys_;
};

// KeyOf as above, Key also equality-comparable; Fails: bool(const ClusterView<P>&, std::size_t a,
// std::size_t b) for two distinct nodes that both have keys, true if the pair breaks the property
// in either role (so it must be symmetric).
template <class P, class Key, class KeyOf, class Fails>
class PairwiseMonitor final : public Monitor<P> {
 public:
  PairwiseMonitor(KeyOf key_of, Fails fails)
      : key_of_(std::move(key_of)), fails_(std::move(fails)) {}

  bool update(const ClusterView<P>& view, std::span<const NodeId> changed) override {
    if (keys_.size() != view.nodes.size()) {
      FL_ASSERT(groups_.empty(), "the cluster does not change size within a run");
      keys_.resize(view.nodes.size());
      slots_.resize(view.nodes.size());
    }
    moved_.clear();
    for (NodeId id : changed) {
      std::optional<Key> key = key_of_(view, id.value);
      if (key == keys_[id.value]) continue;
      leave(id.value);
      if (key) join(id.value, std::move(*key));
      moved_.push_back(id.value);
    }
    for (const std::uint32_t a : moved_)
      if (keys_[a] && fails_with_any_group(view, a)) return true;
    return false;
  }

 private:
  // The nodes of one key. Groups are few (a handful in a healthy cluster, and every update tests
  // each moved node against all of them anyway), so a flat list searched in order costs less
  // than a map's allocations and pointer chasing; their order decides only how soon a failing
  // pair is met, not whether.
  struct Group {
    Key key;
    std::vector<std::uint32_t> members;
  };

  bool fails_with_any_group(const ClusterView<P>& view, std::uint32_t a) const {
    for (const Group& group : groups_) {
      const auto& members = group.members;
      const std::uint32_t b = members[0] != a ? members[0] : members.size() > 1 ? members[1] : a;
      if (b != a && fails_(view, a, b)) return true;
    }
    return false;
  }

  std::size_t find(const Key& key) const {
    std::size_t g = 0;
    while (g < groups_.size() && !(groups_[g].key == key)) ++g;
    return g;
  }

  void leave(std::uint32_t node) {
    if (!keys_[node]) return;
    const std::size_t g = find(*keys_[node]);
    FL_ASSERT(g < groups_.size(), "a node with a key is in its group");
    FL_ASSERT(groups_[g].members[slots_[node]] == node, "a node is at its slot");
    auto& members = groups_[g].members;
    const std::uint32_t last = members.back();
    members[slots_[node]] = last;
    slots_[last] = slots_[node];
    members.pop_back();
    if (members.empty()) {
      // The last group takes its place: order does not matter (above).
      std::swap(groups_[g], groups_.back());
      groups_.pop_back();
    }
    keys_[node].reset();
  }

  void join(std::uint32_t node, Key key) {
    std::size_t g = find(key);
    if (g == groups_.size()) groups_.push_back(Group{.key = key, .members = {}});
    auto& members = groups_[g].members;
    slots_[node] = static_cast<std::uint32_t>(members.size());
    members.push_back(node);
    keys_[node] = std::move(key);
  }

  KeyOf key_of_;
  Fails fails_;
  std::vector<std::optional<Key>> keys_;
  std::vector<std::uint32_t> slots_;
  std::vector<Group> groups_;         // no two with one key, none empty
  std::vector<std::uint32_t> moved_;  // reused: the nodes whose key changed in this update
};

// Property::monitor factories. keyed_monitor takes a Refresh as above; keyed_monitor_of a KeyOf:
// std::optional<Key>(const ClusterView<P>&, std::size_t node), the key of the node as it is now.
template <class P, class Key, class Refresh>
std::function<std::unique_ptr<Monitor<P>>()> keyed_monitor(Refresh refresh) {
  return [refresh] { return std::make_unique<KeyedMonitor<P, Key, Refresh>>(refresh); };
}

template <class P, class Key, class KeyOf>
std::function<std::unique_ptr<Monitor<P>>()> keyed_monitor_of(KeyOf key_of) {
  return keyed_monitor<P, Key>(
      [key_of](const ClusterView<P>& view, std::size_t node, std::optional<Key>& key) {
        std::optional<Key> now = key_of(view, node);
        if (now == key) return false;
        key = std::move(now);
        return true;
      });
}

template <class P, class Key, class KeyOf, class Fails>
std::function<std::unique_ptr<Monitor<P>>()> pairwise_monitor(KeyOf key_of, Fails fails) {
  return [key_of, fails] {
    return std::make_unique<PairwiseMonitor<P, Key, KeyOf, Fails>>(key_of, fails);
  };
}

}  // namespace faultline
