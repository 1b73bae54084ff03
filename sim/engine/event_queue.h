// EventQueue: a min-heap of event handles ordered by (time, sequence number).
//
// The sequence number is assigned at push and strictly increases, so events at the same instant
// run in the order they were scheduled, never by pointer or hash (DESIGN.md 4.2). Payloads live
// in a slab indexed by the handle, recycled through a free list, so steady-state scheduling
// does not allocate. The heap is 4-ary: shallower than binary, and its children share a line.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "sim/core/assert.h"
#include "sim/core/time.h"

namespace faultline {

template <class Payload>
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

  Time next_time() const {
    FL_ASSERT(!heap_.empty(), "next_time on an empty queue");
    return heap_.front().time;
  }

  void push(Time time, Payload payload) {
    std::uint32_t slot;
    if (!free_slots_.empty()) {
      slot = free_slots_.back();
      free_slots_.pop_back();
      slab_[slot] = std::move(payload);
    } else {
      slot = static_cast<std::uint32_t>(slab_.size());
      slab_.push_back(std::move(payload));
    }
    FL_ASSERT(slot < kSlotLimit, "more than 16M events pending");
    heap_.push_back(Entry{time, (next_sequence_++ << kSlotBits) | slot});
    sift_up(heap_.size() - 1);
  }

  Popped pop() {
    FL_ASSERT(!heap_.empty(), "pop on an empty queue");
    const Entry top = heap_.front();
    heap_.front() = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) sift_down(0);
    const auto slot = static_cast<std::uint32_t>(top.order & (kSlotLimit - 1));
    free_slots_.push_back(slot);
    return Popped{top.time, top.order >> kSlotBits, std::move(slab_[slot])};
  }

 private:
  // 16 bytes, so four children share one cache line: the sequence number (high 40 bits) and the
  // slab slot (low 24 bits) share a word; ordering by that word orders by sequence.
  struct Entry {
    Time time;
    std::uint64_t order;
  };
  static constexpr int kSlotBits = 24;
  static constexpr std::uint64_t kSlotLimit = std::uint64_t{1} << kSlotBits;
  static constexpr std::size_t kArity = 4;

  static bool before(const Entry& a, const Entry& b) {
    if (a.time.nanoseconds != b.time.nanoseconds) return a.time.nanoseconds < b.time.nanoseconds;
    return a.order < b.order;
  }

  void sift_up(std::size_t index) {
    const Entry entry = heap_[index];
    while (index > 0) {
      const std::size_t parent = (index - 1) / kArity;
      if (!before(entry, heap_[parent])) break;
      heap_[index] = heap_[parent];
      index = parent;
    }
    heap_[index] = entry;
  }

  void sift_down(std::size_t index) {
    const Entry entry = heap_[index];
    const std::size_t size = heap_.size();
    while (true) {
      const std::size_t first_child = index * kArity + 1;
      if (first_child >= size) break;
      std::size_t best = first_child;
      const std::size_t last_child = first_child + kArity < size ? first_child + kArity : size;
      for (std::size_t c = first_child + 1; c < last_child; ++c)
        if (before(heap_[c], heap_[best])) best = c;
      if (!before(heap_[best], entry)) break;
      heap_[index] = heap_[best];
      index = best;
    }
    heap_[index] = entry;
  }

  std::vector<Entry> heap_;
  std::vector<Payload> slab_;
  std::vector<std::uint32_t> free_slots_;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace faultline
