// VisitedSet: the model checker's memory of which world states it has seen, as 64-bit
// fingerprints in an open-addressing (linear probing) hash table.
//
// Invariants: membership is the only query, so iteration order never affects results (DESIGN.md
// 4.3); the table is a power of two and at most half full; the fingerprint 0 is the empty-slot
// marker, so a genuine 0 is stored as 1 (one more collision class among 2^64, see
// README.md, "The model checker", on the probability of fingerprint collisions).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace faultline::explore {

class VisitedSet {
 public:
  VisitedSet() : slots_(std::size_t{1} << 16, 0) {}

  // Inserts the fingerprint; returns true when it was new.
  bool insert(std::uint64_t fingerprint) {
    if (fingerprint == 0) fingerprint = 1;
    // Most fingerprints inserted are revisits, and many of them were seen moments ago (siblings
    // and cousins in the BFS order): a small direct-mapped memory of recent ones (128 KiB, so it
    // stays in L2) answers those without touching the big table (61% of inserts on the
    // 74,404-state 2PC run). It only holds fingerprints already in the table.
    std::uint64_t& recent = recent_[fingerprint & (kRecent - 1)];
    if (recent == fingerprint) return false;
    recent = fingerprint;
    if ((size_ + 1) * 2 > slots_.size()) grow();
    return place(slots_, fingerprint);
  }

  // Starts fetching the table entry insert(fingerprint) will probe first: the explorer asks
  // for it one successor ahead, so the cache miss of a large table overlaps the next step.
  void prefetch(std::uint64_t fingerprint) const {
    if (fingerprint == 0) fingerprint = 1;
    __builtin_prefetch(&slots_[mix(fingerprint) & (slots_.size() - 1)]);
  }

  bool contains(std::uint64_t fingerprint) const {
    if (fingerprint == 0) fingerprint = 1;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = mix(fingerprint) & mask;; i = (i + 1) & mask) {
      if (slots_[i] == fingerprint) return true;
      if (slots_[i] == 0) return false;
    }
  }

  std::size_t size() const { return size_; }
  std::size_t bytes() const { return (slots_.size() + recent_.size()) * sizeof(std::uint64_t); }

 private:
  // Fingerprints are already XXH3 outputs; the multiply only spreads the low bits we index by.
  static std::size_t mix(std::uint64_t fingerprint) {
    return static_cast<std::size_t>((fingerprint * 0x9e3779b97f4a7c15ULL) >> 17);
  }

  bool place(std::vector<std::uint64_t>& slots, std::uint64_t fingerprint) {
    const std::size_t mask = slots.size() - 1;
    for (std::size_t i = mix(fingerprint) & mask;; i = (i + 1) & mask) {
      if (slots[i] == fingerprint) return false;
      if (slots[i] == 0) {
        slots[i] = fingerprint;
        ++size_;
        return true;
      }
    }
  }

  void grow() {
    std::vector<std::uint64_t> bigger(slots_.size() * 2, 0);
    size_ = 0;
    for (std::uint64_t f : slots_)
      if (f != 0) place(bigger, f);
    slots_.swap(bigger);
  }

  std::vector<std::uint64_t> slots_;
  std::size_t size_ = 0;
  static constexpr std::size_t kRecent = 16384;
  std::vector<std::uint64_t> recent_ = std::vector<std::uint64_t>(kRecent, 0);
};

}  // namespace faultline::explore
