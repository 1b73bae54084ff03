// EventQueue: a min-heap of event handles ordered by (time, sequence number).
//
// The sequence number is assigned at push and strictly increases, so events at the same instant
// run in the order they were scheduled, never by pointer or hash (DESIGN.md 4.2). Payloads live
// in a slab indexed by the handle, recycled through a free list, so steady-state scheduling
// does not allocate. Each heap entry is one 128-bit key, time (high 64 bits, never negative)
// then sequence (40 bits) then slab slot (24 bits), so ordering is one integer comparison.
// pop() uses Floyd's bottom-up sift: walk the hole to a leaf along smaller children, then sift
// the last entry up from there, which saves about half the comparisons of a classic sift-down.
// At most slot_limit - 1 events are pending: a push beyond that is refused and remembered
// (overflowed()), never an abort; the engine's pending-events budget ends such a run first.
// (Issue 17 tried a calendar of time buckets here: ping on 100 nodes ran 8% faster, but the
// many-seed rows of `bench engine` 3-9% slower, so the heap stayed: sim/engine/README.md.)
#pragma once

#include <bit>
#include <cstdint>
#include <utility>
#include <vector>

#include "sim/core/assert.h"
#include "sim/core/int128.h"
#include "sim/core/time.h"

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

  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  std::uint64_t pushed_count() const { return next_sequence_; }
  // Whether a push was refused because slot_limit events were pending.
  bool overflowed() const { return overflowed_; }
  static constexpr std::uint64_t slot_limit = SlotLimit;

  // Calls visit(time, payload) for every pending event, in no particular order.
  template <class Visit>
  void for_each_pending(Visit&& visit) const {
    for (const uint128 key : heap_)
      visit(Time{static_cast<std::int64_t>(key >> 64)},
            slab_[static_cast<std::uint32_t>(key & (slot_limit - 1))]);
  }

  Time next_time() const {
    FL_ASSERT(!heap_.empty(), "next_time on an empty queue");
    return Time{static_cast<std::int64_t>(heap_.front() >> 64)};
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
    heap_.push_back(key);
    sift_up(heap_.size() - 1, key);
  }

  Popped pop() {
    FL_ASSERT(!heap_.empty(), "pop on an empty queue");
    const uint128 top = heap_.front();
    const uint128 last = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) {
      // Floyd: move the hole from the root to a leaf along the smaller child...
      std::size_t hole = 0;
      const std::size_t size = heap_.size();
      while (true) {
        std::size_t child = 2 * hole + 1;
        if (child >= size) break;
        if (child + 1 < size && heap_[child + 1] < heap_[child]) ++child;
        heap_[hole] = heap_[child];
        hole = child;
      }
      // ...then put the last entry there and let it rise to its place.
      sift_up(hole, last);
    }
    const auto slot = static_cast<std::uint32_t>(top & (slot_limit - 1));
    free_slots_.push_back(slot);
    const auto order = static_cast<std::uint64_t>(top);
    return Popped{Time{static_cast<std::int64_t>(top >> 64)}, order >> kSlotBits,
                  std::move(slab_[slot])};
  }

 private:
  static constexpr int kSlotBits = 24;
  static_assert(slot_limit <= std::uint64_t{1} << kSlotBits, "a slot fits the key's slot bits");
  static_assert(std::has_single_bit(slot_limit), "slots are masked out of the key");

  void sift_up(std::size_t index, uint128 key) {
    while (index > 0) {
      const std::size_t parent = (index - 1) / 2;
      if (!(key < heap_[parent])) break;
      heap_[index] = heap_[parent];
      index = parent;
    }
    heap_[index] = key;
  }

  std::vector<uint128> heap_;
  std::vector<Payload> slab_;
  std::vector<std::uint32_t> free_slots_;
  std::uint64_t next_sequence_ = 0;
  bool overflowed_ = false;
};

}  // namespace faultline
