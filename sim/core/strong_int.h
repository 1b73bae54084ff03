// Strong integers: quantities that must not be mixed up with one another, with counts or with
// node ids (a Raft term is not a log index, and neither is an entry count). Each is its own type
// over a uint64 (the Tag makes it unique) with only the operations its kind allows; nothing
// converts to or from a plain integer implicitly, so passing a term where an index is expected,
// or comparing an index with a count, does not compile.
//
//   ordinal   compare, next()                      a Raft term: it only grows, one at a time
//   position  compare, ++, --, position + count,   a log index; a count (how many entries) is a
//             position - count, position - position -> count    plain integer, like a size()
//
// To the codec, describe(), fingerprints and config decoding a strong integer is exactly the
// plain integer it wraps: it is a StrongId (ids.h) with an empty prefix, so it encodes as its
// uint64, describes as its bare value ("7", not "t7") and decodes from a plain integer. Swapping
// a uint64_t field for one changes no byte on the wire, no fingerprint and no trace text.
//
// Invariant: arithmetic never wraps (asserted): a position below 0 or past 2^64 - 1 is a bug in
// the caller, never a huge number that silently compares as "later".
#pragma once

#include <compare>
#include <cstdint>
#include <limits>
#include <string_view>

#include "sim/core/assert.h"

namespace faultline {

enum class StrongIntKind : std::uint8_t { ordinal, position };

template <class Tag, StrongIntKind Kind>
class StrongInt {
 public:
  using rep_type = std::uint64_t;
  static constexpr std::string_view id_prefix = "";  // a StrongId that describes as its value
  static constexpr bool is_position = Kind == StrongIntKind::position;

  rep_type value = 0;  // public like NodeId's: the codec and field-driven generators fill it

  constexpr StrongInt() = default;
  constexpr explicit StrongInt(rep_type raw) : value(raw) {}
  friend constexpr auto operator<=>(const StrongInt&, const StrongInt&) = default;

  // Ordinal: the next one (a candidate's new term).
  constexpr StrongInt next() const requires(!is_position) {
    FL_ASSERT(value < max_value, "a strong integer overflows");
    return StrongInt{value + 1};
  }

  // Position: moved by a count, or the count between two positions.
  friend constexpr StrongInt operator+(StrongInt at, rep_type count) requires(is_position) {
    FL_ASSERT(count <= max_value - at.value, "a position overflows");
    return StrongInt{at.value + count};
  }
  friend constexpr StrongInt operator-(StrongInt at, rep_type count) requires(is_position) {
    FL_ASSERT(count <= at.value, "a position moves below 0");
    return StrongInt{at.value - count};
  }
  friend constexpr rep_type operator-(StrongInt to, StrongInt from) requires(is_position) {
    FL_ASSERT(from <= to, "the count between positions is negative");
    return to.value - from.value;
  }
  constexpr StrongInt& operator+=(rep_type count) requires(is_position) {
    return *this = *this + count;
  }
  constexpr StrongInt& operator-=(rep_type count) requires(is_position) {
    return *this = *this - count;
  }
  constexpr StrongInt& operator++() requires(is_position) { return *this += 1; }
  constexpr StrongInt& operator--() requires(is_position) { return *this -= 1; }

 private:
  static constexpr rep_type max_value = std::numeric_limits<rep_type>::max();
};

}  // namespace faultline
