// The explorer's hashing primitives: key_of(value), equal to faultline::fingerprint(value) but
// cheaper on the short values hashed on every step, and the word mixer the additive world
// fingerprint is built with.
//
// Invariant: key_of(v) == faultline::fingerprint(v) for every value v (so a slot's key, a
// message's key and a timer's key are the same fingerprints the rest of faultline computes).
#pragma once

#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "sim/core/codec.h"
#include "sim/core/fingerprint.h"

namespace faultline::explore {

// The explorer's fingerprint sink. FingerprintSink streams into an XXH3 state, whose reset and
// digest cost more than hashing a short value; the values hashed on every step (a node's fields,
// a message, a timer) are short, so KeySink collects the bytes in a buffer and hashes them in
// one call, streaming only a value longer than the buffer. XXH3's one-shot and streaming forms
// agree on the same bytes, so key_of(v) == faultline::fingerprint(v) for every value.
class KeySink {
 public:
  void write(const void* data, std::size_t size) {
    if (streaming_ || used_ + size > sizeof(buffer_)) return stream(data, size);
    std::memcpy(buffer_ + used_, data, size);
    used_ += size;
  }
  [[gnu::always_inline]] void write_block16(const std::uint8_t (&block)[16], std::size_t size) {
    if (streaming_ || used_ + 16 > sizeof(buffer_)) return stream(block, size);
    std::memcpy(buffer_ + used_, block, 16);
    used_ += size;
  }
  [[gnu::always_inline]] void write_byte(std::uint8_t b) {
    if (streaming_ || used_ == sizeof(buffer_)) return stream(&b, 1);
    buffer_[used_++] = b;
  }
  std::uint64_t digest() {
    if (!streaming_) return XXH3_64bits(buffer_, used_);
    return XXH3_64bits_digest(&state_);
  }

 private:
  void stream(const void* data, std::size_t size) {
    if (!streaming_) {
      streaming_ = true;
      XXH3_64bits_reset(&state_);
      XXH3_64bits_update(&state_, buffer_, used_);
    }
    XXH3_64bits_update(&state_, data, size);
  }
  std::uint8_t buffer_[512];
  std::size_t used_ = 0;
  bool streaming_ = false;
  XXH3_state_t state_;  // untouched unless a value outgrows the buffer
};

// A value that keeps its own fingerprint (equal to faultline::fingerprint(value)), computed when
// it was built, so hashing it again costs nothing: 2PC's Log, whose records every node copy
// shares. The explorer hashes such a value, as a Durable or as a field of a Node, by that key.
template <class T>
concept CachesFingerprint = requires(const T& value) {
  { value.cached_fingerprint() } -> std::same_as<std::uint64_t>;
};

// faultline::fingerprint(value): the cached one, or computed through KeySink.
template <class T>
std::uint64_t key_of(const T& value) {
  if constexpr (CachesFingerprint<T>) {
    return value.cached_fingerprint();
  } else {
    KeySink sink;
    faultline::encode(sink, value);
    return sink.digest();
  }
}

// Fingerprint keys are already uniform 64-bit hashes: hash their 8 bytes (little-endian, so the
// value is the same on every platform) rather than varint-encoding them.
template <class Sink>
[[gnu::always_inline]] inline void write_key(Sink& sink, std::uint64_t key) {
  static_assert(std::endian::native == std::endian::little,
                "keys are hashed as little-endian bytes");
  std::uint8_t block[16] = {};
  std::memcpy(block, &key, sizeof(key));
  sink.write_block16(block, 8);
}

// Hashes a Node's fields for its slot key: each field by its encoding, or by its cached
// fingerprint when it keeps one (a long log is then 8 bytes, not every record re-encoded).
template <class Sink>
struct SealVisit {
  Sink& sink;
  template <class T>
  void operator()(std::string_view, const T& field) const {
    if constexpr (CachesFingerprint<T>)
      write_key(sink, field.cached_fingerprint());
    else
      faultline::encode(sink, field);
  }
};

// splitmix64's finalizer: a bijection on 64-bit words in which every output bit depends on
// every input bit.
inline std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

inline constexpr std::uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

}  // namespace faultline::explore
