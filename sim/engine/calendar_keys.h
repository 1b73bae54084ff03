// CalendarKeys: 128-bit event keys popped in increasing order, for the event queue.
//
// A key is time (high 64 bits) then anything that makes it unique (the event queue puts the
// scheduling sequence and a slab slot there), so increasing key order is (time, sequence)
// order, exactly: the structure below only decides where a key waits, never the order of pops.
//
// Why not one heap: a simulation schedules almost every event a little after the current time,
// so a heap pays log2(n) mispredicted comparisons per event to order keys that a bucket by time
// already separates. Keys wait in three places, by their bucket (time >> shift_):
//   near_  bucket <= cur_           a binary heap, usually of one to three keys;
//   ring_  cur_ < bucket < cur_+R   unsorted vectors, one per bucket, with a bitmap of the
//                                   non-empty ones;
//   far_   bucket >= cur_ + R       a binary heap.
// Every key in near_ is below every key elsewhere (its bucket is lower), so near_'s top is the
// minimum. When near_ empties, cur_ moves to the next non-empty ring bucket (or, with the ring
// empty, to far_'s top) and that bucket's keys move into near_; far_ keys that the new window
// covers move into the ring. Any key may be pushed at any time (a key below cur_'s bucket goes
// to near_), so correctness needs no monotone time; speed does.
//
// The bucket width adapts: every kEpoch pops it is set near the mean gap between popped times,
// and the keys are re-placed (O(n), at most once per n pops). Invariant: near_ is empty only
// when the whole structure is.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <vector>

#include "sim/core/assert.h"
#include "sim/core/int128.h"

namespace faultline {

// A binary min-heap of keys; pop() uses Floyd's bottom-up sift (walk the hole to a leaf along
// smaller children, then sift the last key up), about half the comparisons of a classic one.
class KeyHeap {
 public:
  bool empty() const { return keys_.empty(); }
  std::size_t size() const { return keys_.size(); }
  uint128 top() const {
    FL_ASSERT(!keys_.empty(), "top of an empty heap");
    return keys_.front();
  }
  const std::vector<uint128>& keys() const { return keys_; }
  void clear() { keys_.clear(); }

  void push(uint128 key) {
    keys_.push_back(key);
    sift_up(keys_.size() - 1, key);
  }

  uint128 pop() {
    FL_ASSERT(!keys_.empty(), "pop of an empty heap");
    const uint128 top = keys_.front();
    const uint128 last = keys_.back();
    keys_.pop_back();
    if (keys_.empty()) return top;
    std::size_t hole = 0;
    const std::size_t size = keys_.size();
    while (true) {
      std::size_t child = 2 * hole + 1;
      if (child >= size) break;
      if (child + 1 < size && keys_[child + 1] < keys_[child]) ++child;
      keys_[hole] = keys_[child];
      hole = child;
    }
    sift_up(hole, last);
    return top;
  }

 private:
  void sift_up(std::size_t index, uint128 key) {
    while (index > 0) {
      const std::size_t parent = (index - 1) / 2;
      if (!(key < keys_[parent])) break;
      keys_[index] = keys_[parent];
      index = parent;
    }
    keys_[index] = key;
  }

  std::vector<uint128> keys_;
};

class CalendarKeys {
 public:
  static constexpr std::uint64_t kRingBuckets = 4096;
  static constexpr std::uint64_t kEpoch = 4096;  // pops between width adjustments

  CalendarKeys() : ring_(kRingBuckets) {}

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  int shift() const { return shift_; }

  uint128 top() const {
    FL_ASSERT(!near_.empty(), "top of an empty queue");
    return near_.top();
  }

  void push(uint128 key) {
    ++size_;
    if (size_ == 1) {
      FL_ASSERT(near_.empty(), "an empty queue holds nothing near");
      cur_ = bucket(key);
      near_.push(key);
      return;
    }
    place(key);
  }

  uint128 pop() {
    const uint128 key = near_.pop();
    --size_;
    if (++epoch_pops_ == kEpoch) adapt(time_of(key));
    if (near_.empty() && size_ > 0) refill();
    FL_ASSERT(size_ == 0 || !near_.empty(), "near holds the minimum of a non-empty queue");
    return key;
  }

  // Calls visit(key) for every key held, in no particular order.
  template <class Visit>
  void for_each(Visit&& visit) const {
    for (const uint128 key : near_.keys()) visit(key);
    for (const std::vector<uint128>& slot : ring_)
      for (const uint128 key : slot) visit(key);
    for (const uint128 key : far_.keys()) visit(key);
  }

 private:
  static std::uint64_t time_of(uint128 key) { return static_cast<std::uint64_t>(key >> 64); }
  std::uint64_t bucket(uint128 key) const { return time_of(key) >> shift_; }

  void place(uint128 key) {
    const std::uint64_t b = bucket(key);
    if (b <= cur_) return near_.push(key);
    if (b - cur_ >= kRingBuckets) return far_.push(key);
    const std::uint64_t slot = b & (kRingBuckets - 1);
    ring_[slot].push_back(key);
    occupied_[slot / 64] |= std::uint64_t{1} << (slot % 64);
    ++ring_size_;
  }

  // The first non-empty ring slot after `slot`, circularly (the ring is not empty).
  std::uint64_t next_occupied(std::uint64_t slot) const {
    std::uint64_t at = (slot + 1) & (kRingBuckets - 1);
    for (std::uint64_t words = 0; words <= kWords; ++words) {
      const std::uint64_t bits = occupied_[at / 64] >> (at % 64);
      if (bits != 0)
        return (at + static_cast<std::uint64_t>(std::countr_zero(bits))) & (kRingBuckets - 1);
      at = ((at | 63) + 1) & (kRingBuckets - 1);
    }
    FL_UNREACHABLE("next_occupied on an empty ring");
  }

  // near_ is empty and something waits: move the next bucket's keys into near_.
  void refill() {
    if (ring_size_ > 0) {
      const std::uint64_t slot = next_occupied(cur_ & (kRingBuckets - 1));
      cur_ += (slot - cur_) & (kRingBuckets - 1);
      std::vector<uint128>& keys = ring_[slot];
      for (const uint128 key : keys) near_.push(key);
      ring_size_ -= keys.size();
      keys.clear();
      occupied_[slot / 64] &= ~(std::uint64_t{1} << (slot % 64));
    } else {
      FL_ASSERT(!far_.empty(), "a non-empty queue with nothing in the ring holds keys far");
      cur_ = bucket(far_.top());
    }
    while (!far_.empty() && bucket(far_.top()) - cur_ < kRingBuckets) place(far_.pop());
    FL_ASSERT(!near_.empty(), "a refill finds the next key");
  }

  // Every kEpoch pops: a bucket width near half the mean gap between popped times (a bucket
  // then holds about one event), or wide enough that the ring spans twice the pending events'
  // spread (about size_ gaps), whichever is wider. Every key is re-placed if the width changed
  // and at least `size_` pops passed since the last re-placement: O(1) per pop, amortised.
  void adapt(std::uint64_t now) {
    const std::uint64_t gap = now > epoch_start_ ? (now - epoch_start_) / kEpoch : 0;
    epoch_start_ = now;
    epoch_pops_ = 0;
    pops_since_rebuild_ += kEpoch;
    const uint128 spread = static_cast<uint128>(gap) * size_ * 2 / kRingBuckets;
    const uint128 width = std::max(static_cast<uint128>(gap / 2), spread);
    const auto capped = static_cast<std::uint64_t>(std::min(width, uint128{1} << 62));
    const int wanted = static_cast<int>(std::bit_width(capped));
    if (wanted == shift_) return;
    if (pops_since_rebuild_ < size_) return;
    pops_since_rebuild_ = 0;
    rebuild(wanted);
  }

  void rebuild(int new_shift) {
    FL_ASSERT(new_shift >= 0, "a bucket width is a power of two");
    FL_ASSERT(new_shift < 64, "a bucket width below 2^64 ns");
    std::vector<uint128> keys;
    keys.reserve(size_);
    for_each([&](uint128 key) { keys.push_back(key); });
    FL_ASSERT(keys.size() == size_, "every key is somewhere");
    near_.clear();
    far_.clear();
    for (std::vector<uint128>& slot : ring_) slot.clear();
    occupied_ = {};
    ring_size_ = 0;
    shift_ = new_shift;
    if (keys.empty()) return;
    cur_ = bucket(*std::min_element(keys.begin(), keys.end()));
    for (const uint128 key : keys) place(key);
    FL_ASSERT(!near_.empty(), "the minimum is near");
  }

  static constexpr std::uint64_t kWords = kRingBuckets / 64;

  KeyHeap near_;
  std::vector<std::vector<uint128>> ring_;
  std::array<std::uint64_t, kWords> occupied_{};
  KeyHeap far_;
  std::size_t size_ = 0;
  std::size_t ring_size_ = 0;
  std::uint64_t cur_ = 0;  // near_'s bucket: the bucket of the last refill
  int shift_ = 16;         // a bucket is 2^shift_ ns (65.5 us to start)
  std::uint64_t epoch_pops_ = 0;
  std::uint64_t epoch_start_ = 0;  // the time popped when the epoch began
  std::uint64_t pops_since_rebuild_ = 0;
};

}  // namespace faultline
