// End to end over real processes (loopback only): `faultline cluster up` starts a quorum
// key-value cluster of six processes (n0 the gateway, n1 the registry, n2 the coordinator, n3 the
// leader, n4 and n5 its followers; W=2, R=2, read_repair sync, so the store promises
// linearizability), `faultline client` drives the closed-loop workload through the gateway
// (writes and reads of 4 keys) and records the history. Under that load follower n4 is
// SIGKILLed: the registry declares it dead and writes go on through the leader and n5; restarted
// with `cluster up`, it recovers its durable store, rejoins in a new incarnation and is caught up
// by state transfer before the coordinator counts it again. Then the leader n3 is SIGKILLed:
// writes are refused while reads go on through the two followers; restarted, it recovers its
// store (every version it gave, and the next one), the coordinator sends both followers through
// state transfer again, and writes resume. Then the checkers judge what happened:
// `linearizable` over the recorded history (in process, and through `faultline check-history`
// and `faultline lin` on the file), and the always-properties (one_identity,
// acked_writes_stored) and `converged` over the final nodes (from status replies) and their
// durable stores. The detection and catch-up times are printed, never asserted on.
//
// Every connection authenticates (the cluster file's auth: names a key file). Every wait polls
// a condition against a generous deadline (a loaded 2-core CI machine is slow, not wrong);
// nothing is asserted on wall-clock durations. The binary comes from FAULTLINE_BINARY.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

#include "checkers/quorum_kv/binding.h"
#include "protocols/quorum_kv/protocol.h"
#include "sim/real/durable_log.h"
#include "sim/real/history_io.h"
#include "sim/real/process.h"
#include "tests/support/cluster_process.h"
#include "tests/support/real_support.h"

using namespace faultline;
using namespace faultline::real;
using namespace faultline::real::testing;
namespace qkv = faultline::quorum_kv;

namespace {

// The layout (protocols/quorum_kv/README.md): 4 + followers nodes, no spares.
constexpr std::uint32_t coordinator = 2;
constexpr std::uint32_t leader = 3;
constexpr std::uint32_t follower = 4;  // the follower killed (r1)
constexpr std::uint32_t node_count = 6;

std::int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Story : ClusterStory<QuorumKv> {
  const std::vector<std::uint32_t> all{0, 1, 2, 3, 4, 5};
  std::vector<std::optional<LiveNode<QuorumKv>>> live =
      std::vector<std::optional<LiveNode<QuorumKv>>>(node_count);
  std::vector<std::pair<std::int64_t, FaultRecord>> faults;  // steady-clock ns, the record
};

void write_cluster(Story& story) {
  // Heartbeats every 100 ms, dead after 300 ms of silence; the coordinator answers a write
  // within 1 s and a read within 500 ms, so the clients' 2 s timeout is for lost messages only.
  // The workload outlasts every phase's wait for replies on a loaded machine (15 s did not,
  // beside the other end-to-end tests: 62 s and a failed wait, once in a full CTest run).
  write_authenticated_cluster(
      story, 5,
      "config: { followers: 2, write_quorum: 2, read_quorum: 2, read_repair: sync, "
      "heartbeat_interval: 100ms, heartbeat_timeout: 300ms, write_timeout: 1s, "
      "read_timeout: 500ms, replication_retry: 100ms }\n"
      "workload: { clients: 6, duration: 30s, think_time: [0ms, 5ms], keys: 4, "
      "read_percent: 40, request_timeout: 2s }\n"
      "runtime: { reconnect_backoff_min: 20ms, reconnect_backoff_max: 200ms }\n",
      node_count);
}

std::optional<LiveNode<QuorumKv>> status_of(const Story& story, std::uint32_t index) {
  return faultline::real::testing::status_of<QuorumKv>(story.cluster, story.config, index,
                                                       Duration::from_seconds(3));
}

// The history file as written so far (a line being written fails to parse: try again later).
std::optional<History<QuorumKv>> history_so_far(const Story& story) {
  auto history = read_history_jsonl<QuorumKv>(story.history_path);
  if (!history) return std::nullopt;
  return std::move(*history);
}

// The history file as written so far, read again until it parses (the client flushes it every
// 50 ms, so a read may meet a half-written line).
History<QuorumKv> current_history(const Story& story) {
  std::optional<History<QuorumKv>> history;
  REQUIRE(poll_until([&] { return (history = history_so_far(story)).has_value(); },
                     std::chrono::seconds(30)));
  return std::move(*history);
}

// Ok replies to writes (`writes`) or to reads.
std::size_t ok_replies(const History<QuorumKv>& history, bool writes) {
  std::size_t n = 0;
  for (const auto& e : history.emissions)
    if (const auto* r = std::get_if<qkv::Reply>(&e.output);
        r && r->status == qkv::Status::ok && r->write == writes)
      ++n;
  return n;
}

// Times the registry declared `node` dead.
std::size_t member_downs(const History<QuorumKv>& history, std::uint32_t node) {
  return static_cast<std::size_t>(std::ranges::count_if(history.emissions, [&](const auto& e) {
    const auto* down = std::get_if<qkv::MemberDown>(&e.output);
    return down != nullptr && down->node == NodeId{node};
  }));
}

// Waits until the client has `count` more ok replies to writes (or reads) than now.
void wait_for_replies(const Story& story, std::size_t count, bool writes) {
  const std::size_t start = ok_replies(current_history(story), writes);
  REQUIRE(poll_until(
      [&] {
        auto history = history_so_far(story);
        return history && ok_replies(*history, writes) >= start + count;
      },
      std::chrono::seconds(60)));
}

// Waits until the client saw the registry declare `node` dead once more than `before` times.
void wait_for_member_down(const Story& story, std::uint32_t node, std::size_t before) {
  REQUIRE(poll_until(
      [&] {
        auto history = history_so_far(story);
        return history && member_downs(*history, node) > before;
      },
      std::chrono::seconds(30)));
}

// The coordinator's member on `node`, if the registry's last alive list has one.
std::optional<qkv::Member> member_on(const qkv::Node& coordinator_node, std::uint32_t node) {
  for (const qkv::Member& m : coordinator_node.members())
    if (m.node == NodeId{node}) return m;
  return std::nullopt;
}

// Whether the coordinator counts the leader in an incarnation after `leader_after` and both
// followers for quorums, each caught up in its current incarnation after `follower_after`.
bool coordinator_ready(const Story& story, std::uint64_t leader_after,
                       std::uint64_t follower_after) {
  const auto live = status_of(story, coordinator);
  if (!live) return false;
  const auto& node = live->node;
  const auto head = member_on(node, leader);
  if (!head || head->identity != qkv::leader_identity || head->incarnation <= leader_after)
    return false;
  for (std::uint32_t f : {follower, follower + 1}) {
    const auto member = member_on(node, f);
    if (!member) return false;
    if (f == follower && member->incarnation <= follower_after) return false;
    if (std::ranges::find(node.ready(), qkv::ReadyMark{NodeId{f}, member->incarnation}) ==
        node.ready().end())
      return false;
  }
  return true;
}

std::uint64_t incarnation_of(const Story& story, std::uint32_t node) {
  std::optional<LiveNode<QuorumKv>> live;
  REQUIRE(poll_until([&] { return (live = status_of(story, coordinator)).has_value(); },
                     std::chrono::seconds(30)));
  const auto member = member_on(live->node, node);
  REQUIRE(member.has_value());
  return member->incarnation;
}

void cluster_up(const Story& story) {
  REQUIRE(run_faultline({"cluster", "up", story.cluster_path}, story.dir.path + "/up.log") == 0);
}

qkv::Store disk_of(const Story& story, std::uint32_t node) {
  auto disk = DurableLog::read<qkv::Store>(NodeFiles{story.cluster.node_dir(node)}.durable());
  REQUIRE(disk.has_value());
  REQUIRE(disk->has_value());
  return **disk;
}

// SIGKILLs `node`; notes the kill on the steady clock and returns its store on disk then.
qkv::Store sigkill(Story& story, std::uint32_t node, const std::string& what) {
  const pid_t pid = node_pid(story.cluster, node);
  const std::int64_t at = steady_now_ns();
  kill_and_reap(pid);
  const std::string name = "n" + std::to_string(node);
  story.faults.emplace_back(
      at,
      FaultRecord{Time{}, FaultRecord::Kind::crash, {NodeId{node}}, "SIGKILL " + name + what, {}});
  return disk_of(story, node);
}

// Restarts the dead nodes; the restarted `node` recovered its store: its identity, and every
// key at the version it held on disk at the kill or a newer one.
LiveNode<QuorumKv> restart(Story& story, std::uint32_t node, const qkv::Store& at_kill) {
  cluster_up(story);
  const std::string name = "n" + std::to_string(node);
  story.faults.emplace_back(
      steady_now_ns(),
      FaultRecord{Time{}, FaultRecord::Kind::restart, {NodeId{node}}, "cluster up " + name, {}});
  std::optional<LiveNode<QuorumKv>> restarted;
  REQUIRE(poll_until([&] { return (restarted = status_of(story, node)).has_value(); },
                     std::chrono::seconds(30)));
  CHECK(restarted->reply.recovered);
  const qkv::Store& store = restarted->node.store();
  CHECK(store.identity == at_kill.identity);
  CHECK(store.next_version >= at_kill.next_version);
  for (const qkv::Item& item : at_kill.items) CHECK(store.version_of(item.key) >= item.version);
  return std::move(*restarted);
}

// A follower dies: the registry declares it dead and W=2 writes go on through the leader and the
// other follower; restarted, it rejoins in a new incarnation and is caught up by state transfer.
void kill_and_restart_a_follower(Story& story) {
  const std::size_t downs = member_downs(current_history(story), follower);
  const std::uint64_t incarnation = incarnation_of(story, follower);
  const std::uint64_t leader_incarnation = incarnation_of(story, leader);
  const qkv::Store at_kill = sigkill(story, follower, " (follower r1)");
  wait_for_member_down(story, follower, downs);
  wait_for_replies(story, 100, /*writes=*/true);
  restart(story, follower, at_kill);
  REQUIRE(poll_until([&] { return coordinator_ready(story, leader_incarnation - 1, incarnation); },
                     std::chrono::seconds(30)));
  std::cout << "quorum_kv e2e: SIGKILL n" << follower << " (follower, incarnation " << incarnation
            << "), declared dead, 100 writes acknowledged without it, restarted "
            << "and caught up\n";
}

// The leader dies: the registry declares it dead, writes are refused and reads go on through the
// followers; restarted, it recovers its store, both followers are caught up again, writes resume.
void kill_and_restart_the_leader(Story& story) {
  const std::size_t downs = member_downs(current_history(story), leader);
  const std::uint64_t incarnation = incarnation_of(story, leader);
  const qkv::Store at_kill = sigkill(story, leader, " (leader r0)");
  wait_for_member_down(story, leader, downs);
  wait_for_replies(story, 50, /*writes=*/false);  // reads of the two followers
  const LiveNode<QuorumKv> restarted = restart(story, leader, at_kill);
  REQUIRE(poll_until([&] { return coordinator_ready(story, incarnation, 0); },
                     std::chrono::seconds(30)));
  wait_for_replies(story, 100, /*writes=*/true);
  std::cout << "quorum_kv e2e: SIGKILL n" << leader << " (leader, incarnation " << incarnation
            << ", next version " << at_kill.next_version.value << " on disk), declared dead, "
            << "50 reads served by the followers, restarted (next version "
            << restarted.node.store().next_version.value << "), followers caught up, "
            << "100 writes acknowledged\n";
}

// The cluster settles: every node answers, the leader claims r0 with no write pending, and
// every replica holds exactly its items.
void wait_until_settled(Story& story) {
  auto& live = story.live;
  REQUIRE(poll_until(
      [&] {
        std::vector<std::optional<qkv::Node>> nodes;
        for (std::uint32_t i : story.all) {
          live[i] = status_of(story, i);
          if (!live[i]) return false;
          nodes.emplace_back(live[i]->node);
        }
        if (!live[leader]->node.is_leader() || !live[leader]->node.pending_writes().empty())
          return false;
        return !qkv::check_converged(qkv::View{nodes, {}, Time{}}).has_value();
      },
      std::chrono::seconds(30)));
}

// The kills and restarts, on the history's clock (the client's CLOCK_MONOTONIC line).
std::vector<FaultRecord> fault_records(const Story& story) {
  std::ifstream in(story.client_log);
  std::string line;
  const std::string marker = "history times are nanoseconds since CLOCK_MONOTONIC ";
  std::optional<std::int64_t> origin;
  while (!origin && std::getline(in, line))
    if (const auto at = line.find(marker); at != std::string::npos)
      origin = std::stoll(line.substr(at + marker.size()));
  REQUIRE(origin.has_value());
  std::vector<FaultRecord> records;
  for (const auto& [ns, record] : story.faults) {
    records.push_back(record);
    records.back().time = Time{ns - *origin};
  }
  return records;
}

// Detection (SIGKILL -> MemberDown) and catch-up (CatchUpStarted -> Ready) times, printed.
std::string durations(const Metrics& metrics, const std::string& name) {
  const auto it = metrics.find(name);
  if (it == metrics.end() || it->second.empty()) return "none";
  std::string text;
  for (const Duration d : it->second) text += (text.empty() ? "" : ", ") + format_duration(d);
  return text;
}

void judge(const Story& story) {
  auto history = read_history_jsonl<QuorumKv>(story.history_path);
  REQUIRE(history.has_value());
  const std::size_t writes = ok_replies(*history, true);
  const std::size_t reads = ok_replies(*history, false);
  INFO("history: " << history->invocations.size() << " invocations, " << writes
                   << " acknowledged writes, " << reads << " ok reads");
  CHECK(writes > 400);

  const auto at_rest = final_state<QuorumKv>(story.cluster, story.live);
  const qkv::View view = at_rest.view();
  const auto suite = qkv::check_suite(story.config);
  check_properties<QuorumKv>(view, suite, {PropertyKind::always, PropertyKind::eventually});

  const auto faults = fault_records(story);
  const auto names = story.cluster.node_names();
  const Time end = history->emissions.empty() ? Time{} : history->emissions.back().time;
  const qkv::Record record{*history, view, faults, names, end, end};
  REQUIRE(qkv::promises_linearizability(story.config));
  CHECK(std::ranges::any_of(suite.history_checks,
                            [](const auto& c) { return c.name == "linearizable"; }));
  check_history_checks<QuorumKv>(record, suite, {"linearizable"});
  judge_from_the_command_line(story);

  const Metrics metrics = suite.metrics(record);
  std::cout << "quorum_kv e2e: " << writes << " writes acknowledged with W=2, " << reads
            << " ok reads, " << history->invocations.size()
            << " invocations, linearizable; detection " << durations(metrics, "detection")
            << "; catch-up " << durations(metrics, "catch_up") << "\n";
}

}  // namespace

TEST_CASE(
    "quorum_kv cluster: 6 real processes under client load, SIGKILL a follower, then the leader, "
    "history linearizable, checkers pass") {
  REQUIRE_FALSE(faultline_binary().empty());
  Story story;
  write_cluster(story);
  cluster_up(story);
  const pid_t client = start_client(story);
  ClusterCleanup cleanup(story.cluster_path, story.dir.path + "/down.log", client);

  wait_for_replies(story, 200, /*writes=*/true);
  kill_and_restart_a_follower(story);
  kill_and_restart_the_leader(story);
  wait_for_client_exit(cleanup, client);
  wait_until_settled(story);
  judge(story);
  check_nodes_authenticated(story.cluster);
}
