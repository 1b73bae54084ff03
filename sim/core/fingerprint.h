// Stable 64-bit fingerprints of values: XXH3 over the codec's encoding.
//
// Stable means: the same value gives the same fingerprint in every run, process, build and
// platform, because it hashes the canonical encoding (codec.h), never memory addresses or
// padding. The simulator folds event fingerprints into a run fingerprint; the model checker
// stores state fingerprints to avoid revisiting states.
#pragma once

#include <cstdint>
#include <cstring>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "sim/core/codec.h"

namespace faultline {

// A codec sink that hashes instead of storing. Small writes are batched in a local buffer.
class FingerprintSink {
 public:
  FingerprintSink() { XXH3_64bits_reset(&state_); }
  void write(const void* data, std::size_t size) {
    if (used_ + size > sizeof(buffer_)) flush();
    if (size > sizeof(buffer_)) {
      XXH3_64bits_update(&state_, data, size);
      return;
    }
    std::memcpy(buffer_ + used_, data, size);
    used_ += size;
  }
  // Appends the first `size` bytes of a 16-byte block with one fixed-size copy (no memcpy call).
  [[gnu::always_inline]] void write_block16(const std::uint8_t (&block)[16], std::size_t size) {
    if (used_ + 16 > sizeof(buffer_)) flush();
    std::memcpy(buffer_ + used_, block, 16);
    used_ += size;
  }
  [[gnu::always_inline]] void write_byte(std::uint8_t b) {
    if (used_ == sizeof(buffer_)) flush();
    buffer_[used_++] = b;
  }
  std::uint64_t digest() {
    flush();
    return XXH3_64bits_digest(&state_);
  }

 private:
  void flush() {
    if (used_ > 0) XXH3_64bits_update(&state_, buffer_, used_);
    used_ = 0;
  }
  XXH3_state_t state_;
  std::uint8_t buffer_[256];
  std::size_t used_ = 0;
};

template <class T>
std::uint64_t fingerprint(const T& value) {
  FingerprintSink sink;
  encode(sink, value);
  return sink.digest();
}

// Order-sensitive combination of two fingerprints (for folding a sequence of events).
inline std::uint64_t fingerprint_combine(std::uint64_t running, std::uint64_t next) {
  const std::uint64_t words[2] = {running, next};
  return XXH3_64bits(words, sizeof(words));
}

}  // namespace faultline
