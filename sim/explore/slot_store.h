// SlotStore<P>: the node slots of a Stepper's worlds. Interns every slot a stored world points
// at (one copy per distinct slot, found by key and confirmed by value) and keeps one scratch
// slot per node, into which a step copies the slot it changes (copy-on-write).
//
// Invariants: a world points either at interned slots, which never change or move while the
// store lives, or, between a step and keep(), at this store's scratch slot of the changed node;
// the next step overwrites the scratch slots, so a world must be kept or dropped before it.
// Equal interned pointers mean equal slots.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/explore/key_tables.h"
#include "sim/explore/world_fingerprint.h"
#include "sim/explore/world_state.h"

namespace faultline::explore {

// Equality where the type has it; otherwise values whose keys (fingerprints) the caller already
// found equal count as equal.
template <class T>
bool same_value(const T& a, const T& b) {
  if constexpr (std::equality_comparable<T>)
    return a == b;
  else
    return true;
}

template <class P>
class SlotStore {
 public:
  explicit SlotStore(std::uint32_t node_count) : scratch_(node_count) {}

  // Copy-on-write: gives `world` a copy of one slot to change, in that node's scratch slot
  // (assignment reuses its buffers: no allocation).
  NodeSlot<P>& own(World<P>& world, std::uint32_t node) {
    if (world.slots[node] != &scratch_[node]) {
      scratch_[node] = *world.slots[node];
      world.slots[node] = &scratch_[node];
    }
    return scratch_[node];
  }

  // After a handler ran on a copy of a slot: when the slot is equal to what it was (a stale or
  // duplicate message, a heartbeat with nothing new, a timer that re-armed itself), the world
  // points back at the original, whose key is still right; otherwise the copy is sealed.
  // Comparing is cheaper than hashing, and an unchanged slot costs keep() nothing. (Equality
  // implies equal encodings, hence equal keys, so this never changes a fingerprint.)
  void seal_unless_unchanged(World<P>& world, std::uint32_t node, NodeSlot<P>& slot,
                             const NodeSlot<P>* before) {
    if (slot.disk == before->disk && same_timers(slot.timers, before->timers) &&
        slot.node == before->node) {
      world.slots[node] = before;
      return;
    }
    seal(slot);
  }

  // Replaces any slot of `world` that points at a scratch slot by its interned copy.
  void keep(World<P>& world) {
    for (std::uint32_t i = 0; i < world.slots.size(); ++i)
      if (world.slots[i] == &scratch_[i]) world.slots[i] = intern(scratch_[i]);
  }

  // The stored copy of a sealed slot, adding it if new.
  const NodeSlot<P>* intern(const NodeSlot<P>& slot) {
    return slots_.intern(slot.key, slot,
                         [&](const NodeSlot<P>& stored) { return same_slot(stored, slot); });
  }

  std::size_t size() const { return slots_.size(); }

 private:
  // Two slots are the same value: the same key, node, disk and timers.
  static bool same_slot(const NodeSlot<P>& a, const NodeSlot<P>& b) {
    return a.key == b.key && a.disk_key == b.disk_key && same_timers(a.timers, b.timers) &&
           a.node == b.node &&
           (a.disk == b.disk || (a.disk && b.disk && same_value(*a.disk, *b.disk)));
  }
  static bool same_timers(const std::vector<ArmedTimer<P>>& a,
                          const std::vector<ArmedTimer<P>>& b) {
    return std::equal(
        a.begin(), a.end(), b.begin(), b.end(),
        [](const ArmedTimer<P>& x, const ArmedTimer<P>& y) { return x.key == y.key; });
  }

  InternTable<NodeSlot<P>> slots_;
  std::vector<NodeSlot<P>> scratch_;  // one per node (a node's slot keeps its shape: cheap to
                                      // assign)
};

}  // namespace faultline::explore
