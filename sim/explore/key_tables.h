// Hash tables keyed by 64-bit fingerprints: InternTable (one stored copy of each distinct value)
// and KeyMemo (a fixed-length run of words per key).
//
// Invariants: open addressing with linear probing, at most half full, a power of two in size;
// lookup is the only query, so a table's order is never observed (DESIGN.md 4.3). Stored values
// never move or die before their table.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

namespace faultline::explore {

// Equality where the type has it; otherwise values whose keys (fingerprints) the caller already
// found equal count as equal (then interning is only as exact as the key: see exact_capable).
template <class T>
bool same_value(const T& a, const T& b) {
  if constexpr (std::equality_comparable<T>)
    return a == b;
  else
    return true;
}

// Interning: one stored copy of each distinct value, found by its 64-bit key, so a value built
// again (a resent heartbeat, the same vote on another path, a node slot another state already
// has) costs no allocation and worlds can hold plain pointers. A key match is confirmed with
// `same`: slots, messages and history events compare by value (where their types have ==), so
// two values never merge on a key collision. Lookup only (open
// addressing): the table's order is never observed. Values never move or die before the table.
template <class T>
class InternTable {
 public:
  InternTable() : index_(64, nullptr) {}

  template <class Same>
  const T* find(std::uint64_t key, Same&& same) const {
    const std::size_t mask = index_.size() - 1;
    for (std::size_t i = home(key, mask);; i = (i + 1) & mask) {
      const T* entry = index_[i];
      if (entry == nullptr) return nullptr;
      if (keys_[i] == key && same(*entry)) return entry;
    }
  }

  // The stored copy of `value` (whose key is `key`), adding it if new.
  template <class Same>
  const T* intern(std::uint64_t key, const T& value, Same&& same) {
    if (const T* found = find(key, same)) return found;
    return add(key, value);
  }

  // Stores `value`, which find() did not find.
  const T* add(std::uint64_t key, const T& value) {
    if ((storage_.size() + 1) * 2 > index_.size()) grow();
    storage_.push_back(value);
    place(index_, keys_, key, &storage_.back());
    return &storage_.back();
  }

  std::size_t size() const { return storage_.size(); }

 private:
  static std::size_t home(std::uint64_t key, std::size_t mask) {
    return static_cast<std::size_t>((key * 0x9e3779b97f4a7c15ULL) >> 17) & mask;
  }
  static void place(std::vector<const T*>& index, std::vector<std::uint64_t>& keys,
                    std::uint64_t key, const T* entry) {
    if (keys.size() != index.size()) keys.resize(index.size());
    const std::size_t mask = index.size() - 1;
    std::size_t i = home(key, mask);
    while (index[i] != nullptr) i = (i + 1) & mask;
    index[i] = entry;
    keys[i] = key;
  }
  void grow() {
    std::vector<const T*> index(index_.size() * 2, nullptr);
    std::vector<std::uint64_t> keys(index.size());
    for (std::size_t i = 0; i < index_.size(); ++i)
      if (index_[i] != nullptr) place(index, keys, keys_[i], index_[i]);
    index_.swap(index);
    keys_.swap(keys);
  }

  std::deque<T> storage_;        // stable addresses
  std::vector<const T*> index_;  // a power of two, at most half full
  std::vector<std::uint64_t> keys_ = std::vector<std::uint64_t>(64);  // the key of index_[i]
};

// A memo from 64-bit keys to fixed-length runs of 64-bit words (symmetry: a slot's keys or a
// message's words under every renaming). Lookup only; its order is never observed.
class KeyMemo {
 public:
  const std::uint64_t* find(std::uint64_t key) const {
    if (index_.empty()) return nullptr;
    const std::size_t mask = index_.size() - 1;
    for (std::size_t i = home(key, mask);; i = (i + 1) & mask) {
      if (index_[i].second == 0) return nullptr;  // 0: empty (offsets are stored plus one)
      if (index_[i].first == key) return words_.data() + index_[i].second - 1;
    }
  }
  std::uint64_t* add(std::uint64_t key, std::size_t length) {
    if ((entries_ + 1) * 2 > index_.size()) grow();
    place(index_, key, words_.size() + 1);
    ++entries_;
    words_.resize(words_.size() + length);
    return words_.data() + words_.size() - length;
  }

 private:
  using Index = std::vector<std::pair<std::uint64_t, std::size_t>>;
  static std::size_t home(std::uint64_t key, std::size_t mask) {
    return static_cast<std::size_t>((key * 0x9e3779b97f4a7c15ULL) >> 17) & mask;
  }
  static void place(Index& index, std::uint64_t key, std::size_t offset) {
    const std::size_t mask = index.size() - 1;
    std::size_t i = home(key, mask);
    while (index[i].second != 0) i = (i + 1) & mask;
    index[i] = {key, offset};
  }
  void grow() {
    Index bigger(index_.empty() ? 64 : index_.size() * 2, {0, 0});
    for (const auto& entry : index_)
      if (entry.second != 0) place(bigger, entry.first, entry.second);
    index_.swap(bigger);
  }
  Index index_;
  std::vector<std::uint64_t> words_;
  std::size_t entries_ = 0;
};

}  // namespace faultline::explore
