// FlatTable<Value, Idle>: a hash map from 64-bit keys to small values, open addressing with
// linear probing, for per-link state kept only while a link is in use (network.h): memory grows
// with the links in use, not with the square of the node count.
//
// Entries the caller no longer needs (Idle{}(value) is true) are not erased one by one, which
// would cost a backward shift per message: they are dropped in bulk when the table would grow
// past reclaim_floor slots (1.5 MiB of links), and the table doubles only if the entries still
// in use fill a quarter of it. A small cluster's links therefore stay put (no churn at all) and
// a large one's table stays within about four times the links in use.
//
// Invariants: the table is a power of two in size and at most half full; a slot is empty when
// its key is kEmpty (a key the caller never uses); entries are never removed one at a time, so a
// lookup stops at the first empty slot. Lookup is the only query: the order of the slots is
// never observed (DESIGN.md 4.3), so a run cannot depend on it, and dropping an idle
// entry is invisible (its lookup returns a value-initialised entry, which an idle one equals in
// every way the caller reads).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "sim/core/assert.h"

namespace faultline {

// Never idle: entries stay until the table is cleared.
struct NeverIdle {
  template <class Value>
  bool operator()(const Value&) const {
    return false;
  }
};

template <class Value, class Idle = NeverIdle>
class FlatTable {
 public:
  static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};
  static constexpr std::size_t reclaim_floor = std::size_t{1} << 16;

  FlatTable() : slots_(16) {}

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return slots_.size(); }

  // The value stored for `key`, or nullptr.
  Value* find(std::uint64_t key) {
    FL_ASSERT(key != kEmpty, "the empty marker is not a key");
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = home(key, mask);; i = (i + 1) & mask) {
      if (slots_[i].key == key) return &slots_[i].value;
      if (slots_[i].key == kEmpty) return nullptr;
    }
  }
  const Value* find(std::uint64_t key) const { return const_cast<FlatTable*>(this)->find(key); }

  // The value stored for `key`, value-initialised first if there was none.
  Value& at(std::uint64_t key) {
    FL_ASSERT(key != kEmpty, "the empty marker is not a key");
    if ((size_ + 1) * 2 > slots_.size()) grow();
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = home(key, mask);
    while (slots_[i].key != key && slots_[i].key != kEmpty) i = (i + 1) & mask;
    if (slots_[i].key == kEmpty) {
      slots_[i] = Slot{key, Value{}};
      ++size_;
    }
    return slots_[i].value;
  }

  void clear() {
    slots_.assign(16, Slot{});
    size_ = 0;
  }

 private:
  struct Slot {
    std::uint64_t key = kEmpty;
    Value value{};
  };

  // Fibonacci hashing: the top bits of key * 2^64/phi spread consecutive link keys.
  static std::size_t home(std::uint64_t key, std::size_t mask) {
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> 32) & mask;
  }

  // Doubles the table, or past reclaim_floor drops the idle entries first and doubles only if
  // the rest fill a quarter of it.
  void grow() {
    std::size_t capacity = slots_.size() * 2;
    const bool reclaim = slots_.size() >= reclaim_floor;
    if (reclaim) {
      std::size_t in_use = 0;
      for (const Slot& slot : slots_) in_use += slot.key != kEmpty && !Idle{}(slot.value);
      if (in_use * 4 <= slots_.size()) capacity = slots_.size();
    }
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(capacity, Slot{});
    size_ = 0;
    const std::size_t mask = slots_.size() - 1;
    for (Slot& slot : old) {
      if (slot.key == kEmpty || (reclaim && Idle{}(slot.value))) continue;
      std::size_t i = home(slot.key, mask);
      while (slots_[i].key != kEmpty) i = (i + 1) & mask;
      slots_[i] = std::move(slot);
      ++size_;
    }
  }

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

}  // namespace faultline
