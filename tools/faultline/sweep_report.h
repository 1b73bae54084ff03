// What a sweep's report draws (`run --seeds N --report`), gathered seed by seed in bounded
// memory: each timing metric's distribution over every seed as a log-bucketed histogram, each
// check's pass and fail counts, the slowest seeds of each metric and the failing seeds, each
// with its repro command.
//
// LogHistogram keeps values below 64 ns exactly and larger ones in 64 buckets per power of two
// (HdrHistogram's scheme with 6 significant bits: a bucket is at most 1/64 = 1.6% wide), so a
// sweep of any size costs at most 30 KiB per metric and merges by adding counts; its minimum
// and maximum are exact.
//
// Invariants: the report is a pure function of the set of outcomes added, whatever their order
// (fuzz adds them as worker threads finish): slowest holds at most slowest_max seeds per metric,
// largest first (ties: smaller seed first); failing holds the failing_max smallest failing
// seeds in seed order, failing_total counts them all; checks are in the order runs list them.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "sim/engine/run_outcome.h"

namespace faultline::cli {

class LogHistogram {
 public:
  void add(std::int64_t value);
  std::uint64_t count() const { return count_; }
  std::int64_t min() const { return min_; }
  std::int64_t max() const { return max_; }
  // The value at 0-based `rank` in sorted order, to the bucket's precision (the bucket's upper
  // bound, within [min, max]).
  std::int64_t at_rank(std::uint64_t rank) const;
  // The nearest-rank percentile (stats.h's rule, to the bucket's precision): the value at rank
  // ceil(p * count) - 1, p = p_per_million / 10^6; 0 gives the minimum.
  std::int64_t percentile(std::uint64_t p_per_million) const;
  // Calls visit(upper bound, count) for every non-empty bucket in value order.
  template <class Visit>
  void for_each_bucket(Visit&& visit) const {
    for (std::size_t i = 0; i < buckets_.size(); ++i)
      if (buckets_[i] != 0) visit(upper_bound(i), buckets_[i]);
  }

 private:
  static std::size_t bucket_of(std::int64_t value);
  std::int64_t upper_bound(std::size_t bucket) const;

  std::vector<std::uint64_t> buckets_;
  std::uint64_t count_ = 0;
  std::int64_t min_ = 0;
  std::int64_t max_ = 0;
};

struct SlowSeed {
  std::uint64_t seed = 0;
  std::int64_t value_ns = 0;  // the seed's largest sample of the metric
  std::string repro;
};

struct MetricDistribution {
  LogHistogram histogram;  // every sample of every seed
  std::uint64_t seeds_with_samples = 0;
  std::vector<SlowSeed> slowest;
};

struct CheckCounts {
  std::string name;
  std::string kind;
  std::uint64_t passed = 0;
  std::uint64_t failed = 0;
  std::uint64_t not_evaluated = 0;
  std::uint64_t first_failing_seed = 0;  // when failed > 0
  std::string first_failure;             // its detail
};

struct FailingSeed {
  std::uint64_t seed = 0;
  RunStatus status = RunStatus::passed;
  std::string failure;
  std::string repro;
};

struct SweepReport {
  std::uint64_t seed_start = 0;
  std::uint64_t seed_count = 0;  // the range asked for (a shard or --time may run fewer)
  std::uint64_t seeds_run = 0;
  std::map<RunStatus, std::uint64_t> seeds_by_status;
  std::uint64_t events = 0;
  std::int64_t virtual_ns = 0;
  std::map<std::string, MetricDistribution> metrics;  // by name ("convergence" included)
  std::vector<CheckCounts> checks;                    // in the order the runs list them
  std::vector<FailingSeed> failing;
  std::uint64_t failing_total = 0;
  std::vector<std::string> nondeterminism;
};

class SweepAccumulator {
 public:
  static constexpr std::size_t slowest_max = 5;
  static constexpr std::size_t failing_max = 100;
  // repro(seed, fingerprint): the command that reproduces a seed.
  using Repro = std::function<std::string(std::uint64_t seed, std::uint64_t fingerprint)>;
  SweepAccumulator(std::uint64_t seed_start, std::uint64_t seed_count, Repro repro);

  void add(const RunOutcome& outcome);
  SweepReport finish(std::vector<std::string> nondeterminism) &&;

 private:
  void add_metric(const std::string& name, const std::vector<Duration>& samples,
                  const RunOutcome& outcome);
  void add_verdicts(const RunOutcome& outcome);

  SweepReport report_;
  Repro repro_;
  std::map<std::string, std::size_t> check_index_;
  std::vector<std::size_t> check_position_;  // per check: its smallest place in a verdict list
};

}  // namespace faultline::cli
