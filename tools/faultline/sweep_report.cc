#include "tools/faultline/sweep_report.h"

#include <algorithm>
#include <bit>
#include <tuple>

#include "sim/core/assert.h"
#include "sim/core/int128.h"

namespace faultline::cli {

namespace {

constexpr int kExactBelowBits = 6;  // values below 64 have a bucket each
constexpr std::int64_t kExactBelow = std::int64_t{1} << kExactBelowBits;
constexpr int kSubBucketBits = 6;  // 64 buckets per power of two above that

}  // namespace

std::size_t LogHistogram::bucket_of(std::int64_t value) {
  FL_ASSERT(value >= 0, "durations are not negative");
  if (value < kExactBelow) return static_cast<std::size_t>(value);
  const auto v = static_cast<std::uint64_t>(value);
  const int exponent = std::bit_width(v) - 1;  // >= 6
  const int shift = exponent - kSubBucketBits;
  const std::uint64_t mantissa = (v >> shift) & ((1u << kSubBucketBits) - 1);
  return static_cast<std::size_t>(kExactBelow) +
         static_cast<std::size_t>(shift) * (std::size_t{1} << kSubBucketBits) + mantissa;
}

std::int64_t LogHistogram::upper_bound(std::size_t bucket) const {
  std::int64_t bound = 0;
  if (bucket < static_cast<std::size_t>(kExactBelow)) {
    bound = static_cast<std::int64_t>(bucket);
  } else {
    const std::size_t above = bucket - static_cast<std::size_t>(kExactBelow);
    const int shift = static_cast<int>(above >> kSubBucketBits);
    const std::uint64_t mantissa = above & ((1u << kSubBucketBits) - 1);
    const std::uint64_t low = ((std::uint64_t{1} << kSubBucketBits) | mantissa) << shift;
    bound = static_cast<std::int64_t>(low + ((std::uint64_t{1} << shift) - 1));
  }
  return std::clamp(bound, min_, max_);
}

void LogHistogram::add(std::int64_t value) {
  const std::size_t bucket = bucket_of(value);
  if (bucket >= buckets_.size()) buckets_.resize(bucket + 1, 0);
  ++buckets_[bucket];
  min_ = count_ == 0 ? value : std::min(min_, value);
  max_ = count_ == 0 ? value : std::max(max_, value);
  ++count_;
}

std::int64_t LogHistogram::at_rank(std::uint64_t rank) const {
  FL_ASSERT(count_ > 0, "a rank of an empty histogram");
  FL_ASSERT(rank < count_, "a rank within the samples");
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen > rank) return upper_bound(i);
  }
  return max_;
}

std::int64_t LogHistogram::percentile(std::uint64_t p_per_million) const {
  FL_ASSERT(p_per_million <= 1'000'000, "a percentile is at most 100%");
  const auto ceil_rank = static_cast<std::uint64_t>(
      (static_cast<uint128>(p_per_million) * count_ + 999'999) / 1'000'000);
  return at_rank(ceil_rank == 0 ? 0 : ceil_rank - 1);
}

SweepAccumulator::SweepAccumulator(std::uint64_t seed_start, std::uint64_t seed_count, Repro repro)
    : repro_(std::move(repro)) {
  report_.seed_start = seed_start;
  report_.seed_count = seed_count;
}

void SweepAccumulator::add_metric(const std::string& name, const std::vector<Duration>& samples,
                                  const RunOutcome& outcome) {
  if (samples.empty()) return;
  MetricDistribution& metric = report_.metrics[name];
  std::int64_t largest = 0;
  for (const Duration d : samples) {
    metric.histogram.add(d.nanoseconds);
    largest = std::max(largest, d.nanoseconds);
  }
  ++metric.seeds_with_samples;
  auto& slowest = metric.slowest;
  // Largest first, a tie by the smaller seed: the same list whatever order seeds come in.
  const auto later = std::find_if(slowest.begin(), slowest.end(), [&](const SlowSeed& s) {
    return s.value_ns < largest || (s.value_ns == largest && s.seed > outcome.seed);
  });
  if (later == slowest.end() && slowest.size() >= slowest_max) return;
  slowest.insert(later, SlowSeed{outcome.seed, largest, repro_(outcome.seed, outcome.fingerprint)});
  if (slowest.size() > slowest_max) slowest.pop_back();
}

void SweepAccumulator::add_verdicts(const RunOutcome& outcome) {
  for (std::size_t position = 0; position < outcome.verdicts.size(); ++position) {
    const CheckVerdict& verdict = outcome.verdicts[position];
    auto [it, added] = check_index_.emplace(verdict.name, report_.checks.size());
    if (added) check_position_.push_back(position);
    check_position_[it->second] = std::min(check_position_[it->second], position);
    if (added) {
      CheckCounts counts;
      counts.name = verdict.name;
      counts.kind = verdict.kind;
      report_.checks.push_back(std::move(counts));
    }
    CheckCounts& counts = report_.checks[it->second];
    if (!verdict.evaluated) {
      ++counts.not_evaluated;
    } else if (verdict.passed) {
      ++counts.passed;
    } else if (counts.failed++ == 0 || outcome.seed < counts.first_failing_seed) {
      counts.first_failing_seed = outcome.seed;
      counts.first_failure = verdict.detail;
    }
  }
}

void SweepAccumulator::add(const RunOutcome& outcome) {
  ++report_.seeds_by_status[outcome.status];
  report_.events += outcome.events;
  report_.virtual_ns += outcome.end.nanoseconds;
  for (const auto& [name, samples] : outcome.metrics) add_metric(name, samples, outcome);
  // The run's convergence time, unless the protocol reports a metric of that name itself.
  if (outcome.convergence && !outcome.metrics.contains("convergence"))
    add_metric("convergence", {*outcome.convergence}, outcome);
  add_verdicts(outcome);
  ++report_.seeds_run;
  if (outcome.status == RunStatus::passed) return;
  ++report_.failing_total;
  // The failing_max smallest failing seeds, in seed order, whatever order seeds come in.
  auto& failing = report_.failing;
  const auto later = std::find_if(failing.begin(), failing.end(),
                                  [&](const FailingSeed& f) { return f.seed > outcome.seed; });
  if (later == failing.end() && failing.size() >= failing_max) return;
  failing.insert(later, FailingSeed{outcome.seed, outcome.status, outcome.failure,
                                    repro_(outcome.seed, outcome.fingerprint)});
  if (failing.size() > failing_max) failing.pop_back();
}

SweepReport SweepAccumulator::finish(std::vector<std::string> nondeterminism) && {
  report_.nondeterminism = std::move(nondeterminism);
  // Checks in the order runs list them (their smallest position, then name).
  std::vector<std::size_t> order(report_.checks.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::tie(check_position_[a], report_.checks[a].name) <
           std::tie(check_position_[b], report_.checks[b].name);
  });
  std::vector<CheckCounts> sorted;
  for (const std::size_t i : order) sorted.push_back(std::move(report_.checks[i]));
  report_.checks = std::move(sorted);
  return std::move(report_);
}

}  // namespace faultline::cli
