// Helpers for the end-to-end cluster tests (2PC and Raft): the faultline binary under test
// (FAULTLINE_BINARY, set by CMake), running it to completion, polling for a condition, and a
// guard that leaves no process behind however the test ends. Catch2 tests only (REQUIRE).
#pragma once

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

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
