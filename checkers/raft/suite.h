// Checkers for Raft and its key-value store: the Raft paper's safety properties (Figure 3) over
// the cluster view and, for leader append-only, over each step of a node; the seed's state-checksum
// agreement, history checks on the client history (linearizability, no acknowledged write lost, one
// leader per term), liveness, and failover timing metrics (DESIGN.md 6).
//
// Log comparisons use the chained entry checksums (protocols/raft/types.h): two logs agree up to
// an index iff their checksums there are equal, so each pair of nodes costs O(1) per check in
// the common case. The model checker evaluates these properties on every explored state; the
// simulator through their monitors (suite.cc, sim/core/monitor.h), which test after each event
// only the nodes it changed, so a check costs O(changed x distinct node states), not O(n^2).
// Every violation names the nodes, terms and indexes involved.
#pragma once

#include <optional>
#include <string>

#include "checkers/linearizability/simulation_bridge.h"
#include "protocols/raft/protocol.h"
#include "sim/core/check_suite.h"
#include "sim/core/property.h"

namespace faultline::raft {

using View = ClusterView<Raft>;
using Record = RunRecord<Raft>;

// The whole suite, with the names scenarios use in `checks:`:
//   always: election_safety, log_matching, leader_completeness, state_machine_safety,
//           state_checksum_agreement, committed_on_quorum;
//   transition: leader_append_only;
//   sometimes: leader_committed;  eventually: leader_elected;
//   history: one_leader_per_term, linearizable, acknowledged_writes_durable;
//   metrics: election, failover, commit_latency, read_latency, unavailable.
CheckSuite<Raft> check_suite(const Config& config);

// The individual checks, for tests and the model checker.
std::optional<std::string> check_election_safety(const View& view);
std::optional<std::string> check_log_matching(const View& view);
std::optional<std::string> check_leader_completeness(const View& view);
std::optional<std::string> check_state_machine_safety(const View& view);
std::optional<std::string> check_state_checksum_agreement(const View& view);
// etcd raft's QuorumLogInv (its TLA+ spec): every node's committed prefix is on a majority of the
// disks. Judged only while every up node is in the initial configuration (all the nodes): under
// a membership change the quorum that committed an entry may be another configuration's.
std::optional<std::string> check_committed_on_quorum(const View& view);
std::optional<std::string> check_leader_append_only(const NodeStep<Raft>& step);
std::optional<std::string> check_leader_committed(const View& view);
std::optional<std::string> check_leader_elected(const View& view);
std::optional<CheckFailure> check_one_leader_per_term(const Record& record);
std::optional<CheckFailure> check_acknowledged_writes_durable(const Record& record);
Metrics collect_metrics(const Record& record);

// Client operations as the linearizability checker sees them: a request's first attempt is
// the call (retries are the same operation), an ok reply completes it, a Cas that found another
// value definitely did not happen, and not_leader answers are ignored (the client retries).
struct LinearizabilityMapping {
  std::optional<lin::Call> call(const Input& input) const;
  std::optional<lin::Reply> reply(const Output& output) const;
};
// The store is a map of compare-and-set registers.
inline constexpr lin::ModelKind linearizability_model = lin::ModelKind::kv;
std::uint64_t request_id(std::uint64_t client, std::uint64_t seq);

}  // namespace faultline::raft
