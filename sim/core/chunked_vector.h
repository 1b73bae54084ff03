// ChunkedVector: a sequence whose copies share storage, for long logs that protocols persist
// whole after every change (a Raft log of up to snapshot_threshold entries; write_concern's store,
// which keeps every message).
//
// Two levels: elements live in chunks of kChunk, chunks are held by blocks of kBlock, and both
// by shared pointers. A copy copies the block pointers (size / 4096 of them), and a writer copies
// a block or chunk only while another copy still shares it (copy on write), except that an
// append writes past the end of a shared last block or chunk in place when no other holder has
// grown it yet: every holder reads only its own positions, so none sees the new element, and a
// log persisted (copied) after every append does not copy its last chunk on the next one (that
// copy was a tenth of a Raft simulation: checkers/raft/README.md). Appending and
// truncating the tail touch the last block and chunk; dropping a prefix (log compaction) drops
// whole blocks and frees the first block's dead chunks. With one level a copy cost size / 64
// reference counts, which for a store of 10^5 entries was most of a primary's CPU
// (protocols/write_concern/README.md, Performance). To the codec, describe() and fingerprints it
// is exactly a std::vector<T> (is_vector below): the same bytes, the same text.
//
// Invariants: positions [offset_, offset_ + size_) hold the elements, offset_ < kSpan (the
// elements dropped from the first block); block b holds the chunks of positions
// [b * kSpan, (b + 1) * kSpan), every block but the last all kBlock of them; every chunk but the
// last holds kChunk elements; the first block's chunks wholly before offset_ are null; an empty
// vector has no blocks and offset_ 0. A block or chunk may hold more items than this vector
// uses (another holder appended in place); positions below each holder's end never change while
// the piece is shared: a holder writes a shared piece only by appending at its very end, so a
// holder whose end is below the piece's size copies it first. Chunks have capacity kChunk and
// blocks kBlock, so an append in place never reallocates what another holder reads (which is
// also why tail_, the storage of the chunk holding the last element, stays valid in a copy). Not
// thread-safe across copies (nothing shares a node's state across threads: each simulation runs
// on one thread; the socket runtime's disk thread gets encoded bytes).
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
  static constexpr std::size_t kChunk = 64;              // elements per chunk
  static constexpr std::size_t kBlock = 64;              // chunks per block
  static constexpr std::size_t kSpan = kChunk * kBlock;  // elements per block
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
  // The last chunk is read through tail_ (one load instead of four dependent ones): a Raft log
  // is read mostly near its end (the last entry, the commit and applied indexes).
  [[gnu::always_inline]] const T& operator[](std::size_t i) const {
    FL_ASSERT(i < size_, "ChunkedVector index out of range");
    const std::size_t at = offset_ + i;
    if (at >= tail_start_) [[likely]]
      return tail_[at - tail_start_];
    return at_position(at);
  }
  const T& back() const { return (*this)[size_ - 1]; }
  const_iterator begin() const { return const_iterator(this, 0); }
  const_iterator end() const { return const_iterator(this, size_); }

  void push_back(T item) { emplace_back() = std::move(item); }
  // Appends a default element and returns it for filling (what decoders need). The last block
  // and chunk are written in place even while shared, when this vector's elements end where
  // theirs do: the new element lies past the end of every other holder, which never reads it
  // (banner). Only a shared piece that another holder has grown already is copied (up to this
  // vector's end), so a log persisted after every append costs O(1) per append, not a chunk.
  T& emplace_back() {
    const std::size_t end = offset_ + size_;
    if (end % kSpan == 0) {  // none, or all full
      blocks_.push_back(std::make_shared<Block>());
      blocks_.back()->reserve(kBlock);
    }
    const std::size_t in_block = end - (blocks_.size() - 1) * kSpan;  // our positions in it
    const std::size_t chunks = (in_block + kChunk - 1) / kChunk;      // our chunks in it
    Chunk* tail = nullptr;
    if (in_block % kChunk == 0) {
      Block& block = appendable_last_block(chunks);
      block.push_back(std::make_shared<Chunk>());
      block.back()->reserve(kChunk);
      tail = block.back().get();
    } else {
      tail = &appendable_last_chunk(chunks, in_block - (chunks - 1) * kChunk);
    }
    FL_ASSERT(tail->capacity() >= kChunk, "a chunk never reallocates under another holder");
    ++size_;
    T& item = tail->emplace_back();
    refresh_tail();
    return item;
  }
  void reserve(std::size_t) {}  // chunks are reserved as they are opened

  // Keeps the first `count` elements.
  void truncate(std::size_t count) {
    FL_ASSERT(count <= size_, "truncating past the end");
    if (count == 0) return clear();
    const std::size_t end = offset_ + count;
    blocks_.resize((end + kSpan - 1) / kSpan);
    Block& block = own_last_block();
    const std::size_t in_block = end - (blocks_.size() - 1) * kSpan;
    block.resize((in_block + kChunk - 1) / kChunk);
    own_last_chunk(block).resize(in_block - (block.size() - 1) * kChunk);
    size_ = count;
    refresh_tail();
  }

  // Drops the first `count` elements (log compaction).
  void drop_front(std::size_t count) {
    FL_ASSERT(count <= size_, "dropping past the end");
    if (count == size_) return clear();
    offset_ += count;
    size_ -= count;
    const std::size_t whole = offset_ / kSpan;
    blocks_.erase(blocks_.begin(), blocks_.begin() + static_cast<std::ptrdiff_t>(whole));
    offset_ -= whole * kSpan;
    refresh_tail();  // positions moved down by whole blocks; no chunk was replaced
    const std::size_t dead = offset_ / kChunk;  // chunks wholly dropped from the first block
    if (dead == 0 || (*blocks_.front())[dead - 1] == nullptr) return;  // freed already
    std::shared_ptr<Block>& first = blocks_.front();
    if (!exclusive(first)) first = copy_of(*first, first->size(), kBlock);
    for (std::size_t c = 0; c < dead; ++c) (*first)[c].reset();
  }

  void clear() {
    blocks_.clear();
    offset_ = 0;
    size_ = 0;
    refresh_tail();
  }

  // The length of the longest common prefix of this and `other`. Whole blocks and chunks the
  // two share (one is a copy of the other, changed since only at the end) are skipped without
  // reading their elements, so comparing a store with its copy after an append costs a block's
  // pointers and a chunk, not the store (checkers/write_concern/monitors.cc).
  std::size_t common_prefix(const ChunkedVector& other) const {
    const std::size_t common = std::min(size_, other.size_);
    std::size_t i = 0;
    if (offset_ == other.offset_) {
      std::size_t b = 0;
      while (b < blocks_.size() && b < other.blocks_.size() && blocks_[b] == other.blocks_[b]) ++b;
      std::size_t shared_end = b * kSpan;  // positions below it are shared
      if (b < blocks_.size() && b < other.blocks_.size()) {
        const Block& mine = *blocks_[b];
        const Block& theirs = *other.blocks_[b];
        std::size_t c = 0;
        while (c < mine.size() && c < theirs.size() && mine[c] == theirs[c]) ++c;
        shared_end += c * kChunk;
      }
      i = shared_end > offset_ ? std::min(common, shared_end - offset_) : 0;
    }
    while (i < common && (*this)[i] == other[i]) ++i;
    FL_ASSERT(i <= common, "a prefix of both");
    return i;
  }

  using Chunk = std::vector<T>;
  using Block = std::vector<std::shared_ptr<Chunk>>;

  // Calls visit(block, first, last) for each block in order, where [first, last) are the
  // positions of this vector's elements within the block (a full block: [x, kSpan)). Then
  // chunks_of() gives its chunks. What an encoder needs to reuse the bytes of blocks and chunks
  // it encoded before (sim/real/durable_delta.h): neither is changed while a copy of its pointer
  // is held elsewhere, so holding one pins its contents.
  template <class Visit>
  void visit_blocks(Visit&& visit) const {
    const std::size_t end = offset_ + size_;
    for (std::size_t b = 0; b < blocks_.size(); ++b) {
      const std::size_t start = b * kSpan;
      const std::size_t first = b == 0 ? offset_ : 0;
      visit(blocks_[b], first, std::min(kSpan, end - start));  // by reference: no count touched
    }
  }
  // Calls visit(chunk, first, last) for each chunk of `block` holding positions [first, last)
  // of the block, with [first, last) the indices within the chunk.
  template <class Visit>
  static void chunks_of(const Block& block, std::size_t first, std::size_t last, Visit&& visit) {
    for (std::size_t c = first / kChunk; c < block.size(); ++c) {
      const std::size_t start = c * kChunk;
      if (start >= last) break;
      const std::shared_ptr<Chunk>& chunk = block[c];
      visit(chunk, first > start ? first - start : 0, std::min(chunk->size(), last - start));
    }
  }

  friend bool operator==(const ChunkedVector& a, const ChunkedVector& b) {
    if (a.size_ != b.size_) return false;
    if (a.offset_ == b.offset_ && a.blocks_ == b.blocks_) return true;
    for (std::size_t i = 0; i < a.size_; ++i)
      if (!(a[i] == b[i])) return false;
    return true;
  }

 private:
  // Whether this vector alone holds `piece`: no other ChunkedVector or pin can read it.
  template <class Piece>
  static bool exclusive(const std::shared_ptr<Piece>& piece) {
    return piece.use_count() == 1;
  }

  // Keeps the first `count` items of a piece this vector alone holds: items past them were
  // appended by a holder that is gone (no one reads them).
  template <class Piece>
  static void trim(Piece& piece, std::size_t count) {
    FL_ASSERT(count <= piece.size(), "a piece holds at least this vector's items");
    piece.erase(piece.begin() + static_cast<std::ptrdiff_t>(count), piece.end());
  }

  // A copy of the first `count` items of `piece`, with room for a whole piece: an append to a
  // plain copy (capacity == size) would reallocate at once.
  template <class Piece>
  static std::shared_ptr<Piece> copy_of(const Piece& piece, std::size_t count, std::size_t room) {
    auto copy = std::make_shared<Piece>();
    copy->reserve(room);
    copy->assign(piece.begin(), piece.begin() + static_cast<std::ptrdiff_t>(count));
    return copy;
  }

  // The last block, ready for a chunk pointer to be appended after this vector's `chunks`: this
  // vector's own (trimmed), a shared one that no other holder grew (appended in place), or a copy.
  Block& appendable_last_block(std::size_t chunks) {
    std::shared_ptr<Block>& last = blocks_.back();
    if (exclusive(last))
      trim(*last, chunks);
    else if (last->size() != chunks)
      last = copy_of(*last, chunks, kBlock);
    FL_ASSERT(last->size() == chunks, "the block ends where this vector's chunks do");
    return *last;
  }

  // The last chunk, ready for an element to be appended after this vector's `count` in it, as
  // above. A chunk reached through a shared block is shared too, whatever its own count says.
  Chunk& appendable_last_chunk(std::size_t chunks, std::size_t count) {
    std::shared_ptr<Block>& block = blocks_.back();
    const bool block_exclusive = exclusive(block);
    std::shared_ptr<Chunk>& last = (*block)[chunks - 1];
    if (block_exclusive && exclusive(last)) {
      trim(*last, count);
    } else if (last->size() != count) {
      // Another holder grew it: copy our part, into a block of our own (replacing the pointer
      // in a shared block would change what the other holders read).
      if (!block_exclusive) block = copy_of(*block, chunks, kBlock);
      std::shared_ptr<Chunk>& mine = (*block)[chunks - 1];
      mine = copy_of(*mine, count, kChunk);
      return *mine;
    }
    FL_ASSERT(last->size() == count, "the chunk ends where this vector's elements do");
    return *last;
  }

  // The last block and chunk, this vector's alone (copied if shared), for a truncation.
  Block& own_last_block() {
    std::shared_ptr<Block>& last = blocks_.back();
    if (!exclusive(last)) last = copy_of(*last, last->size(), kBlock);
    return *last;
  }
  static Chunk& own_last_chunk(Block& block) {
    std::shared_ptr<Chunk>& last = block.back();
    if (!exclusive(last)) last = copy_of(*last, last->size(), kChunk);
    return *last;
  }

  // The element at position `at` (counted like offset_), through its block and chunk.
  [[gnu::noinline]] const T& at_position(std::size_t at) const {
    return (*(*blocks_[at / kSpan])[at / kChunk % kBlock])[at % kChunk];
  }

  // Points tail_ at the elements of the chunk holding the last element. A copy keeps the
  // pointer: it holds the same chunk, whose storage never moves (capacity kChunk, reserved).
  void refresh_tail() {
    if (size_ == 0) {
      tail_ = nullptr;
      tail_start_ = kNoTail;
      return;
    }
    const std::size_t last = offset_ + size_ - 1;
    FL_ASSERT(last / kSpan == blocks_.size() - 1, "the last block holds the last element");
    const Chunk& chunk = *(*blocks_.back())[last / kChunk % kBlock];
    FL_ASSERT(chunk.size() > last % kChunk, "the last chunk holds the last element");
    tail_ = chunk.data();
    tail_start_ = last - last % kChunk;
  }

  static constexpr std::size_t kNoTail = static_cast<std::size_t>(-1);

  std::vector<std::shared_ptr<Block>> blocks_;
  std::size_t offset_ = 0;
  std::size_t size_ = 0;
  // The last chunk's elements and the position of its first (kNoTail when empty): a cache
  // of blocks_, refreshed by every change of the vector (refresh_tail).
  const T* tail_ = nullptr;
  std::size_t tail_start_ = kNoTail;
};

// The codec, describe() and fingerprints treat it as a std::vector<T>.
template <class T>
struct is_vector<ChunkedVector<T>> : std::true_type {};

}  // namespace faultline
