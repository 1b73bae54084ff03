// `faultline bench quorum_kv-socket`: writes acknowledged at W=2 per second of a quorum
// key-value cluster on loopback (n0 the gateway, n1 the registry, n2 the coordinator, n3 the
// leader, n4 and n5 its followers), every node a real process that fdatasyncs its store before
// it sends anything that depends on it (the harness: tools/faultline/socket_bench.h). The
// sessions write through the gateway, n0; a write counts when its `ok` reply arrives (the
// leader and one follower stored it durably, and the leader recorded the session's answer).
// Raft's `bench raft-socket` and `bench write_concern-socket` are the figures to compare with,
// measured in the same run.
#include <optional>

#include "checkers/quorum_kv/binding.h"
#include "tools/faultline/socket_bench.h"

namespace faultline::quorum_kv {

namespace {

struct QuorumKvSocket {
  using P = QuorumKv;
  static constexpr std::string_view name = "quorum_kv-socket";
  // A leader and 2 followers (4 + followers nodes); a follower silent for 1 s is dead, so a slow
  // fsync under load does not take it out of the write quorum.
  static constexpr std::string_view default_config =
      "{ followers: 2, write_quorum: 2, read_quorum: 2, heartbeat_interval: 100ms, "
      "heartbeat_timeout: 1s }";
  static constexpr std::uint32_t nodes = 6;
  static constexpr std::string_view primary_role = "gateway";  // every request goes to n0
  static constexpr std::string_view writes = "writes at W=2 through the gateway";
  static constexpr double seed_writes_per_second = 0;  // the seed gives no figure

  static WorkloadConfig workload(std::uint32_t clients, Duration duration, std::uint32_t) {
    WorkloadConfig workload;
    workload.clients = clients;
    workload.duration = duration;
    workload.think_time = DurationRange{Duration{}, Duration{}};
    workload.read_percent = 0;
    workload.keys = 16;
    workload.request_timeout = Duration::from_seconds(2);
    return workload;
  }
  static std::optional<std::uint64_t> first_send(const Input& input) {
    const auto* write = std::get_if<Write>(&input);
    if (write == nullptr) return std::nullopt;
    return request_key(write->id);  // a retry has the same key: the first send's time stays
  }
  static std::optional<socket_bench::Reply> reply(const Output& output) {
    const auto* reply = std::get_if<Reply>(&output);
    if (reply == nullptr) return std::nullopt;
    return socket_bench::Reply{reply->write && reply->status == Status::ok, request_key(reply->id)};
  }
};

}  // namespace

int run_socket_benchmark(const Benchmark::Context& context) {
  return socket_bench::run<QuorumKvSocket>(context);
}

}  // namespace faultline::quorum_kv
