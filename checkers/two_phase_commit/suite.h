// Checkers for the two-phase-commit canary rollout: safety properties over the cluster view,
// a non-vacuity property, a liveness property, a history check on request routing, and timing
// metrics (DESIGN.md 6).
//
// The safety properties read durable logs, not just volatile state, so a crashed node's votes
// and outcomes still count. Every violation names the nodes, the tx and the versions involved.
// All checks are pure functions of their input (the model checker deduplicates states).
#pragma once

#include <optional>
#include <string>

#include "protocols/two_phase_commit/protocol.h"
#include "sim/core/check_suite.h"
#include "sim/core/property.h"

namespace faultline::two_phase_commit {

using View = ClusterView<TwoPhaseCommit>;
using Record = RunRecord<TwoPhaseCommit>;

// The whole suite, with the names scenarios use in `checks:`:
//   always: atomicity, agreement, validity, durability, votes_in_order;
//   sometimes: committed_a_stage;
//   eventually: termination; history: routing_fidelity;
//   metrics: decision_latency, commit_latency, stage_duration, blocked_time.
CheckSuite<TwoPhaseCommit> check_suite(const Config& config);

// The individual checks, for tests.
std::optional<std::string> check_atomicity(const View& view);
std::optional<std::string> check_agreement(const View& view);
std::optional<std::string> check_validity(const View& view);
std::optional<std::string> check_durability(const View& view, const Config& config);
std::optional<std::string> check_votes_in_order(const View& view);
std::optional<std::string> check_committed_a_stage(const View& view);
std::optional<std::string> check_termination(const View& view);
std::optional<std::string> check_routing_fidelity(const Record& record, const Config& config);
Metrics collect_metrics(const Record& record);

// routing_fidelity's statistical bound: versions with fewer requests are not judged, and a
// canary count k of n requests at weight w (basis points) is rejected only when
// |10000 k - n w| > 5 sqrt(n w (10000 - w)), i.e. outside mean +- 5 standard deviations,
// compared exactly in 128-bit integers (both sides squared, no floating point).
inline constexpr std::uint64_t routing_fidelity_requests_min = 200;
inline constexpr std::uint64_t routing_fidelity_sigmas = 5;
bool canary_count_plausible(std::uint64_t requests, std::uint64_t canary, std::uint32_t weight_bps);

}  // namespace faultline::two_phase_commit
