// TimerTable<Timer>: the timers each node has armed, for the simulator. A node arms a timer by
// value (set_timer); arming it again re-arms the same slot with a new generation, so a fire
// event scheduled for an earlier generation finds it stale and does nothing. Cancelling disarms.
//
// Invariants: generations only grow, across all nodes, so a (node, generation, slot) names one
// arming; a crashed node's slots are cleared (a down node has no armed timers); slot indices of
// a node stay valid until its slots are cleared; a disarmed slot may be reused for another
// timer, and an arming from before the reuse is stale and names no timer.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/core/assert.h"
#include "sim/core/ids.h"

namespace faultline {

template <class Timer>
class TimerTable {
 public:
  // One arming: what the fire event carries to find it again.
  struct Armed {
    std::uint64_t generation;
    std::uint32_t slot;
  };

  explicit TimerTable(std::uint32_t node_count) : slots_(node_count) {}

  Armed arm(NodeId node, const Timer& timer) {
    FL_ASSERT(node.value < slots_.size(), "a timer for a node that does not exist");
    Slot& slot = slot_for(node, timer);
    slot.generation = ++generation_;
    if (slot.first_generation == 0) slot.first_generation = slot.generation;
    slot.armed = true;
    return Armed{slot.generation, static_cast<std::uint32_t>(&slot - slots_[node.value].data())};
  }

  void cancel(NodeId node, const Timer& timer) {
    for (Slot& slot : slots_[node.value])
      if (slot.timer == timer) slot.armed = false;
  }

  // Whether the arming is still the current one (not re-armed, cancelled or cleared since).
  bool is_current(NodeId node, Armed armed) const {
    const auto& slots = slots_[node.value];
    if (armed.slot >= slots.size()) return false;
    const Slot& slot = slots[armed.slot];
    return slot.armed && slot.generation == armed.generation;
  }

  // Disarms a current arming and returns its timer: the timer fires.
  Timer fire(NodeId node, Armed armed) {
    FL_ASSERT(is_current(node, armed), "only a current arming fires");
    Slot& slot = slots_[node.value][armed.slot];
    slot.armed = false;
    return slot.timer;
  }

  void clear(NodeId node) { slots_[node.value].clear(); }

  // The timer of an arming, current or stale (nullptr when its slot is gone or now holds
  // another timer): for describing pending fire events, never for firing.
  const Timer* timer_of(NodeId node, Armed armed) const {
    const auto& slots = slots_[node.value];
    if (armed.slot >= slots.size()) return nullptr;
    const Slot& slot = slots[armed.slot];
    return armed.generation >= slot.first_generation ? &slot.timer : nullptr;
  }

 private:
  struct Slot {
    Timer timer;
    std::uint64_t generation = 0;
    std::uint64_t first_generation = 0;  // the slot's first arming for this timer
    bool armed = false;
  };

  // The timer's slot; else a disarmed one, reused (a stale fire event for its old timer carries
  // an older generation, so it stays stale); else a new one. Reuse keeps a node's slots as many
  // as its timers armed at once: per-request timers (a deadline per client request) would
  // otherwise add a slot per request, and every arm and cancel scans them all.
  Slot& slot_for(NodeId node, const Timer& timer) {
    auto& slots = slots_[node.value];
    Slot* disarmed = nullptr;
    for (Slot& slot : slots) {
      if (slot.timer == timer) return slot;
      if (!slot.armed && disarmed == nullptr) disarmed = &slot;
    }
    if (disarmed != nullptr) {
      *disarmed = Slot{timer, disarmed->generation, 0, false};
      return *disarmed;
    }
    slots.push_back(Slot{timer, 0, 0, false});
    return slots.back();
  }

  std::vector<std::vector<Slot>> slots_;
  std::uint64_t generation_ = 0;
};

}  // namespace faultline
