// The leaderless mode against Probabilistically Bounded Staleness (Bailis et al., VLDB 2012):
// the simulated probability that a read right after a write misses it must come within 0.005
// of the closed form C(N-W, R) / C(N, R), over 10^6 reads for N=3, R=W=1 (the figure)
// and 2 x 10^5 for the other rows; and the t-visibility curve at t > 0 (the same formula with
// each late copy landed with probability 1 - e^(-t/mean)). Seeded runs: the figures are the
// same every time, so the bound cannot flake; wall time is never asserted on.
#include <catch2/catch.hpp>

#include <cmath>

#include "checkers/quorum_kv/binding.h"

using namespace faultline;
using namespace faultline::quorum_kv;

namespace {

double simulated(const PbsPoint& point) {
  const auto run = run_pbs(point);
  REQUIRE(run.has_value());
  REQUIRE(run->passed);
  REQUIRE(run->reads == point.reads);  // every read answered ok: no timeout, no refusal
  return static_cast<double>(run->stale) / static_cast<double>(run->reads);
}

double formula(const PbsPoint& point) {
  return pbs_stale_probability(
      point.n, point.r, point.w,
      static_cast<double>(point.t.nanoseconds) / static_cast<double>(point.mean.nanoseconds));
}

}  // namespace

TEST_CASE("quorum_kv PBS: the closed form C(N-W, R) / C(N, R) and its t-visibility curve") {
  CHECK(pbs_stale_probability(3, 1, 1, 0) == Approx(2.0 / 3));
  CHECK(pbs_stale_probability(3, 1, 2, 0) == Approx(1.0 / 3));
  CHECK(pbs_stale_probability(3, 2, 2, 0) == 0);
  CHECK(pbs_stale_probability(5, 1, 1, 0) == Approx(4.0 / 5));
  CHECK(pbs_stale_probability(5, 2, 2, 0) == Approx(3.0 / 10));
  // Later reads: each of the N-W late copies still missing with probability p = e^(-t/mean).
  // N=3, R=W=1: both missing (p^2), the one replica read lacks it with 2/3; one missing
  // (2p(1-p)), with 1/3; so 2p^2/3 + 2p(1-p)/3 = 2p/3.
  const double p = std::exp(-1.0);
  CHECK(pbs_stale_probability(3, 1, 1, 1) == Approx(2 * p / 3));
  CHECK(pbs_stale_probability(3, 1, 1, 50) < 1e-20);
}

TEST_CASE("quorum_kv PBS: N=3 R=1 W=1 over 10^6 reads is within 0.005 of 2/3") {
  const PbsPoint point{3, 1, 1, Duration{}, Duration::from_milliseconds(10), 1'000'000, 1};
  CHECK(std::abs(simulated(point) - formula(point)) < 0.005);
}

TEST_CASE("quorum_kv PBS: the other rows of the table over 2 x 10^5 reads each") {
  const std::uint32_t rows[][3] = {{3, 1, 2}, {3, 2, 2}, {5, 1, 1}, {5, 2, 2}};
  for (const auto& row : rows) {
    const PbsPoint point{row[0],  row[1], row[2], Duration{}, Duration::from_milliseconds(10),
                         200'000, 1};
    INFO("N=" << row[0] << " R=" << row[1] << " W=" << row[2]);
    CHECK(std::abs(simulated(point) - formula(point)) < 0.005);
  }
}

TEST_CASE("quorum_kv PBS: the t-visibility curve for N=3 R=1 W=1 over 10^5 reads a point") {
  for (const std::int64_t t_ms : {1, 5, 10, 20}) {
    const PbsPoint point{
        3, 1, 1, Duration::from_milliseconds(t_ms), Duration::from_milliseconds(10), 100'000, 1};
    INFO("t=" << t_ms << "ms");
    CHECK(std::abs(simulated(point) - formula(point)) < 0.005);
  }
}
