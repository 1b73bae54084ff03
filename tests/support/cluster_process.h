// Helpers for the end-to-end cluster tests (tests/protocols/<protocol>/cluster_e2e_test.cc):
// the faultline binary under test (FAULTLINE_BINARY, set by CMake), running it to completion,
// polling for a condition, a live node's state, and a guard that leaves no process behind
// however the test ends. Catch2 tests only (REQUIRE).
#pragma once

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sim/core/codec.h"
#include "sim/real/client.h"
#include "sim/real/process.h"

namespace faultline::real::testing {

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
  ByteReader reader(reply->node_state);
  decode_into(reader, node);
  REQUIRE(reader.ok());
  REQUIRE(reader.remaining() == 0);
  return LiveNode<P>{*reply, std::move(node)};
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

}  // namespace faultline::real::testing
