// Helpers for the end-to-end cluster tests (tests/protocols/<protocol>/cluster_e2e_test.cc):
// the faultline binary under test (FAULTLINE_BINARY, set by CMake), running it to completion,
// polling for a condition, a live node's state, SIGKILL, a guard that leaves no process behind
// however the test ends, that the nodes ran with auth, and judging the outcome with the
// protocol's checks. Catch2 tests only.
#pragma once

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sim/core/check_suite.h"
#include "sim/core/codec.h"
#include "sim/core/config_tree.h"
#include "sim/real/client.h"
#include "sim/real/cluster_file.h"
#include "sim/real/durable_log.h"
#include "sim/real/process.h"
#include "sim/real/real_node.h"
#include "tests/support/real_support.h"

namespace faultline::real::testing {

// What every end-to-end story holds: a temporary directory with its cluster file, the client's
// history and log, the loaded cluster and its decoded protocol config. A story derives from it.
template <class P>
struct ClusterStory {
  TempDir dir;
  std::string cluster_path = dir.path + "/cluster.yaml";
  std::string history_path = dir.path + "/history.jsonl";
  std::string client_log = dir.path + "/client.log";
  ClusterFile cluster;
  typename P::Config config;
};

// Writes the story's cluster file for P, `node_count` nodes (fresh loopback ports, data under
// dir/data, `sections`: its config:, workload: and runtime: lines, and an auth: key file in
// dir), then loads it and decodes its config. How every end-to-end story starts.
template <class P>
void write_authenticated_cluster(ClusterStory<P>& story, std::uint64_t seed,
                                 const std::string& sections, std::size_t node_count = 3) {
  const auto ports = free_ports(node_count);
  std::string yaml = "protocol: " + std::string(P::name) + "\nseed: " + std::to_string(seed) +
                     "\ndata_dir: " + story.dir.path + "/data\n";
  yaml += nodes_yaml(ports) + sections + auth_key_file_yaml(story.dir.path);
  write_text(story.cluster_path, yaml);
  auto loaded = load_cluster_file(story.cluster_path);
  REQUIRE(loaded.has_value());
  story.cluster = std::move(*loaded);
  REQUIRE(decode_config(story.cluster.config, story.config).has_value());
  REQUIRE(story.cluster.auth_key() != nullptr);
}

// The pid a running node wrote to its pid file.
inline pid_t node_pid(const ClusterFile& cluster, std::uint32_t index) {
  auto pid = read_pid_file(NodeFiles{cluster.node_dir(index)}.pid());
  REQUIRE(pid.has_value());
  REQUIRE(pid->has_value());
  return **pid;
}

inline std::string faultline_binary() {
  const char* path = std::getenv("FAULTLINE_BINARY");
  return path != nullptr ? path : "";
}

// Runs the faultline binary to completion; returns its exit status (128 + signal if killed).
inline int run_faultline(const std::vector<std::string>& args, const std::string& log_path) {
  auto pid = spawn_detached(faultline_binary(), args, log_path);
  REQUIRE(pid.has_value());
  int status = 0;
  REQUIRE(::waitpid(*pid, &status, 0) == *pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Starts `faultline client` on the story's cluster, recording its history (it waits up to 1 s
// for the cluster and runs at most 100 s); returns the client's pid.
template <class P>
pid_t start_client(const ClusterStory<P>& story) {
  auto client = spawn_detached(faultline_binary(),
                               {"client", story.cluster_path, "--history", story.history_path,
                                "--wait", "1", "--max-time", "100"},
                               story.client_log);
  REQUIRE(client.has_value());
  return *client;
}

// Whether `condition` held within `deadline` (checked every 20 ms, and once more at the end).
template <class Condition>
bool poll_until(Condition condition, std::chrono::seconds deadline) {
  const auto stop_at = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < stop_at) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

// A node's status reply, with its state decoded as protocol P's node.
template <class P>
struct LiveNode {
  StatusReply reply;
  typename P::Node node;
};

// Asks node `index` of `cluster` for its status: nullopt if it does not answer within `timeout`;
// a reply whose state does not decode exactly fails the test.
template <class P>
std::optional<LiveNode<P>> status_of(const ClusterFile& cluster, const typename P::Config& config,
                                     std::uint32_t index, Duration timeout) {
  auto reply = query_status<P>(cluster, index, timeout);
  if (!reply) return std::nullopt;
  typename P::Node node(config, NodeId{index}, static_cast<std::uint32_t>(cluster.nodes.size()),
                        std::nullopt);
  INFO("n" << index << "'s status: " << reply->text.substr(0, 300));  // says why state is left out
  REQUIRE_FALSE(reply->node_state.empty());
  ByteReader reader(reply->node_state);
  decode_into(reader, node);
  REQUIRE(reader.ok());
  REQUIRE(reader.remaining() == 0);
  return LiveNode<P>{*reply, std::move(node)};
}

// Every node of `cluster` logged that it requires the cluster's key (its `auth:` took effect: no
// peer or client reaches it without the handshake).
inline void check_nodes_authenticated(const ClusterFile& cluster) {
  for (std::uint32_t i = 0; i < cluster.nodes.size(); ++i) {
    const std::string log = read_text(NodeFiles{cluster.node_dir(i)}.log());
    INFO(cluster.nodes[i].id << "'s node.log:\n" << log);
    CHECK_THAT(log, Catch::Contains("auth: every peer and client must prove the cluster's key"));
  }
}

// SIGKILLs a process and waits until it is gone.
inline void kill_and_reap(pid_t pid) {
  REQUIRE(::kill(pid, SIGKILL) == 0);
  REQUIRE(poll_until([&] { return !faultline_process_alive(pid); }, std::chrono::seconds(10)));
}

// Every property of `suite` of one of `kinds` holds over `view` (each failure named and shown).
template <class P>
void check_properties(const ClusterView<P>& view, const CheckSuite<P>& suite,
                      const std::vector<PropertyKind>& kinds) {
  for (const auto& property : suite.properties) {
    if (std::ranges::find(kinds, property.kind) == kinds.end()) continue;
    INFO(property.name);
    const auto verdict = property.check(view);
    CHECK_FALSE(verdict.has_value());
    if (verdict) WARN(*verdict);
  }
}

// The named history checks of `suite` (every one when `names` is empty) pass over `record`.
template <class P>
void check_history_checks(const RunRecord<P>& record, const CheckSuite<P>& suite,
                          const std::vector<std::string>& names = {}) {
  for (const auto& check : suite.history_checks) {
    if (!names.empty() && std::ranges::find(names, check.name) == names.end()) continue;
    INFO(check.name);
    const auto verdict = check.check(record);
    CHECK_FALSE(verdict.has_value());
    if (verdict) WARN(verdict->reason);
  }
}

// The final state of a cluster the test brought to rest: every node's state (from its status
// reply, `live`, one per node, all answered) and its durable state read from its data
// directory, as the checkers' view. The vectors own what the view points at.
template <class P>
struct FinalState {
  std::vector<std::optional<typename P::Node>> nodes;
  std::vector<std::optional<typename P::Durable>> disks;
  ClusterView<P> view() const { return ClusterView<P>{nodes, disks, Time{}}; }
};

template <class P>
FinalState<P> final_state(const ClusterFile& cluster,
                          const std::vector<std::optional<LiveNode<P>>>& live) {
  FinalState<P> state;
  for (std::uint32_t i = 0; i < cluster.nodes.size(); ++i) {
    REQUIRE(live[i].has_value());
    state.nodes.emplace_back(live[i]->node);
    auto disk = DurableLog::read<typename P::Durable>(NodeFiles{cluster.node_dir(i)}.durable());
    REQUIRE(disk.has_value());
    state.disks.push_back(std::move(*disk));
  }
  return state;
}

// The story's recorded history through the command line a user has: `faultline check-history`
// (the history checks a client history can decide) and `faultline lin` both pass on the file.
template <class P>
void judge_from_the_command_line(const ClusterStory<P>& story) {
  for (const std::string command : {"check-history", "lin"}) {
    const std::string log = story.dir.path + "/" + command + ".log";
    const int code = run_faultline({command, story.history_path}, log);
    INFO("faultline " << command << ":\n" << read_text(log));
    CHECK(code == 0);
    if (command == "check-history")
      CHECK_THAT(read_text(log), Catch::Contains("ok   linearizable"));
  }
}

// Whatever happens, no process the test started outlives it: the client is killed (only the
// pid we started: never kill(-1) or a group) and the cluster is brought down.
struct ClusterCleanup {
  std::string cluster_path;
  std::string log_path;
  pid_t client = 0;
  ClusterCleanup(std::string cluster, std::string log, pid_t client_pid)
      : cluster_path(std::move(cluster)), log_path(std::move(log)), client(client_pid) {}
  ClusterCleanup(const ClusterCleanup&) = delete;
  ClusterCleanup& operator=(const ClusterCleanup&) = delete;
  ~ClusterCleanup() {
    if (client > 1) {
      ::kill(client, SIGKILL);
      ::waitpid(client, nullptr, 0);
    }
    auto pid = spawn_detached(faultline_binary(), {"cluster", "down", cluster_path, "--grace", "2"},
                              log_path);
    if (pid) ::waitpid(*pid, nullptr, 0);
  }
};

// The client finishes its workload (every request answered) and exits 0 by itself within 90 s
// (else it is stopped and the test fails); `cleanup` then has no client left to kill.
inline void wait_for_client_exit(ClusterCleanup& cleanup, pid_t client) {
  int client_status = 0;
  const bool exited =
      poll_until([&] { return ::waitpid(client, &client_status, WNOHANG) == client; },
                 std::chrono::seconds(90));
  if (!exited) {
    ::kill(client, SIGTERM);
    ::waitpid(client, &client_status, 0);
  }
  cleanup.client = 0;  // reaped
  REQUIRE(exited);
  CHECK(WIFEXITED(client_status));
  CHECK(WEXITSTATUS(client_status) == 0);
}

}  // namespace faultline::real::testing
