// Rng: our own deterministic PRNG (DESIGN.md 4.1). xoshiro256** seeded through splitmix64.
//
// Named streams: fork("network") derives a child from this stream's *seed* and the name, not
// from its state, so adding a consumer never perturbs the draws of any other. All sampling is
// integer-only (Lemire's unbiased bounded draw; fixed-point logarithms for the exponential and
// Pareto shapes), so a seed reproduces bit for bit on any platform and compiler.
#pragma once

#include <array>

#include "sim/core/int128.h"
#include <cstdint>
#include <string_view>

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

// Fixed-point helpers exposed for tests: -log2(u / 2^64) in Q32, and 2^x for x in Q32.
std::uint64_t negative_log2_q32(std::uint64_t u);
uint128 exp2_q32(std::uint64_t x_q32);

}  // namespace faultline
