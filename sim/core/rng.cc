#include "sim/core/rng.h"

#include <bit>

#include "sim/core/assert.h"

namespace faultline {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t stable_name_hash(std::string_view name) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : name) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

Rng::Rng(std::uint64_t seed) : seed_(seed) {
  std::uint64_t mixer = seed;
  for (auto& word : state_) word = splitmix64(mixer);
  // xoshiro's only forbidden state is all zeros; splitmix64 cannot produce four zeros in a row.
  FL_ASSERT((state_[0] | state_[1] | state_[2] | state_[3]) != 0, "xoshiro state is zero");
}

Rng Rng::fork(std::string_view name) const {
  std::uint64_t mixer = seed_ ^ stable_name_hash(name);
  return Rng(splitmix64(mixer));
}

std::uint64_t negative_log2_q32(std::uint64_t u) {
  FL_ASSERT(u != 0, "log of zero");
  // log2(u) = msb + log2(m), m = u / 2^msb in [1, 2). Fraction bits by repeated squaring.
  const int msb = 63 - std::countl_zero(u);
  // m in Q62 (value 1.0 == 2^62). m < 2^63 throughout, so m * m is one 64 x 64 -> 128 bit
  // multiply (a hot path: every exponential latency).
  std::uint64_t m = msb >= 62 ? u >> (msb - 62) : u << (62 - msb);
  std::uint64_t fraction = 0;
  const std::uint64_t two_q62 = std::uint64_t{1} << 63;
  for (int bit = 31; bit >= 0; --bit) {
    m = static_cast<std::uint64_t>((static_cast<uint128>(m) * m) >> 62);
    if (m >= two_q62) {
      m >>= 1;
      fraction |= std::uint64_t{1} << bit;
    }
  }
  const std::uint64_t log2_q32 = (static_cast<std::uint64_t>(msb) << 32) | fraction;
  return (std::uint64_t{64} << 32) - log2_q32;
}

namespace {
constexpr uint128 isqrt128(uint128 n) {
  // Bit-by-bit integer square root: floor(sqrt(n)).
  uint128 result = 0;
  uint128 bit = static_cast<uint128>(1) << 126;
  while (bit > n) bit >>= 2;
  while (bit != 0) {
    if (n >= result + bit) {
      n -= result + bit;
      result = (result >> 1) + bit;
    } else {
      result >>= 1;
    }
    bit >>= 2;
  }
  return result;
}

// kRootsQ62[i] = 2^(2^-(i+1)) in Q62, computed at compile time by repeated integer square roots.
struct RootTable {
  std::uint64_t values[32];
  constexpr RootTable() : values{} {
    uint128 x = static_cast<uint128>(1) << 63;  // 2.0 in Q62
    for (int i = 0; i < 32; ++i) {
      x = isqrt128(x << 62);
      values[i] = static_cast<std::uint64_t>(x);
    }
  }
};
constexpr RootTable kRootsQ62;
}  // namespace

uint128 exp2_q32(std::uint64_t x_q32) {
  // 2^x = 2^floor(x) * product over set fraction bits of 2^(2^-i); the result is in Q62.
  const std::uint64_t whole = x_q32 >> 32;
  FL_ASSERT(whole < 64, "exp2_q32 argument too large");
  uint128 m = static_cast<uint128>(1) << 62;
  for (int i = 0; i < 32; ++i)
    if (x_q32 & (std::uint64_t{1} << (31 - i))) m = (m * kRootsQ62.values[i]) >> 62;
  return m << whole;
}

Duration Rng::exponential(Duration mean) {
  FL_ASSERT(mean.nanoseconds >= 0, "negative mean");
  // -ln(U) = -log2(U) * ln 2, U uniform in (0, 1]; truncated at 64 means so the tail is bounded.
  constexpr uint128 kLn2Q32 = 2977044472;  // round(ln(2) * 2^32)
  const std::uint64_t u = next_u64() | 1;
  const uint128 neg_log2 = negative_log2_q32(u);
  const uint128 scaled = (static_cast<uint128>(mean.nanoseconds) * neg_log2 * kLn2Q32) >> 64;
  const auto cap = static_cast<uint128>(mean.nanoseconds) * 64;
  return Duration{static_cast<std::int64_t>(scaled < cap ? scaled : cap)};
}

Duration Rng::pareto(Duration scale, Ratio shape, Duration cap) {
  FL_ASSERT(shape.numerator > 0 && shape.denominator > 0, "pareto shape must be positive");
  FL_ASSERT(scale.nanoseconds >= 0 && cap >= scale, "pareto needs 0 <= scale <= cap");
  // scale * U^(-1/shape) = scale * 2^(-log2(U) / shape).
  const std::uint64_t u = next_u64() | 1;
  const uint128 exponent_q32 =
      static_cast<uint128>(negative_log2_q32(u)) * shape.denominator / shape.numerator;
  if ((exponent_q32 >> 32) >= 62) return cap;
  const uint128 factor_q62 = exp2_q32(static_cast<std::uint64_t>(exponent_q32));
  const uint128 limit_q62 = static_cast<uint128>(cap.nanoseconds) << 62;
  if (scale.nanoseconds == 0) return scale;
  if (factor_q62 >= limit_q62 / static_cast<uint128>(scale.nanoseconds)) return cap;
  return Duration{
      static_cast<std::int64_t>((factor_q62 * static_cast<uint128>(scale.nanoseconds)) >> 62)};
}

}  // namespace faultline
