// SlotStore<P>: the node slots of a Stepper's worlds. Interns every slot a stored world points
// at (one copy per distinct slot, found by key and confirmed by value) and keeps scratch slots,
// one per node in each of two banks, into which a step copies the slot it changes
// (copy-on-write).
//
// Invariants: a world points either at interned slots, which never change or move while the
// store lives, or, between a step and keep(), at a scratch slot of the changed node in the bank
// the step used; the next step in that bank overwrites it, so a world must be kept or dropped
// before then. Two banks let the explorer hold one successor while it builds the next (it
// settles a successor only once its visited-set probe has been fetched: explorer.h). Equal
// interned pointers mean equal slots.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/core/assert.h"
#include "sim/explore/key_tables.h"
#include "sim/explore/world_fingerprint.h"
#include "sim/explore/world_state.h"

namespace faultline::explore {

template <class P>
class SlotStore {
 public:
  static constexpr std::uint32_t kBanks = 2;

  explicit SlotStore(std::uint32_t node_count)
      : scratch_{std::vector<NodeSlot<P>>(node_count), std::vector<NodeSlot<P>>(node_count)} {}

  // The bank own() copies into from now on.
  void use_bank(std::uint32_t bank) {
    FL_ASSERT(bank < kBanks, "slot store: no such scratch bank");
    bank_ = bank;
  }

  // Copy-on-write: gives `world` a copy of one slot to change, in that node's scratch slot of
  // the current bank (assignment reuses its buffers: no allocation).
  NodeSlot<P>& own(World<P>& world, std::uint32_t node) {
    NodeSlot<P>& scratch = scratch_[bank_][node];
    if (world.slots[node] != &scratch) {
      FL_ASSERT(world.slots[node] != &scratch_[1 - bank_][node],
                "slot store: a world steps in the bank it was not built in");
      scratch = *world.slots[node];
      world.slots[node] = &scratch;
    }
    return scratch;
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

  // Whether `slot` is one of `node`'s scratch slots (not yet interned: its address is reused).
  bool is_scratch(std::uint32_t node, const NodeSlot<P>* slot) const {
    for (const std::vector<NodeSlot<P>>& bank : scratch_)
      if (slot == &bank[node]) return true;
    return false;
  }

  // Replaces any slot of `world` that points at a scratch slot by its interned copy.
  void keep(World<P>& world) {
    for (std::uint32_t i = 0; i < world.slots.size(); ++i)
      for (std::vector<NodeSlot<P>>& bank : scratch_)
        if (world.slots[i] == &bank[i]) world.slots[i] = intern(bank[i]);
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
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](const ArmedTimer<P>& x, const ArmedTimer<P>& y) {
                        return x.key == y.key && same_value(x.timer, y.timer);
                      });
  }

  InternTable<NodeSlot<P>> slots_;
  // Per bank, one per node (a node's slot keeps its shape: cheap to assign).
  std::vector<NodeSlot<P>> scratch_[kBanks];
  std::uint32_t bank_ = 0;
};

}  // namespace faultline::explore
