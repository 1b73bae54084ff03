// ChunkedVector: a sequence whose copies share storage, for long logs that protocols persist
// whole after every append (a Raft log of up to snapshot_threshold entries).
//
// Elements live in fixed-size chunks held by shared pointers; a copy copies the chunk pointers
// (size / kChunk of them), and a writer copies a chunk only while another copy still shares it
// (copy on write). Appending, truncating the tail and dropping a prefix (log compaction) touch
// one chunk. To the codec, describe() and fingerprints it is exactly a std::vector<T> (is_vector
// below): the same bytes, the same text.
//
// Invariants: every chunk but the last holds kChunk elements; the elements are
// [offset_, offset_ + size_) of the concatenated chunks, with offset_ < kChunk; a chunk shared
// with another ChunkedVector is never modified. Not thread-safe across copies (nothing shares a
// node's state across threads: each simulation runs on one thread).
#pragma once

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <memory>
#include <vector>

#include "sim/core/assert.h"
#include "sim/core/fields.h"

namespace faultline {

template <class T>
class ChunkedVector {
 public:
  static constexpr std::size_t kChunk = 64;
  using value_type = T;

  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = const T*;
    using reference = const T&;
    const_iterator() = default;
    const_iterator(const ChunkedVector* owner, std::size_t index) : owner_(owner), index_(index) {}
    const T& operator*() const { return (*owner_)[index_]; }
    const T* operator->() const { return &(*owner_)[index_]; }
    const_iterator& operator++() {
      ++index_;
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator before = *this;
      ++index_;
      return before;
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) {
      return a.index_ == b.index_;
    }

   private:
    const ChunkedVector* owner_ = nullptr;
    std::size_t index_ = 0;
  };

  ChunkedVector() = default;
  ChunkedVector(std::initializer_list<T> items) {
    for (const T& item : items) push_back(item);
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const T& operator[](std::size_t i) const {
    FL_ASSERT(i < size_, "ChunkedVector index out of range");
    const std::size_t at = offset_ + i;
    return (*chunks_[at / kChunk])[at % kChunk];
  }
  const T& back() const { return (*this)[size_ - 1]; }
  const_iterator begin() const { return const_iterator(this, 0); }
  const_iterator end() const { return const_iterator(this, size_); }

  void push_back(T item) { emplace_back() = std::move(item); }
  // Appends a default element and returns it for filling (what decoders need).
  T& emplace_back() {
    if (chunks_.empty() || chunks_.back()->size() == kChunk)
      chunks_.push_back(std::make_shared<std::vector<T>>());
    std::vector<T>& tail = own_last();
    if (tail.capacity() < kChunk) tail.reserve(kChunk);
    ++size_;
    return tail.emplace_back();
  }
  void reserve(std::size_t) {}  // chunks are reserved as they are opened

  // Keeps the first `count` elements.
  void truncate(std::size_t count) {
    FL_ASSERT(count <= size_, "truncating past the end");
    if (count == 0) return clear();
    const std::size_t end = offset_ + count;
    chunks_.resize((end + kChunk - 1) / kChunk);
    std::vector<T>& tail = own_last();
    tail.resize(end - (chunks_.size() - 1) * kChunk);
    size_ = count;
  }

  // Drops the first `count` elements (log compaction).
  void drop_front(std::size_t count) {
    FL_ASSERT(count <= size_, "dropping past the end");
    if (count == size_) return clear();
    offset_ += count;
    size_ -= count;
    const std::size_t whole = offset_ / kChunk;
    chunks_.erase(chunks_.begin(), chunks_.begin() + static_cast<std::ptrdiff_t>(whole));
    offset_ -= whole * kChunk;
  }

  void clear() {
    chunks_.clear();
    offset_ = 0;
    size_ = 0;
  }

  // The length of the longest common prefix of this and `other`. Whole chunks the two share
  // (one is a copy of the other, changed since only at the end) are skipped without reading
  // their elements, so comparing a store with its copy after an append costs a chunk, not the
  // store (checkers/write_concern/monitors.cc).
  std::size_t common_prefix(const ChunkedVector& other) const {
    const std::size_t common = std::min(size_, other.size_);
    std::size_t i = 0;
    if (offset_ == other.offset_) {
      std::size_t chunk = 0;
      while (chunk < chunks_.size() && chunk < other.chunks_.size() &&
             chunks_[chunk] == other.chunks_[chunk])
        ++chunk;
      i = chunk == 0 ? 0 : std::min(common, chunk * kChunk - offset_);
    }
    while (i < common && (*this)[i] == other[i]) ++i;
    FL_ASSERT(i <= common, "a prefix of both");
    return i;
  }

  friend bool operator==(const ChunkedVector& a, const ChunkedVector& b) {
    if (a.size_ != b.size_) return false;
    if (a.offset_ == b.offset_ && a.chunks_ == b.chunks_) return true;
    for (std::size_t i = 0; i < a.size_; ++i)
      if (!(a[i] == b[i])) return false;
    return true;
  }

 private:
  std::vector<T>& own_last() {
    std::shared_ptr<std::vector<T>>& last = chunks_.back();
    if (last.use_count() > 1) {
      // Copy into a chunk-sized buffer: a plain copy has capacity size(), and the append that
      // asked for it would then reallocate again.
      auto copy = std::make_shared<std::vector<T>>();
      copy->reserve(kChunk);
      copy->assign(last->begin(), last->end());
      last = std::move(copy);
    }
    return *last;
  }

  std::vector<std::shared_ptr<std::vector<T>>> chunks_;
  std::size_t offset_ = 0;
  std::size_t size_ = 0;
};

// The codec, describe() and fingerprints treat it as a std::vector<T>.
template <class T>
struct is_vector<ChunkedVector<T>> : std::true_type {};

}  // namespace faultline
