// End to end over real processes (loopback only): `faultline cluster up` starts a 3-node 2PC
// cluster, `faultline client` drives the workload and records the history, a participant is
// SIGKILLed after the first stage commits and restarted with `cluster up`, and the rollout
// reaches 50%. Then the 2PC checkers judge the recorded history and the final states: every
// always-property and routing_fidelity must pass, and the restarted node must have recovered
// its state from its durable file.
//
// Every connection authenticates: the cluster file names a key file (auth:), so `cluster up`,
// the nodes, the client and the status queries all run the handshake and MAC every frame.
//
// Correctness never rests on timing: every wait polls a condition against a deadline. The one
// margin is the protocol's own: the restarted participant must see a health observation (the
// client sends one every 100 ms) before the next stage's PREPARE (stage_interval 2 s later), or
// it votes no and the rollout rolls back. The binary comes from FAULTLINE_BINARY.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <thread>

#include "checkers/two_phase_commit/suite.h"
#include "protocols/two_phase_commit/log.h"
#include "protocols/two_phase_commit/protocol.h"
#include "sim/real/client.h"
#include "sim/real/history_io.h"
#include "sim/real/process.h"
#include "sim/real/real_node.h"
#include "tests/support/cluster_process.h"
#include "tests/support/real_support.h"

using namespace faultline;
using namespace faultline::real;
using namespace faultline::real::testing;
namespace tpc = faultline::two_phase_commit;
using TPC = tpc::TwoPhaseCommit;

namespace {

// Status within 2 s, as the 2PC node.
std::optional<LiveNode<TPC>> status_of(const ClusterFile& cluster, const tpc::Config& config,
                                       std::uint32_t index) {
  return faultline::real::testing::status_of<TPC>(cluster, config, index,
                                                  Duration::from_seconds(2));
}

std::optional<tpc::Log> disk_of(const ClusterFile& cluster, std::uint32_t index) {
  auto log = DurableLog::read<tpc::Log>(NodeFiles{cluster.node_dir(index)}.durable());
  REQUIRE(log.has_value());
  return *log;
}

// The story's state: the cluster, its files, and what each phase found.
struct Story : ClusterStory<TPC> {
  std::vector<std::optional<LiveNode<TPC>>> final_nodes =
      std::vector<std::optional<LiveNode<TPC>>>(3);
};

void write_cluster(Story& story) {
  write_authenticated_cluster(
      story, 11,
      "config: { stages: [5%, 20%, 50%], stage_interval: 2s, prepare_timeout: 1s,"
      " heartbeat_interval: 200ms, query_interval: 200ms, decision_retry: 100ms }\n"
      "workload: { duration: 60s, predict_interval: 5ms, health_interval: 100ms }\n");
}

// Mid-rollout: the first stage committed at the coordinator, no tx in flight, 50% not reached.
void wait_for_mid_rollout(const Story& story) {
  REQUIRE(poll_until(
      [&] {
        auto n0 = status_of(story.cluster, story.config, 0);
        return n0 && n0->node.committed_state().canary_weight_bps >= 500 &&
               n0->node.committed_state().canary_weight_bps < 5000 &&
               !n0->node.coordinator()->active;
      },
      std::chrono::seconds(30)));
}

// SIGKILL participant n1, then restart it (`cluster up` starts only the nodes not running): it
// recovers exactly the file it left when killed, every record still there.
void kill_and_restart_n1(const Story& story) {
  const NodeFiles n1_files{story.cluster.node_dir(1)};
  kill_and_reap(node_pid(story.cluster, 1));
  const auto log_at_kill = disk_of(story.cluster, 1);
  REQUIRE(log_at_kill.has_value());
  const auto bytes_at_kill = read_file_bytes(n1_files.durable());
  REQUIRE(bytes_at_kill.has_value());

  REQUIRE(run_faultline({"cluster", "up", story.cluster_path}, story.dir.path + "/up.log") == 0);
  auto restarted = status_of(story.cluster, story.config, 1);
  REQUIRE(restarted.has_value());
  CHECK(restarted->reply.recovered);
  CHECK(restarted->reply.recovered_bytes == bytes_at_kill->size());
  const auto& records = restarted->node.log().records;
  REQUIRE(records.size() >= log_at_kill->records.size());
  CHECK(std::equal(log_at_kill->records.begin(), log_at_kill->records.end(), records.begin()));
  // The kill may land before n1 heard the decision (then it restarts in doubt and asks the
  // coordinator); either way it never goes below what its log had committed.
  const tpc::CommittedRecord* committed_at_kill = tpc::latest_committed(*log_at_kill);
  const std::uint64_t version_at_kill = committed_at_kill != nullptr
                                            ? committed_at_kill->state.version
                                            : tpc::initial_state(story.config).version;
  CHECK(restarted->node.committed_state().version >= version_at_kill);
}

// The rollout reaches 50% on every node; the restarted node's committed version is what its
// durable log says.
void wait_for_rollout_done(Story& story) {
  auto& final_nodes = story.final_nodes;
  REQUIRE(poll_until(
      [&] {
        for (std::uint32_t i = 0; i < 3; ++i)
          final_nodes[i] = status_of(story.cluster, story.config, i);
        for (const auto& n : final_nodes)
          if (!n || n->node.committed_state().canary_weight_bps != 5000 || n->node.in_doubt_tx())
            return false;
        return final_nodes[0]->node.coordinator()->phase == tpc::RolloutPhase::done;
      },
      std::chrono::seconds(40)));
  const auto n1_disk = disk_of(story.cluster, 1);
  REQUIRE(n1_disk.has_value());
  REQUIRE(tpc::latest_committed(*n1_disk) != nullptr);
  CHECK(final_nodes[1]->node.committed_state() == tpc::latest_committed(*n1_disk)->state);
}

bool served_at_version(const History<TPC>& history, std::uint64_t version) {
  for (const auto& e : history.emissions)
    if (const auto* s = std::get_if<tpc::PredictServed>(&e.output); s && s->version == version)
      return true;
  return false;
}

// The client has seen a prediction served under the 50% version (it writes each line as it
// arrives; a line still being written just fails to parse until the next poll). Then it stops
// (it flushes as it goes).
void stop_client_after_half(const Story& story, ClusterCleanup& cleanup, pid_t client) {
  const std::uint64_t half_version = story.final_nodes[0]->node.committed_state().version;
  CHECK(poll_until(
      [&] {
        auto seen = read_history_jsonl<TPC>(story.history_path);
        return seen && served_at_version(*seen, half_version);
      },
      std::chrono::seconds(20)));
  ::kill(client, SIGTERM);
  int client_status = 0;
  REQUIRE(::waitpid(client, &client_status, 0) == client);
  cleanup.client = 0;  // reaped
  CHECK(WIFEXITED(client_status));
}

// Every property over the final nodes and logs, every history check over the history.
void judge(const Story& story) {
  std::vector<std::optional<tpc::Node>> nodes;
  std::vector<std::optional<tpc::Log>> disks;
  for (std::uint32_t i = 0; i < 3; ++i) {
    nodes.emplace_back(story.final_nodes[i]->node);
    disks.push_back(disk_of(story.cluster, i));
  }
  auto history = read_history_jsonl<TPC>(story.history_path);
  REQUIRE(history.has_value());
  INFO("history: " << history->invocations.size() << " invocations, " << history->emissions.size()
                   << " emissions");
  CHECK(history->invocations.size() > 100);
  std::size_t undelivered = 0;
  for (const auto& inv : history->invocations) undelivered += inv.delivered ? 0 : 1;
  INFO("inputs lost while n1 was down: " << undelivered);

  const tpc::View view{nodes, disks, Time{}};
  const auto suite = tpc::check_suite(story.config);
  check_properties<TPC>(view, suite,
                        {PropertyKind::always, PropertyKind::sometimes, PropertyKind::eventually,
                         PropertyKind::transition});
  const std::vector<FaultRecord> faults{
      FaultRecord{Time{}, FaultRecord::Kind::crash, {NodeId{1}}, "SIGKILL n1", {}},
      FaultRecord{Time{}, FaultRecord::Kind::restart, {NodeId{1}}, "cluster up n1", {}}};
  const auto names = story.cluster.node_names();
  const Time end = history->emissions.empty() ? Time{} : history->emissions.back().time;
  const tpc::Record record{*history, view, faults, names, end, end};
  check_history_checks<TPC>(record, suite);
  // The history is not vacuous: predictions were served under the 50% version.
  CHECK(served_at_version(*history, story.final_nodes[0]->node.committed_state().version));
}

}  // namespace

TEST_CASE("cluster: 3 real processes, SIGKILL a participant mid-rollout, restart, checkers pass") {
  REQUIRE_FALSE(faultline_binary().empty());
  Story story;
  write_cluster(story);
  REQUIRE(run_faultline({"cluster", "up", story.cluster_path}, story.dir.path + "/up.log") == 0);
  auto client = spawn_detached(faultline_binary(),
                               {"client", story.cluster_path, "--history", story.history_path},
                               story.dir.path + "/client.log");
  REQUIRE(client.has_value());
  ClusterCleanup cleanup(story.cluster_path, story.dir.path + "/down.log", *client);

  wait_for_mid_rollout(story);
  kill_and_restart_n1(story);
  wait_for_rollout_done(story);
  stop_client_after_half(story, cleanup, *client);
  judge(story);
  check_nodes_authenticated(story.cluster);
}
