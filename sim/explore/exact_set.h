// ExactSet: the model checker's memory of whole states (`faultline check --exact`), for when a
// 64-bit fingerprint collision must be ruled out rather than estimated. Each entry is a state's
// fingerprint and its exact key: a run of 64-bit words naming the interned parts it is made of
// (world_exact_key(), stepper.h), compared word for word when fingerprints match.
//
// Invariants: membership is the only query, so iteration order never affects results (DESIGN.md
// 4.3); the index is a power of two and at most half full; keys live in an arena of fixed-size
// blocks that never move (growing copies no key); an entry's offset is stored plus one, so 0
// marks an empty slot. A key is at most kBlockWords - 1 words. SeenSet (below) picks between it
// and VisitedSet.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "sim/core/assert.h"
#include "sim/explore/visited_set.h"

namespace faultline::explore {

class ExactSet {
 public:
  ExactSet() : index_(std::size_t{1} << 12, Entry{0, 0}) {}

  // Inserts the state whose fingerprint is `fingerprint` and exact key `key`; returns true when
  // no state with that key was in the set (a state with the same fingerprint and another key is
  // a different state: both are kept).
  bool insert(std::uint64_t fingerprint, std::span<const std::uint64_t> key) {
    FL_ASSERT(!key.empty(), "exact set: an empty key");
    FL_ASSERT(key.size() < kBlockWords, "exact set: a key longer than a block");
    const std::size_t mask = index_.size() - 1;
    std::size_t i = home(fingerprint, mask);
    for (; index_[i].offset_plus_one != 0; i = (i + 1) & mask)
      if (index_[i].fingerprint == fingerprint && same_key(index_[i].offset_plus_one - 1, key))
        return false;
    index_[i] = Entry{fingerprint, store(key) + 1};
    ++size_;
    if (size_ * 2 > index_.size()) grow();
    return true;
  }

  std::size_t size() const { return size_; }
  // The index and every arena block allocated (the last one partly used).
  std::size_t bytes() const {
    return index_.size() * sizeof(Entry) + blocks_.size() * kBlockWords * sizeof(std::uint64_t);
  }

 private:
  static constexpr std::size_t kBlockWords = std::size_t{1} << 16;  // 512 KiB blocks
  struct Entry {
    std::uint64_t fingerprint;
    std::uint64_t offset_plus_one;  // where the key's length word is in the arena; 0: empty
  };

  static std::size_t home(std::uint64_t fingerprint, std::size_t mask) {
    return static_cast<std::size_t>((fingerprint * 0x9e3779b97f4a7c15ULL) >> 17) & mask;
  }

  const std::uint64_t* at(std::uint64_t offset) const {
    return blocks_[offset / kBlockWords].get() + offset % kBlockWords;
  }

  bool same_key(std::uint64_t offset, std::span<const std::uint64_t> key) const {
    const std::uint64_t* stored = at(offset);
    return stored[0] == key.size() && std::equal(key.begin(), key.end(), stored + 1);
  }

  // Appends [length, key...] to the arena (starting a new block when the key would straddle
  // one) and returns its offset.
  std::uint64_t store(std::span<const std::uint64_t> key) {
    if (blocks_.empty() || used_ + key.size() + 1 > kBlockWords) {
      blocks_.push_back(std::make_unique<std::uint64_t[]>(kBlockWords));
      used_ = 0;
    }
    const std::uint64_t offset = (blocks_.size() - 1) * kBlockWords + used_;
    std::uint64_t* to = blocks_.back().get() + used_;
    to[0] = key.size();
    std::copy(key.begin(), key.end(), to + 1);
    used_ += key.size() + 1;
    return offset;
  }

  void grow() {
    std::vector<Entry> bigger(index_.size() * 2, Entry{0, 0});
    const std::size_t mask = bigger.size() - 1;
    for (const Entry& entry : index_) {
      if (entry.offset_plus_one == 0) continue;
      std::size_t i = home(entry.fingerprint, mask);
      while (bigger[i].offset_plus_one != 0) i = (i + 1) & mask;
      bigger[i] = entry;
    }
    index_.swap(bigger);
  }

  std::vector<Entry> index_;
  std::vector<std::unique_ptr<std::uint64_t[]>> blocks_;
  std::size_t used_ = 0;  // words used in the last block
  std::size_t size_ = 0;
};

// One of the explorer's memories (states, property views, steps, client histories): 64-bit
// fingerprints (VisitedSet), or with --exact whole keys (ExactSet). The key is built only in
// exact mode, by `fill_key(std::vector<std::uint64_t>&)`.
class SeenSet {
 public:
  explicit SeenSet(bool exact) {
    if (exact)
      whole_.emplace();
    else
      fingerprints_.emplace();
  }

  template <class FillKey>
  bool insert(std::uint64_t fingerprint, FillKey&& fill_key) {
    if (fingerprints_) return fingerprints_->insert(fingerprint);
    key_.clear();
    fill_key(key_);
    return whole_->insert(fingerprint, key_);
  }

  // insert() where no key can be built (the parallel search's settling): fingerprints only.
  bool insert_fingerprint(std::uint64_t fingerprint) {
    FL_ASSERT(fingerprints_.has_value(), "an exact set needs a key");
    return fingerprints_->insert(fingerprint);
  }

  void prefetch(std::uint64_t fingerprint) const {
    if (fingerprints_) fingerprints_->prefetch(fingerprint);
  }

  std::size_t size() const { return fingerprints_ ? fingerprints_->size() : whole_->size(); }
  std::size_t bytes() const { return fingerprints_ ? fingerprints_->bytes() : whole_->bytes(); }

 private:
  std::optional<VisitedSet> fingerprints_;
  std::optional<ExactSet> whole_;
  std::vector<std::uint64_t> key_;  // reused: building a key allocates nothing
};

}  // namespace faultline::explore
