// DeltaEncoder: encodes each new version of a node's Durable as a DurableLog delta record against
// the version it encoded before, in time that grows with what changed, not with the value. A
// node persists its whole Durable after every change (DESIGN.md: the persist effect), and a
// store that keeps every message (write_concern) grows without bound, so encoding it whole and
// then diffing the bytes (DurableLog::append) made each group commit cost the whole store.
//
// How: the codec hands this sink every vector (codec.h, encode_items). For a ChunkedVector, each
// full block (4,096 elements) and each full chunk of the open last block (64) that the previous
// version also held (the same block or chunk, pinned by a pointer held here, over the same
// elements) becomes a copy of its old bytes, and runs of copies merge into one copy op; every
// other byte goes into insert ops. A write that appends to a store of n entries therefore costs
// a compare per block and per chunk of the last block (n / 4096 + 64) plus encoding the open
// chunk and the new entries, and its record is a header, one copy and a short insert.
//
// Invariants: pieces_ lists, in the order encoding met them, the full blocks and the full chunks
// of non-full blocks of the last value encoded, each with where its bytes start in that value and
// how long they are. A piece listed here is shared (this pin is a second owner), so ChunkedVector
// copies it before any change: the bytes recorded for it stay the bytes of its contents. Each
// encode() after the first returns a delta against the previous one, so the values encoded must
// reach the log in the order encoded (one Persister write at a time, in order); after a failed or
// skipped write, reset(). The bytes a delta builds are exactly encode_to_bytes(value)
// (tests/sim/real/durable_delta_test.cc).
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "sim/core/assert.h"
#include "sim/core/chunked_vector.h"
#include "sim/core/codec.h"
#include "sim/real/durable_log.h"

namespace faultline::real {

class DeltaEncoder {
 public:
  // What to hand to the DurableLog: a delta record (append_delta) or the value whole (append).
  struct Encoded {
    std::vector<std::uint8_t> bytes;
    bool delta = false;
    std::uint64_t value_bytes = 0;   // the size of the value it makes durable
    std::uint64_t reused_bytes = 0;  // of those, bytes copied from the previous value
  };

  template <class T>
  Encoded encode(const T& value) {
    Pass pass(*this);
    faultline::encode(pass, value);
    return pass.finish();
  }
  // Forgets the previous value: the next encode() returns the value whole.
  void reset() { pieces_.clear(); }

 private:
  struct Piece {  // a block or a chunk of a ChunkedVector
    std::shared_ptr<const void> pin;
    std::size_t first = 0;  // its elements [first, last)
    std::size_t last = 0;
    std::uint64_t offset = 0;  // where their bytes start in the value
    std::uint64_t length = 0;
    bool same(const void* data, std::size_t f, std::size_t l) const {
      return pin.get() == data && first == f && last == l;
    }
  };

  // One encode(): the codec's sink. Writes the delta record as it goes (the 5-byte header is
  // patched at the end), keeping an insert op open while bytes arrive.
  class Pass {
   public:
    explicit Pass(DeltaEncoder& owner) : owner_(owner) {
      record_.reserve(256);
      record_.resize(header_bytes);
    }
    void write_byte(std::uint8_t b) {
      open_insert();
      record_.push_back(b);
      ++value_bytes_;
    }
    void write(const void* data, std::size_t size) {
      if (size == 0) return;
      open_insert();
      const auto* p = static_cast<const std::uint8_t*>(data);
      record_.insert(record_.end(), p, p + size);
      value_bytes_ += size;
    }
    template <class U>
    void encode_items(const ChunkedVector<U>& items) {
      using Vector = ChunkedVector<U>;
      items.visit_blocks([&](const std::shared_ptr<typename Vector::Block>& block,
                             std::size_t first, std::size_t last) {
        if (last != Vector::kSpan) {  // the open last block: its full chunks are the pieces
          Vector::chunks_of(*block, first, last, [&](const auto& chunk, auto f, auto l) {
            if (chunk->size() != Vector::kChunk) return encode_range(*chunk, f, l);  // open
            const std::uint64_t at = value_bytes_;
            reuse_or_encode(chunk, f, l);
            remember(chunk, f, l, at);
          });
          return;
        }
        const std::uint64_t at = value_bytes_;
        if (const Piece* before = find(block.get(), first, last)) {
          copy(before->offset, before->length);
        } else {  // a block just filled (its chunks were pieces) or new
          if (!diverged_) diverge();
          Vector::chunks_of(*block, first, last, [&](const auto& chunk, auto f, auto l) {
            reuse_or_encode(chunk, f, l);
          });
        }
        remember(block, first, last, at);
      });
    }
    Encoded finish();

   private:
    static constexpr std::size_t header_bytes = 5;  // kind, u32 value size

    template <class Chunk>
    void encode_range(const Chunk& chunk, std::size_t first, std::size_t last) {
      for (std::size_t i = first; i < last; ++i) faultline::encode(*this, chunk[i]);
    }
    template <class Chunk>
    void reuse_or_encode(const std::shared_ptr<Chunk>& chunk, std::size_t first, std::size_t last) {
      if (const Piece* before = find(chunk.get(), first, last))
        copy(before->offset, before->length);
      else
        encode_range(*chunk, first, last);
    }
    // Lists the piece just encoded from `at` (updated in place when find() met it in order).
    template <class Pointee>
    void remember(const std::shared_ptr<Pointee>& pin, std::size_t first, std::size_t last,
                  std::uint64_t at) {
      if (in_place_) return advance_in_place(at);
      owner_.pieces_.push_back(Piece{pin, first, last, at, value_bytes_ - at});
    }

    // The previous value's piece for this pointer and range, if it had one (in_place_: the
    // next one in order, at walked_).
    const Piece* find(const void* data, std::size_t first, std::size_t last);
    void diverge();
    void advance_in_place(std::uint64_t at);
    void open_insert();
    void close_insert();
    void copy(std::uint64_t offset, std::uint64_t length);
    void put_u32(std::uint64_t v);
    void put_u32_at(std::size_t at, std::uint64_t v);

    DeltaEncoder& owner_;
    std::vector<std::uint8_t> record_;
    std::uint64_t value_bytes_ = 0;
    std::uint64_t reused_bytes_ = 0;
    std::size_t insert_at_ = 0;   // where the open insert op starts (0: none is open)
    std::size_t copy_at_ = 0;     // where the last op starts if it is a copy (0: it is not)
    std::uint64_t copy_end_ = 0;  // that copy's end in the previous value
    std::uint64_t copied_ = 0;    // and its length
    // Matching pieces in order: while every piece so far is the previous value's next one,
    // owner_.pieces_ is only updated in place (walked_ of them so far); at the first that is not
    // (diverge()), the rest of the list moves to rest_ and is searched in order, then by address.
    std::size_t walked_ = 0;
    bool in_place_ = false;
    bool diverged_ = false;
    std::vector<Piece> rest_;
    std::size_t rest_next_ = 0;
    std::unordered_map<const void*, std::size_t> rest_index_;
    Piece found_;
  };

  std::vector<Piece> pieces_;
};

}  // namespace faultline::real
