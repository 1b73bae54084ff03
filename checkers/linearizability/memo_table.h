// The search's memo table: the set of (linearized-operation bitset, model state) pairs already
// explored (Lowe's memoization). Membership is exact: the 64-bit hash only picks a slot, and a
// hit requires the stored state word and every bitset word to be equal, because a false "seen"
// would prune a branch and could turn `linearizable` into `not linearizable`.
//
// Layout: one flat arena of uint64 words, entry i at [i * stride, (i + 1) * stride): the state
// word then the bitset words; an open-addressing index of (hash, entry + 1). No allocation per
// lookup; the arena and index grow geometrically.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "sim/core/assert.h"

namespace faultline::lin {

class MemoTable {
 public:
  explicit MemoTable(std::size_t bitset_words)
      : bitset_words_(bitset_words), stride_(bitset_words + 1), slots_(1024), slot_hash_(1024) {}

  // Inserts the pair; returns false if it was already present.
  bool insert(std::uint64_t hash, std::uint64_t state, const std::uint64_t* bits) {
    if ((count_ + 1) * 2 > slots_.size()) grow();
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t slot = hash & mask;; slot = (slot + 1) & mask) {
      const std::uint32_t entry = slots_[slot];
      if (entry == 0) {
        slots_[slot] = static_cast<std::uint32_t>(count_ + 1);
        slot_hash_[slot] = hash;
        arena_.push_back(state);
        arena_.insert(arena_.end(), bits, bits + bitset_words_);
        ++count_;
        return true;
      }
      if (slot_hash_[slot] == hash && equal(entry - 1, state, bits)) return false;
    }
  }

  std::size_t size() const { return count_; }
  std::size_t bytes() const {
    return arena_.capacity() * sizeof(std::uint64_t) +
           slots_.capacity() * (sizeof(std::uint32_t) + sizeof(std::uint64_t));
  }

 private:
  bool equal(std::size_t entry, std::uint64_t state, const std::uint64_t* bits) const {
    const std::uint64_t* stored = arena_.data() + entry * stride_;
    return stored[0] == state &&
           std::memcmp(stored + 1, bits, bitset_words_ * sizeof(std::uint64_t)) == 0;
  }

  void grow() {
    FL_ASSERT(slots_.size() < (std::size_t{1} << 31), "memo table index overflow");
    std::vector<std::uint32_t> old_slots(slots_.size() * 2);
    std::vector<std::uint64_t> old_hash(slot_hash_.size() * 2);
    old_slots.swap(slots_);
    old_hash.swap(slot_hash_);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = 0; i < old_slots.size(); ++i) {
      if (old_slots[i] == 0) continue;
      std::size_t slot = old_hash[i] & mask;
      while (slots_[slot] != 0) slot = (slot + 1) & mask;
      slots_[slot] = old_slots[i];
      slot_hash_[slot] = old_hash[i];
    }
  }

  std::size_t bitset_words_;
  std::size_t stride_;
  std::size_t count_ = 0;
  std::vector<std::uint64_t> arena_;
  std::vector<std::uint32_t> slots_;
  std::vector<std::uint64_t> slot_hash_;
};

}  // namespace faultline::lin
