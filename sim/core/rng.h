// Rng: our own deterministic PRNG (DESIGN.md 4.1). xoshiro256** seeded through splitmix64.
//
// Named streams: fork("network") derives a child from this stream's *seed* and the name, not
// from its state, so adding a consumer never perturbs the draws of any other. All sampling is
// integer-only (Lemire's unbiased bounded draw; fixed-point logarithms for the exponential and
// Pareto shapes), so a seed reproduces bit for bit on any platform and compiler.
#pragma once

#include <array>
#include <bit>

#include <cstdint>
#include <string_view>
#include "sim/core/int128.h"

#include "sim/core/assert.h"
#include "sim/core/ratio.h"
#include "sim/core/time.h"

namespace faultline {

std::uint64_t splitmix64(std::uint64_t& state);
// FNV-1a, 64-bit: a stable hash of a stream name (stable across runs, platforms and versions).
std::uint64_t stable_name_hash(std::string_view name);

class Rng {
 public:
  explicit Rng(std::uint64_t seed);

  Rng fork(std::string_view name) const;
  std::uint64_t seed() const { return seed_; }

  std::uint64_t next_u64();
  // Uniform in [0, bound), bound > 0.
  std::uint64_t below(std::uint64_t bound);
  // Uniform in [low, high], low <= high.
  std::int64_t between(std::int64_t low, std::int64_t high);
  // True with probability r (r must be a probability).
  bool chance(Ratio r);
  Duration duration_in(DurationRange range);
  // Exponentially distributed with the given mean, truncated at 64 means.
  Duration exponential(Duration mean);
  // Pareto(scale, shape): scale * U^(-1/shape), truncated at cap. shape > 0.
  Duration pareto(Duration scale, Ratio shape, Duration cap);

  friend bool operator==(const Rng&, const Rng&) = default;

 private:
  std::uint64_t seed_;
  std::array<std::uint64_t, 4> state_;
};

// The hot draws are inline: the simulator makes one or more per event.
inline std::uint64_t Rng::next_u64() {
  const std::uint64_t result = std::rotl(state_[1] * 5, 7) * 9;
  const std::uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = std::rotl(state_[3], 45);
  return result;
}

inline std::uint64_t Rng::below(std::uint64_t bound) {
  FL_ASSERT(bound > 0, "Rng::below needs a positive bound");
  // Lemire, "Fast Random Integer Generation in an Interval" (2019): unbiased.
  uint128 m = static_cast<uint128>(next_u64()) * bound;
  auto low = static_cast<std::uint64_t>(m);
  if (low < bound) {
    const std::uint64_t threshold = (0 - bound) % bound;
    while (low < threshold) {
      m = static_cast<uint128>(next_u64()) * bound;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

inline std::int64_t Rng::between(std::int64_t low, std::int64_t high) {
  FL_ASSERT(low <= high, "Rng::between needs low <= high");
  const std::uint64_t span = static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low);
  if (span == UINT64_MAX) return static_cast<std::int64_t>(next_u64());
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(low) + below(span + 1));
}

inline bool Rng::chance(Ratio r) {
  FL_ASSERT(r.denominator > 0 && r.numerator <= r.denominator, "Rng::chance needs a probability");
  if (r.numerator == 0) return false;
  if (r.numerator == r.denominator) return true;
  return below(r.denominator) < r.numerator;
}

inline Duration Rng::duration_in(DurationRange range) {
  FL_ASSERT(range.min <= range.max, "duration range has min > max");
  if (range.min == range.max) return range.min;
  return Duration{between(range.min.nanoseconds, range.max.nanoseconds)};
}

// Fixed-point helpers exposed for tests: -log2(u / 2^64) in Q32, and 2^x for x in Q32.
std::uint64_t negative_log2_q32(std::uint64_t u);
uint128 exp2_q32(std::uint64_t x_q32);

}  // namespace faultline
