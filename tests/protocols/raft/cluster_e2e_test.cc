// End to end over real processes (loopback only): `faultline cluster up` starts a 3-node Raft
// key-value cluster, `faultline client` drives the closed-loop Raft workload and records the
// history, the leader process is SIGKILLed mid-load, a new leader takes over, the old one is
// restarted with `cluster up` and recovers its durable log, and the client finishes. Then the
// Raft checkers judge what happened: `linearizable`, `acknowledged_writes_durable` and
// `one_leader_per_term` over the recorded history, the always-properties over the final nodes
// (from status replies) and their durable logs, and the `election` metric (from the kill to
// the next BecameLeader in the history) is reported, never asserted on.
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

pid_t node_pid(const ClusterFile& cluster, std::uint32_t index) {
  auto pid = read_pid_file(NodeFiles{cluster.node_dir(index)}.pid());
  REQUIRE(pid.has_value());
  REQUIRE(pid->has_value());
  return **pid;
}

}  // namespace

TEST_CASE(
    "raft cluster: 3 real processes under client load, SIGKILL the leader, restart it, checkers "
    "pass") {
  REQUIRE_FALSE(faultline_binary().empty());
  TempDir dir;
  const auto ports = free_ports(3);
  std::string yaml = "protocol: raft\nseed: 5\ndata_dir: " + dir.path + "/data\n";
  yaml += nodes_yaml(ports);
  // Election timeouts well above the heartbeat and a loaded machine's scheduling hiccups; the
  // client retries every 250 ms of silence; everybody reconnects within 200 ms of a restart.
  yaml +=
      "config: { election_timeout: [400ms, 800ms], heartbeat_interval: 50ms }\n"
      "workload: { clients: 8, duration: 12s, think_time: [0ms, 5ms], keys: 4, read_percent: 30, "
      "cas_percent: 20,"
      " request_timeout: 250ms, retry_backoff: 20ms }\n"
      "runtime: { reconnect_backoff_min: 20ms, reconnect_backoff_max: 200ms }\n";
  const std::string cluster_path = dir.path + "/cluster.yaml";
  write_text(cluster_path, yaml);
  auto loaded = load_cluster_file(cluster_path);
  REQUIRE(loaded.has_value());
  const ClusterFile& cluster = *loaded;
  raft::Config config;
  REQUIRE(decode_config(cluster.config, config).has_value());
  const std::vector<std::uint32_t> all{0, 1, 2};

  REQUIRE(run_faultline({"cluster", "up", cluster_path}, dir.path + "/up.log") == 0);
  const std::string history_path = dir.path + "/history.jsonl";
  const std::string client_log = dir.path + "/client.log";
  auto client = spawn_detached(
      faultline_binary(),
      {"client", cluster_path, "--history", history_path, "--wait", "1", "--max-time", "100"},
      client_log);
  REQUIRE(client.has_value());
  ClusterCleanup cleanup(cluster_path, dir.path + "/down.log", *client);

  // Under load: the client has had writes acknowledged, and it saw the current leader elected
  // (its BecameLeader is in the history, so the election metric knows who led when we kill).
  // A client that connected only after the first election missed it; then a first failover,
  // which it does see, comes before the one we measure.
  std::optional<std::pair<std::uint32_t, raft::Term>> leader;
  for (int round = 0;; ++round) {
    REQUIRE(round < 3);
    std::optional<History<Raft>> history;
    REQUIRE(poll_until(
        [&] {
          history = history_so_far(history_path);
          if (!history || ok_writes(*history) < 200) return false;
          leader = find_leader(cluster, config, all);
          return leader.has_value();
        },
        std::chrono::seconds(60)));
    if (history_saw_leader(*history, leader->first, leader->second)) break;
    WARN("the client missed the election of n" << leader->first << " in term "
                                               << leader->second.value << "; a failover first");
    const pid_t pid = node_pid(cluster, leader->first);
    REQUIRE(::kill(pid, SIGKILL) == 0);
    REQUIRE(poll_until([&] { return !faultline_process_alive(pid); }, std::chrono::seconds(10)));
    REQUIRE(poll_until(
        [&] {
          auto next = find_leader(cluster, config, all);
          return next && next->second > leader->second;
        },
        std::chrono::seconds(30)));
    REQUIRE(run_faultline({"cluster", "up", cluster_path}, dir.path + "/up.log") == 0);
  }
  const std::uint32_t victim = leader->first;
  const raft::Term victim_term = leader->second;
  INFO("leader n" << victim << " of term " << victim_term.value);

  // SIGKILL the leader.
  const pid_t victim_pid = node_pid(cluster, victim);
  const std::int64_t kill_ns = steady_now_ns();
  REQUIRE(::kill(victim_pid, SIGKILL) == 0);
  REQUIRE(
      poll_until([&] { return !faultline_process_alive(victim_pid); }, std::chrono::seconds(10)));
  const auto log_bytes_at_kill = read_file_bytes(NodeFiles{cluster.node_dir(victim)}.durable());
  REQUIRE(log_bytes_at_kill.has_value());

  // The other two elect a new leader in a later term.
  std::vector<std::uint32_t> survivors;
  for (std::uint32_t i : all)
    if (i != victim) survivors.push_back(i);
  std::uint32_t successor = 0;
  raft::Term successor_term;
  REQUIRE(poll_until(
      [&] {
        const auto next = find_leader(cluster, config, survivors);
        if (!next || next->second <= victim_term) return false;
        successor = next->first;
        successor_term = next->second;
        return true;
      },
      std::chrono::seconds(30)));

  // Restart the old leader: it recovers its durable log and rejoins as a follower.
  REQUIRE(run_faultline({"cluster", "up", cluster_path}, dir.path + "/up.log") == 0);
  const std::int64_t restart_ns = steady_now_ns();
  std::optional<LiveNode<Raft>> restarted;
  REQUIRE(poll_until(
      [&] {
        restarted = status_of(cluster, config, victim);
        return restarted.has_value();
      },
      std::chrono::seconds(30)));
  CHECK(restarted->reply.recovered);
  CHECK(restarted->reply.recovered_bytes > 0);
  CHECK(restarted->reply.recovered_bytes <=
        log_bytes_at_kill->size());  // at most a torn record cut off
  CHECK(restarted->node.current_term() >= victim_term);

  // The client finishes its workload (every request answered) and exits by itself.
  int client_status = 0;
  const bool exited =
      poll_until([&] { return ::waitpid(*client, &client_status, WNOHANG) == *client; },
                 std::chrono::seconds(90));
  if (!exited) {
    ::kill(*client, SIGTERM);
    ::waitpid(*client, &client_status, 0);
  }
  cleanup.client = 0;  // reaped
  REQUIRE(exited);
  CHECK(WIFEXITED(client_status));
  CHECK(WEXITSTATUS(client_status) == 0);

  // The cluster settles: one leader, every node applied everything it committed, all equal.
  std::vector<std::optional<LiveNode<Raft>>> live(3);
  REQUIRE(poll_until(
      [&] {
        for (std::uint32_t i : all) live[i] = status_of(cluster, config, i);
        for (const auto& n : live)
          if (!n || n->node.commit_index() != live[0]->node.commit_index() ||
              n->node.last_applied() != n->node.commit_index())
            return false;
        return true;
      },
      std::chrono::seconds(30)));

  auto history = read_history_jsonl<Raft>(history_path);
  REQUIRE(history.has_value());
  const auto origin = client_clock_origin(client_log);
  REQUIRE(origin.has_value());
  std::size_t answered = 0;
  for (const auto& e : history->emissions)
    if (const auto* r = std::get_if<raft::ClientReply>(&e.output);
        r && r->status == raft::ReplyStatus::ok)
      ++answered;
  INFO("history: " << history->invocations.size() << " invocations, " << history->emissions.size()
                   << " emissions, " << answered << " ok replies, " << ok_writes(*history)
                   << " of them writes");
  CHECK(ok_writes(*history) > 200);

  std::vector<std::optional<raft::Node>> nodes;
  std::vector<std::optional<raft::Disk>> disks;
  for (std::uint32_t i : all) {
    nodes.emplace_back(live[i]->node);
    auto disk = DurableLog::read<raft::Disk>(NodeFiles{cluster.node_dir(i)}.durable());
    REQUIRE(disk.has_value());
    disks.push_back(*disk);
  }
  const raft::View view{nodes, disks, Time{}};
  const auto suite = raft::check_suite(config);
  for (const auto& property : suite.properties) {
    if (property.kind != PropertyKind::always) continue;
    INFO(property.name);
    const auto verdict = property.check(view);
    CHECK_FALSE(verdict.has_value());
    if (verdict) WARN(*verdict);
  }

  // The kill and the restart on the history's clock.
  const Time killed_at{kill_ns - *origin};
  const Time restarted_at{restart_ns - *origin};
  const std::vector<FaultRecord> faults{
      FaultRecord{killed_at,
                  FaultRecord::Kind::crash,
                  {NodeId{victim}},
                  "SIGKILL n" + std::to_string(victim) + " (leader)",
                  {}},
      FaultRecord{restarted_at,
                  FaultRecord::Kind::restart,
                  {NodeId{victim}},
                  "cluster up n" + std::to_string(victim),
                  {}}};
  const auto names = cluster.node_names();
  const Time end = history->emissions.empty() ? Time{} : history->emissions.back().time;
  const raft::Record record{*history, view, faults, names, end, end};
  for (const std::string name :
       {"linearizable", "acknowledged_writes_durable", "one_leader_per_term"}) {
    INFO(name);
    const auto check =
        std::ranges::find_if(suite.history_checks, [&](const auto& c) { return c.name == name; });
    REQUIRE(check != suite.history_checks.end());
    const auto verdict = check->check(record);
    CHECK_FALSE(verdict.has_value());
    if (verdict) WARN(verdict->reason);
  }

  // The new leader's election time, measured (never asserted on: wall-clock durations depend
  // on the machine). Printed so the CTest log shows it.
  const Metrics metrics = suite.metrics(record);
  const auto election = metrics.find("election");
  REQUIRE(election != metrics.end());
  REQUIRE(election->second.size() == 1);
  const auto failover = metrics.find("failover");
  std::cout << "raft e2e: SIGKILL n" << victim << " (leader of term " << victim_term.value
            << ") -> n" << successor << " elected in term " << successor_term.value << ": election "
            << format_duration(election->second[0])
            << (failover != metrics.end() && !failover->second.empty()
                    ? ", failover (first commit) " + format_duration(failover->second[0])
                    : "")
            << "; " << ok_writes(*history) << " acknowledged writes, "
            << history->invocations.size() << " invocations\n";
}
