// `faultline bench raft-socket` (bench_raft_socket.cc): committed writes per second of a Raft
// cluster of real processes on loopback, with fsync'd durable logs.
#pragma once

#include <cstdint>
#include <string>

namespace faultline::cli {

struct RaftSocketBenchOptions {
  std::uint32_t nodes = 3;
  std::uint32_t clients = 256;
  double seconds = 10;
  double warmup_s = 2;
  std::string raft_config = "{ election_timeout: [1s, 2s], heartbeat_interval: 100ms }";
  std::string runtime = "{}";
  std::string dir;  // empty: a temporary directory, removed afterwards
  bool keep = false;
};

int run_raft_socket_benchmark(const RaftSocketBenchOptions& options);

}  // namespace faultline::cli
