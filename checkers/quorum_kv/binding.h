// The quorum key-value store's checks and its binding to the commands (tools/faultline/binding.h).
//
// Checks (what a scenario's `checks:` names):
//   always     one_identity: no two live nodes claim one replica identity (INC-2's ghosts);
//              acked_writes_stored: every write a live leader acknowledged is held, at its
//              version or a newer one, by at least W disks;
//   eventually converged: the leader is up, and every live replica holds exactly its items;
//   history    linearizable: the client history is linearizable as a map of registers (only
//              where the configuration promises it: R + W > N and read_repair sync);
//              rate_limited_per_window: no client had more than rate_limit_max requests
//              admitted in one of the gateway's windows (only with rate_limit);
//              dead_detected: a replica down for longer than the detection bound
//              ((timeout_ticks + 2) x heartbeat_interval) left the alive list within it.
// Metrics: write_latency, read_latency (request -> its ok reply), rate_limited (requests
// refused 429: from the request to the refusal), write_failed and read_failed (503 or
// timeout), stale_read (a read that missed writes acknowledged before it began: the time since
// the first of them was acknowledged) and stale_read_k<k> (the same, for reads exactly k
// versions behind, k = 1..8, and stale_read_k9 for 9 or more), detection (a replica's crash ->
// MemberDown), catch_up (CatchUpStarted -> Ready), spawn (MemberDown -> Spawned), and
// surplus_replica_time (one sample per replica beyond the 2f + 1 that f = failures_tolerated
// needs: the run's length; INC-5's cost check bounds its count), lost_update (an acknowledged
// write with a lower version than a write acknowledged before it began, so last-write-wins
// drops it for the older one: the version gap, for clock stamps the skew that lost it).
// README.md defines them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checkers/linearizability/simulation_bridge.h"
#include "protocols/quorum_kv/protocol.h"
#include "sim/core/check_suite.h"
#include "tools/faultline/binding.h"

namespace faultline::quorum_kv {

using View = ClusterView<QuorumKv>;
using Record = RunRecord<QuorumKv>;

std::optional<std::string> check_one_identity(const View& view);
std::optional<std::string> check_acked_writes_stored(const View& view, const Config& config);
std::optional<std::string> check_converged(const View& view);
std::optional<std::string> check_converged_leaderless(const View& view, const Config& config);
std::optional<CheckFailure> check_rate_limited_per_window(const Record& record,
                                                          const Config& config);
std::optional<CheckFailure> check_dead_detected(const Record& record, const Config& config);
Metrics collect_metrics(const Record& record, const Config& config);
// The longest a crashed replica may stay in the alive list.
Duration detection_bound(const Config& config);

// Client requests and replies as register operations (the `linearizable` check).
struct LinearizabilityMapping {
  std::optional<lin::Call> call(const Input& input) const;
  std::optional<lin::Reply> reply(const Output& output) const;
};
inline constexpr lin::ModelKind linearizability_model = lin::ModelKind::kv;
std::uint64_t request_key(const RequestId& id);
// Whether the configuration promises linearizable reads and writes: R + W > N, and reads write
// back what they return (read_repair sync).
inline bool promises_linearizability(const Config& config) {
  return config.mode == Mode::leader &&
         config.read_quorum + config.write_quorum > config.replicas() &&
         config.read_repair == ReadRepair::sync;
}

CheckSuite<QuorumKv> check_suite(const Config& config);

// `faultline bench quorum_kv-socket` (socket_bench.cc).
int run_socket_benchmark(const Benchmark::Context& context);

// `faultline check --set model.writes=1 --set model.reads=1`: that many writes and reads of one
// key, each from its own client, given to the gateway at boot.
struct ModelOptions {
  static constexpr std::string_view type_name = "ModelOptions";
  std::uint32_t writes = 1;
  std::uint32_t reads = 1;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("writes", self.writes);
    visit("reads", self.reads);
  }
  Result<void> validate(std::uint32_t node_count) const;
};

// The PBS experiment (pbs_bench.cc): one simulated run of `reads` write-then-read pairs with
// N = n, R = r, W = w, the read `t` after the write's acknowledgement, the write and read-answer
// delays exponential with mean `mean`; and the closed form it is checked against.
struct PbsPoint {
  std::uint32_t n = 3;
  std::uint32_t r = 1;
  std::uint32_t w = 1;
  Duration t;
  Duration mean = Duration::from_milliseconds(10);
  std::uint64_t reads = 1'000'000;
  std::uint64_t seed = 1;
};
struct PbsRun {
  std::uint64_t reads = 0;  // reads answered ok
  std::uint64_t stale = 0;  // ... that missed the write before them
  std::uint64_t events = 0;
  double seconds = 0;  // wall time of the simulation (the benchmark's figure, never a test's)
  bool passed = false;
};
Result<PbsRun> run_pbs(const PbsPoint& point);
// P(a read t after a write's acknowledgement misses it) = sum over s of
// Binomial(N-W, e^(-t/mean))(s) x C(s, R) / C(N, R); at t = 0, C(N-W, R) / C(N, R).
double pbs_stale_probability(std::uint32_t n, std::uint32_t r, std::uint32_t w, double t_over_mean);
// `faultline bench quorum_kv-pbs`.
int run_pbs_benchmark(const Benchmark::Context& context);

struct Binding : BindingDefaults<QuorumKv> {
  using ModelOptions = quorum_kv::ModelOptions;
  static CheckSuite<QuorumKv> check_suite(const Config& config) {
    return quorum_kv::check_suite(config);
  }
  static Result<explore::Model<QuorumKv>> model(const Config& config, std::uint32_t node_count,
                                                const ModelOptions& options);
  static void finish_model(explore::Model<QuorumKv>& model);
  static std::vector<Benchmark> benchmarks();
  static std::optional<lin::ClientOperations> client_operations(
      const History<QuorumKv>& history, std::span<const int> invocation_lines);
  // A run report's operations (LinearizabilityMapping's) and its panels: how far followers lag
  // (the keys a leader holds unconfirmed at its version) and what sloppy quorums leave behind
  // (hints held for dead replicas, sibling versions of a key).
  static std::vector<cli::ReportOperation> report_operations(const History<QuorumKv>& history);
  static void report_gauges(const Node& node, cli::ReportGaugeSink& sink);
};

}  // namespace faultline::quorum_kv
