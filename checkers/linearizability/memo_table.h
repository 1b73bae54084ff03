// The search's memo table: the set of (linearized-operation set, model state) pairs already
// explored (Lowe's memoization). Membership is exact: the 64-bit hash only picks a slot, and a
// hit requires the stored state word and the stored set to be equal, because a false "seen"
// would prune a branch and could turn `linearizable` into `not linearizable`.
//
// Memory grows with the number of states, not with states times history length: an entry
// stores its set in a compact form (LinearizedSet). Operations are numbered in invocation
// order, and the search places them roughly in that order, so the bitset is: a settled region
// (every completed operation placed; only unknown-outcome operations, which may stay unplaced
// forever, can be missing), a few mixed words, then zeros. An entry keeps
//   * the id of the settled region's words [0, lo) in a hash-consed binary tree of words (equal
//     words <=> equal id, so comparing ids compares the words exactly),
//   * the mixed words [lo, hi) literally, and the bounds lo and hi.
// The bounds are functions of the set (lo: the first word with an unplaced completed operation;
// hi: one past the last nonzero word, at least lo), so equal sets have equal entries.
//
// Layout: one flat arena of uint64 words, an entry being the state word, (lo << 32 | hi), the
// settled region's id, then words [lo, hi); an open-addressing index of (hash, offset + 1).
// No allocation per lookup; the arena and index grow geometrically.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <vector>

#include "sim/core/assert.h"

namespace faultline::lin {

// Hash-consing of pairs of 64-bit values: equal pairs get equal ids, different pairs different
// ids (exact: pairs are compared, the hash only finds the slot). Ids start at 1.
class PairTable {
 public:
  std::uint64_t intern(std::uint64_t a, std::uint64_t b) {
    if ((pairs_.size() + 1) * 2 > slots_.size()) grow();
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t slot = hash(a, b) & mask;; slot = (slot + 1) & mask) {
      const std::uint32_t id = slots_[slot];
      if (id == 0) {
        pairs_.push_back({a, b});
        slots_[slot] = static_cast<std::uint32_t>(pairs_.size());
        return pairs_.size();
      }
      if (pairs_[id - 1].a == a && pairs_[id - 1].b == b) return id;
    }
  }
  std::size_t bytes() const {
    return pairs_.capacity() * sizeof(Pair) + slots_.capacity() * sizeof(std::uint32_t);
  }

 private:
  struct Pair {
    std::uint64_t a, b;
  };
  static std::uint64_t hash(std::uint64_t a, std::uint64_t b) {
    std::uint64_t x = a * 0x9e3779b97f4a7c15ULL ^ std::rotl(b, 29) * 0xbf58476d1ce4e5b9ULL;
    return x ^ (x >> 31);
  }
  void grow() {
    FL_ASSERT(pairs_.size() < 0x7fffffff, "pair table overflow");
    std::vector<std::uint32_t> slots(slots_.empty() ? 64 : slots_.size() * 2, 0);
    const std::size_t mask = slots.size() - 1;
    for (std::size_t id = 1; id <= pairs_.size(); ++id) {
      std::size_t slot = hash(pairs_[id - 1].a, pairs_[id - 1].b) & mask;
      while (slots[slot] != 0) slot = (slot + 1) & mask;
      slots[slot] = static_cast<std::uint32_t>(id);
    }
    slots_.swap(slots);
  }

  std::vector<Pair> pairs_;
  std::vector<std::uint32_t> slots_;  // pair id; 0: empty
};

// The linearized operations as a bitset (bit = the operation's rank by invocation) that keeps
// its compact form up to date as bits change: the bounds lo and hi, and the settled region's
// id. The region is the root of a complete binary tree over the words (leaves at or after lo
// read as 0), whose inner nodes are PairTable ids of their children: a word change costs
// O(log words) lookups. The bounds move by amortized O(1) words when bits change near them, as
// in the search. Every id stays valid as long as the set lives, so entries can be compared.
class LinearizedSet {
 public:
  static std::size_t words_for(std::size_t bits) {
    return std::max<std::size_t>(1, (bits + 63) / 64);
  }

  // The buffer's size in words for a set of `words` words.
  static std::size_t storage_words(std::size_t words) {
    return 2 * words + 2 * std::bit_ceil(words);
  }

  // completed: words_for(operations) words, bit i set when operation i completed (it must be
  // placed before the search ends). One allocation holds the set, the masks and the tree.
  explicit LinearizedSet(std::vector<std::uint64_t> completed)
      : words_(completed.size()), leaves_(std::bit_ceil(words_)), data_(std::move(completed)) {
    data_.resize(storage_words(words_), 0);  // masks, then words, then the tree
    tree_ = data_.data() + 2 * words_;
    std::uint64_t below = 0;  // every leaf is 0, so every node of a level has the same id
    for (std::size_t width = leaves_ / 2; width >= 1; width /= 2) {
      below = pairs_.intern(below, below);
      std::fill(tree_ + width, tree_ + 2 * width, below);
    }
    advance_lo();
  }
  LinearizedSet(const LinearizedSet&) = delete;
  LinearizedSet& operator=(const LinearizedSet&) = delete;

  bool test(std::uint32_t pos) const { return (word(pos >> 6) >> (pos & 63)) & 1; }
  void set(std::uint32_t pos) {
    const std::uint32_t w = pos >> 6;
    word(w) |= std::uint64_t{1} << (pos & 63);
    if (w >= hi_) hi_ = w + 1;
    if (w < lo_) set_leaf(w, word(w));  // an unknown-outcome operation in the settled region
    if (w == lo_) advance_lo();
  }
  void reset(std::uint32_t pos) {
    const std::uint32_t w = pos >> 6;
    const std::uint64_t bit = std::uint64_t{1} << (pos & 63);
    word(w) &= ~bit;
    while (hi_ > 0 && word(hi_ - 1) == 0) --hi_;
    if (w >= lo_) return;
    if ((data_[w] & bit) == 0) {  // not a completed operation: lo stays
      set_leaf(w, word(w));
      return;
    }
    for (std::uint32_t k = w; k < lo_; ++k) set_leaf(k, 0);  // no longer settled
    lo_ = w;
  }

  std::uint32_t lo() const { return lo_; }
  std::uint32_t hi() const { return std::max(lo_, hi_); }  // the mixed words are [lo, hi)
  std::uint64_t settled_id() const { return tree_[1]; }
  const std::uint64_t* words() const { return data_.data() + words_; }
  std::size_t bytes() const { return data_.capacity() * sizeof(std::uint64_t) + pairs_.bytes(); }

 private:
  std::uint64_t& word(std::size_t w) { return data_[words_ + w]; }
  std::uint64_t word(std::size_t w) const { return data_[words_ + w]; }
  void advance_lo() {
    while (lo_ < words_ && (word(lo_) & data_[lo_]) == data_[lo_]) {
      set_leaf(lo_, word(lo_));
      ++lo_;
    }
  }
  void set_leaf(std::size_t k, std::uint64_t value) {
    std::size_t i = leaves_ + k;
    if (tree_[i] == value) return;
    tree_[i] = value;
    for (i /= 2; i >= 1; i /= 2) tree_[i] = pairs_.intern(tree_[2 * i], tree_[2 * i + 1]);
  }

  std::size_t words_;
  std::size_t leaves_;
  // [0, words): per word, the bits of completed operations; [words, 2 words): the set;
  // then the tree: [1, leaves) PairTable ids, [leaves, 2 leaves) the settled words.
  std::vector<std::uint64_t> data_;
  std::uint64_t* tree_ = nullptr;
  PairTable pairs_;
  std::uint32_t lo_ = 0;
  std::uint32_t hi_ = 0;
};

class MemoTable {
 public:
  // Inserts the pair; returns false if it was already present.
  bool insert(std::uint64_t hash, std::uint64_t state, const LinearizedSet& set) {
    if ((count_ + 1) * 2 > slots_.size()) grow();
    if (arena_.empty()) arena_.reserve(initial_slots * 4);
    const std::size_t mask = slots_.size() - 1;
    const std::uint64_t bounds = (std::uint64_t{set.lo()} << 32) | set.hi();
    for (std::size_t slot = hash & mask;; slot = (slot + 1) & mask) {
      const std::uint32_t entry = slots_[slot];
      if (entry == 0) {
        FL_ASSERT(arena_.size() < max_offset, "memo table arena overflow");
        slots_[slot] = static_cast<std::uint32_t>(arena_.size() + 1);
        slot_hash_[slot] = hash;
        arena_.push_back(state);
        arena_.push_back(bounds);
        arena_.push_back(set.settled_id());
        arena_.insert(arena_.end(), set.words() + set.lo(), set.words() + set.hi());
        ++count_;
        return true;
      }
      if (slot_hash_[slot] == hash && equal(entry - 1, state, bounds, set)) return false;
    }
  }

  std::size_t size() const { return count_; }
  // Bytes held (capacity, not size): what the memory budget and the reports count.
  std::size_t bytes() const {
    return arena_.capacity() * sizeof(std::uint64_t) + slots_.capacity() * sizeof(std::uint32_t) +
           slot_hash_.capacity() * sizeof(std::uint64_t);
  }

 private:
  static constexpr std::size_t max_offset = std::size_t{0xffffffff} - 1;
  static constexpr std::size_t initial_slots = 64;

  bool equal(std::size_t offset, std::uint64_t state, std::uint64_t bounds,
             const LinearizedSet& set) const {
    const std::uint64_t* stored = arena_.data() + offset;
    return stored[0] == state && stored[1] == bounds && stored[2] == set.settled_id() &&
           std::memcmp(stored + 3, set.words() + set.lo(),
                       (set.hi() - set.lo()) * sizeof(std::uint64_t)) == 0;
  }

  void grow() {
    FL_ASSERT(slots_.size() < (std::size_t{1} << 31), "memo table index overflow");
    std::vector<std::uint32_t> old_slots(slots_.empty() ? initial_slots : slots_.size() * 2);
    std::vector<std::uint64_t> old_hash(old_slots.size());
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

  std::size_t count_ = 0;
  std::vector<std::uint64_t> arena_;
  std::vector<std::uint32_t> slots_;  // arena offset + 1; 0: empty
  std::vector<std::uint64_t> slot_hash_;
};

}  // namespace faultline::lin
