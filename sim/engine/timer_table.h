// TimerTable<Timer>: the timers each node has armed, for the simulator. A node arms a timer by
// value (set_timer); arming it again re-arms the same slot with a new generation, so a fire
// event scheduled for an earlier generation finds it stale and does nothing. Cancelling disarms.
//
// Invariants: generations only grow, across all nodes, so a (node, generation, slot) names one
// arming; a crashed node's slots are cleared (a down node has no armed timers); slot indices of
// a node stay valid until its slots are cleared.
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

  // The timer of an arming's slot, current or stale (nullptr when the slot is gone): for
  // describing pending fire events, never for firing.
  const Timer* timer_of(NodeId node, Armed armed) const {
    const auto& slots = slots_[node.value];
    return armed.slot < slots.size() ? &slots[armed.slot].timer : nullptr;
  }

 private:
  struct Slot {
    Timer timer;
    std::uint64_t generation = 0;
    bool armed = false;
  };

  Slot& slot_for(NodeId node, const Timer& timer) {
    auto& slots = slots_[node.value];
    for (Slot& slot : slots)
      if (slot.timer == timer) return slot;
    slots.push_back(Slot{timer, 0, false});
    return slots.back();
  }

  std::vector<std::vector<Slot>> slots_;
  std::uint64_t generation_ = 0;
};

}  // namespace faultline
