// EventQueue: event payloads popped in (time, sequence number) order.
//
// The sequence number is assigned at push and strictly increases, so events at the same instant
// run in the order they were scheduled, never by pointer or hash (DESIGN.md 4.2). Payloads live
// in a slab indexed by the handle, recycled through a free list, so steady-state scheduling
// does not allocate. Each event is one 128-bit key, time (high 64 bits, never negative) then
// sequence (40 bits) then slab slot (24 bits), so ordering is one integer comparison; the keys
// wait in a calendar of time buckets (calendar_keys.h), which pops them in increasing order
// (issue 17: cheaper per event than the binary heap it replaced, same order).
// At most slot_limit - 1 events are pending: a push beyond that is refused and remembered
// (overflowed()), never an abort; the engine's pending-events budget ends such a run first.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "sim/core/assert.h"
#include "sim/core/int128.h"
#include "sim/core/time.h"
#include "sim/engine/calendar_keys.h"

namespace faultline {

// SlotLimit: 2^24 (the key's slot bits); tests use a small one to reach it.
template <class Payload, std::uint64_t SlotLimit = (std::uint64_t{1} << 24)>
class EventQueue {
 public:
  struct Popped {
    Time time;
    std::uint64_t sequence;
    Payload payload;
  };

  bool empty() const { return keys_.empty(); }
  std::size_t size() const { return keys_.size(); }
  std::uint64_t pushed_count() const { return next_sequence_; }
  // Whether a push was refused because slot_limit events were pending.
  bool overflowed() const { return overflowed_; }
  static constexpr std::uint64_t slot_limit = SlotLimit;

  // Calls visit(time, payload) for every pending event, in no particular order.
  template <class Visit>
  void for_each_pending(Visit&& visit) const {
    keys_.for_each([&](uint128 key) {
      visit(Time{static_cast<std::int64_t>(key >> 64)},
            slab_[static_cast<std::uint32_t>(key & kSlotMask)]);
    });
  }

  Time next_time() const {
    FL_ASSERT(!keys_.empty(), "next_time on an empty queue");
    return Time{static_cast<std::int64_t>(keys_.top() >> 64)};
  }

  void push(Time time, Payload payload) {
    FL_ASSERT(time.nanoseconds >= 0, "events are scheduled at non-negative times");
    std::uint32_t slot;
    if (!free_slots_.empty()) {
      slot = free_slots_.back();
      free_slots_.pop_back();
      slab_[slot] = std::move(payload);
    } else {
      if (slab_.size() + 1 >= slot_limit) {
        overflowed_ = true;
        return;
      }
      slot = static_cast<std::uint32_t>(slab_.size());
      slab_.push_back(std::move(payload));
    }
    const uint128 key = (static_cast<uint128>(static_cast<std::uint64_t>(time.nanoseconds)) << 64) |
                        (next_sequence_++ << kSlotBits) | slot;
    keys_.push(key);
  }

  Popped pop() {
    FL_ASSERT(!keys_.empty(), "pop on an empty queue");
    const uint128 top = keys_.pop();
    const auto slot = static_cast<std::uint32_t>(top & kSlotMask);
    free_slots_.push_back(slot);
    const auto order = static_cast<std::uint64_t>(top);
    return Popped{Time{static_cast<std::int64_t>(top >> 64)}, order >> kSlotBits,
                  std::move(slab_[slot])};
  }

 private:
  static constexpr int kSlotBits = 24;
  static_assert(slot_limit <= std::uint64_t{1} << kSlotBits, "a slot fits the key's slot bits");
  static constexpr uint128 kSlotMask = (uint128{1} << kSlotBits) - 1;

  CalendarKeys keys_;
  std::vector<Payload> slab_;
  std::vector<std::uint32_t> free_slots_;
  std::uint64_t next_sequence_ = 0;
  bool overflowed_ = false;
};

}  // namespace faultline
