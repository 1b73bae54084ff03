// End to end over real processes (loopback only): `faultline cluster up` starts a 3-node Raft
// key-value cluster, `faultline client` drives the closed-loop Raft workload and records the
// history, the leader process is SIGKILLed mid-load, a new leader takes over, the old one is
// restarted with `cluster up` and recovers its durable log, and the client finishes. Then the
// Raft checkers judge what happened: `linearizable`, `acknowledged_writes_durable` and
// `one_leader_per_term` over the recorded history (in process, and through `faultline
// check-history` and `faultline lin`), the always-properties over the final nodes
// (from status replies) and their durable logs, and the `election` metric (from the kill to
// the next BecameLeader in the history) is reported, never asserted on.
//
// Every connection authenticates (the cluster file's auth: names a key file): peers, the client
// and the test's status queries run the handshake and MAC every frame.
//
// Every wait polls a condition against a generous deadline (a loaded 2-core CI machine is
// slow, not wrong). The kill time goes onto the history's clock through the client's log line
// "history times are nanoseconds since CLOCK_MONOTONIC <ns>". The binary comes from
// FAULTLINE_BINARY.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <thread>

#include "checkers/raft/suite.h"
#include "protocols/raft/protocol.h"
#include "sim/real/client.h"
#include "sim/real/durable_log.h"
#include "sim/real/history_io.h"
#include "sim/real/process.h"
#include "sim/real/real_node.h"
#include "tests/support/cluster_process.h"
#include "tests/support/real_support.h"

using namespace faultline;
using namespace faultline::real;
using namespace faultline::real::testing;

namespace {

std::int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Status within 3 s, as the Raft node.
std::optional<LiveNode<Raft>> status_of(const ClusterFile& cluster, const raft::Config& config,
                                        std::uint32_t index) {
  return faultline::real::testing::status_of<Raft>(cluster, config, index,
                                                   Duration::from_seconds(3));
}

// The node that leads the highest term any reachable node knows of, with that term.
std::optional<std::pair<std::uint32_t, raft::Term>> find_leader(
    const ClusterFile& cluster, const raft::Config& config,
    const std::vector<std::uint32_t>& among) {
  std::optional<std::pair<std::uint32_t, raft::Term>> best;
  raft::Term highest;
  for (std::uint32_t i : among) {
    auto live = status_of(cluster, config, i);
    if (!live) continue;
    highest = std::max(highest, live->node.current_term());
    if (live->node.is_leader() && live->node.committed_in_term() &&
        (!best || live->node.current_term() > best->second))
      best = std::pair{i, live->node.current_term()};
  }
  if (best && best->second < highest) return std::nullopt;  // a newer term is being decided
  return best;
}

// The history file as written so far (a line being written fails to parse: try again later).
std::optional<History<Raft>> history_so_far(const std::string& path) {
  auto history = read_history_jsonl<Raft>(path);
  if (!history) return std::nullopt;
  return std::move(*history);
}

bool history_saw_leader(const History<Raft>& history, std::uint32_t node, raft::Term term) {
  for (const auto& e : history.emissions)
    if (const auto* b = std::get_if<raft::BecameLeader>(&e.output);
        b && b->term == term && e.node.value == node)
      return true;
  return false;
}

std::size_t ok_writes(const History<Raft>& history) {
  std::size_t n = 0;
  for (const auto& e : history.emissions)
    if (const auto* r = std::get_if<raft::ClientReply>(&e.output);
        r && r->status == raft::ReplyStatus::ok && r->index != raft::Index{})
      ++n;
  return n;
}

// "... history times are nanoseconds since CLOCK_MONOTONIC <ns>" from the client's log.
std::optional<std::int64_t> client_clock_origin(const std::string& log_path) {
  std::ifstream in(log_path);
  std::string line;
  const std::string marker = "history times are nanoseconds since CLOCK_MONOTONIC ";
  while (std::getline(in, line))
    if (const auto at = line.find(marker); at != std::string::npos)
      return std::stoll(line.substr(at + marker.size()));
  return std::nullopt;
}

// The story's state: the cluster, its files, and what each phase found.
struct Story : ClusterStory<Raft> {
  const std::vector<std::uint32_t> all{0, 1, 2};
  std::uint32_t victim = 0;
  raft::Term victim_term;
  std::uint32_t successor = 0;
  raft::Term successor_term;
  std::int64_t kill_ns = 0;
  std::int64_t restart_ns = 0;
  std::vector<std::optional<LiveNode<Raft>>> live = std::vector<std::optional<LiveNode<Raft>>>(3);
};

void write_cluster(Story& story) {
  // Election timeouts well above the heartbeat and a loaded machine's scheduling hiccups; the
  // client retries every 250 ms of silence; everybody reconnects within 200 ms of a restart.
  write_authenticated_cluster(
      story, 5,
      "config: { election_timeout: [400ms, 800ms], heartbeat_interval: 50ms }\n"
      "workload: { clients: 8, duration: 12s, think_time: [0ms, 5ms], keys: 4, read_percent: 30, "
      "cas_percent: 20,"
      " request_timeout: 250ms, retry_backoff: 20ms }\n"
      "runtime: { reconnect_backoff_min: 20ms, reconnect_backoff_max: 200ms }\n");
}

// Under load: the client has had writes acknowledged, and it saw the current leader elected
// (its BecameLeader is in the history, so the election metric knows who led when we kill).
// A client that connected only after the first election missed it; then a first failover,
// which it does see, comes before the one we measure.
void wait_for_a_leader_the_client_saw(Story& story) {
  std::optional<std::pair<std::uint32_t, raft::Term>> leader;
  for (int round = 0;; ++round) {
    REQUIRE(round < 3);
    std::optional<History<Raft>> history;
    REQUIRE(poll_until(
        [&] {
          history = history_so_far(story.history_path);
          if (!history || ok_writes(*history) < 200) return false;
          leader = find_leader(story.cluster, story.config, story.all);
          return leader.has_value();
        },
        std::chrono::seconds(60)));
    if (history_saw_leader(*history, leader->first, leader->second)) break;
    WARN("the client missed the election of n" << leader->first << " in term "
                                               << leader->second.value << "; a failover first");
    kill_and_reap(node_pid(story.cluster, leader->first));
    REQUIRE(poll_until(
        [&] {
          auto next = find_leader(story.cluster, story.config, story.all);
          return next && next->second > leader->second;
        },
        std::chrono::seconds(30)));
    REQUIRE(run_faultline({"cluster", "up", story.cluster_path}, story.dir.path + "/up.log") == 0);
  }
  story.victim = leader->first;
  story.victim_term = leader->second;
}

// SIGKILL the leader; the other two elect a new leader in a later term; the old leader restarts,
// recovers its durable log and rejoins as a follower.
void fail_over_and_restart(Story& story) {
  const pid_t victim_pid = node_pid(story.cluster, story.victim);
  story.kill_ns = steady_now_ns();
  kill_and_reap(victim_pid);
  const NodeFiles victim_files{story.cluster.node_dir(story.victim)};
  const auto log_bytes_at_kill = read_file_bytes(victim_files.durable());
  REQUIRE(log_bytes_at_kill.has_value());

  std::vector<std::uint32_t> survivors;
  for (std::uint32_t i : story.all)
    if (i != story.victim) survivors.push_back(i);
  REQUIRE(poll_until(
      [&] {
        const auto next = find_leader(story.cluster, story.config, survivors);
        if (!next || next->second <= story.victim_term) return false;
        story.successor = next->first;
        story.successor_term = next->second;
        return true;
      },
      std::chrono::seconds(30)));

  REQUIRE(run_faultline({"cluster", "up", story.cluster_path}, story.dir.path + "/up.log") == 0);
  story.restart_ns = steady_now_ns();
  std::optional<LiveNode<Raft>> restarted;
  REQUIRE(poll_until(
      [&] {
        restarted = status_of(story.cluster, story.config, story.victim);
        return restarted.has_value();
      },
      std::chrono::seconds(30)));
  CHECK(restarted->reply.recovered);
  CHECK(restarted->reply.recovered_bytes > 0);
  // At most a torn record cut off.
  CHECK(restarted->reply.recovered_bytes <= log_bytes_at_kill->size());
  CHECK(restarted->node.current_term() >= story.victim_term);
}

// The cluster settles: one leader, every node applied everything it committed, all equal.
void wait_until_settled(Story& story) {
  auto& live = story.live;
  REQUIRE(poll_until(
      [&] {
        for (std::uint32_t i : story.all) live[i] = status_of(story.cluster, story.config, i);
        for (const auto& n : live)
          if (!n || n->node.commit_index() != live[0]->node.commit_index() ||
              n->node.last_applied() != n->node.commit_index())
            return false;
        return true;
      },
      std::chrono::seconds(30)));
}

// The kill and the restart, on the history's clock.
std::vector<FaultRecord> fault_records(const Story& story, std::int64_t origin_ns) {
  const NodeId victim{story.victim};
  const std::string name = "n" + std::to_string(story.victim);
  return {FaultRecord{Time{story.kill_ns - origin_ns},
                      FaultRecord::Kind::crash,
                      {victim},
                      "SIGKILL " + name + " (leader)",
                      {}},
          FaultRecord{Time{story.restart_ns - origin_ns},
                      FaultRecord::Kind::restart,
                      {victim},
                      "cluster up " + name,
                      {}}};
}

// The new leader's election time, measured (never asserted on: wall-clock durations depend
// on the machine). Printed so the CTest log shows it.
void report_election(const Story& story, const raft::Record& record,
                     const CheckSuite<Raft>& suite) {
  const Metrics metrics = suite.metrics(record);
  const auto election = metrics.find("election");
  REQUIRE(election != metrics.end());
  REQUIRE(election->second.size() == 1);
  const auto failover = metrics.find("failover");
  std::cout << "raft e2e: SIGKILL n" << story.victim << " (leader of term "
            << story.victim_term.value << ") -> n" << story.successor << " elected in term "
            << story.successor_term.value << ": election " << format_duration(election->second[0])
            << (failover != metrics.end() && !failover->second.empty()
                    ? ", failover (first commit) " + format_duration(failover->second[0])
                    : "")
            << "; " << ok_writes(record.history) << " acknowledged writes, "
            << record.history.invocations.size() << " invocations\n";
}

// Judges what happened: the always-properties over the final nodes and logs, the history checks
// over the recorded history, and the election metric reported.
void judge(const Story& story) {
  auto history = read_history_jsonl<Raft>(story.history_path);
  REQUIRE(history.has_value());
  const auto origin = client_clock_origin(story.client_log);
  REQUIRE(origin.has_value());
  INFO("history: " << history->invocations.size() << " invocations, " << history->emissions.size()
                   << " emissions, " << ok_writes(*history) << " acknowledged writes");
  CHECK(ok_writes(*history) > 200);

  const auto at_rest = final_state<Raft>(story.cluster, story.live);
  const raft::View view = at_rest.view();
  const auto suite = raft::check_suite(story.config);
  check_properties<Raft>(view, suite, {PropertyKind::always});

  const auto faults = fault_records(story, *origin);
  const auto names = story.cluster.node_names();
  const Time end = history->emissions.empty() ? Time{} : history->emissions.back().time;
  const raft::Record record{*history, view, faults, names, end, end};
  // Every name must be a check of the suite.
  const std::vector<std::string> checks{"linearizable", "acknowledged_writes_durable",
                                        "one_leader_per_term"};
  for (const auto& name : checks)
    CHECK(std::ranges::any_of(suite.history_checks, [&](const auto& c) { return c.name == name; }));
  check_history_checks<Raft>(record, suite, checks);
  report_election(story, record, suite);
  judge_from_the_command_line(story);
}

}  // namespace

TEST_CASE(
    "raft cluster: 3 real processes under client load, SIGKILL the leader, restart it, checkers "
    "pass") {
  REQUIRE_FALSE(faultline_binary().empty());
  Story story;
  write_cluster(story);
  REQUIRE(run_faultline({"cluster", "up", story.cluster_path}, story.dir.path + "/up.log") == 0);
  const pid_t client = start_client(story);
  ClusterCleanup cleanup(story.cluster_path, story.dir.path + "/down.log", client);

  wait_for_a_leader_the_client_saw(story);
  INFO("leader n" << story.victim << " of term " << story.victim_term.value);
  fail_over_and_restart(story);
  wait_for_client_exit(cleanup, client);
  wait_until_settled(story);
  judge(story);
  check_nodes_authenticated(story.cluster);
}
