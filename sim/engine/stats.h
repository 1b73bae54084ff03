// Order statistics over duration samples, in integers (nearest-rank percentiles), so reports
// and `expect:` bounds are exact and reproducible.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "sim/core/time.h"

namespace faultline {

// Nearest-rank percentile of sorted samples: the smallest sample with at least p_per_mille/1000
// of the samples at or below it. p_per_mille in [0, 1000]; 0 gives the minimum.
inline Duration percentile_sorted(const std::vector<Duration>& sorted, std::uint32_t p_per_mille) {
  if (sorted.empty()) return Duration{};
  const std::size_t n = sorted.size();
  std::size_t rank = (static_cast<std::size_t>(p_per_mille) * n + 999) / 1000;  // ceil(p * n)
  if (rank == 0) rank = 1;
  return sorted[std::min(rank, n) - 1];
}

struct Summary {
  std::size_t count = 0;
  Duration min, p50, p90, p99, max;
};

inline Summary summarize(std::vector<Duration> samples) {
  Summary s;
  s.count = samples.size();
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.min = samples.front();
  s.p50 = percentile_sorted(samples, 500);
  s.p90 = percentile_sorted(samples, 900);
  s.p99 = percentile_sorted(samples, 990);
  s.max = samples.back();
  return s;
}

// The value of one named statistic ("min", "p50", "p90", "p99", "max", "count"), or none.
inline std::optional<std::int64_t> statistic(const Summary& s, std::string_view name) {
  if (name == "count") return static_cast<std::int64_t>(s.count);
  if (s.count == 0) return std::nullopt;
  if (name == "min") return s.min.nanoseconds;
  if (name == "p50") return s.p50.nanoseconds;
  if (name == "p90") return s.p90.nanoseconds;
  if (name == "p99") return s.p99.nanoseconds;
  if (name == "max") return s.max.nanoseconds;
  return std::nullopt;
}

}  // namespace faultline
