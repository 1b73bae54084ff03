// `faultline bench raft-socket`: committed writes per second of a Raft cluster on loopback, with
// every node a real process writing its durable log with fdatasync (the harness:
// tools/faultline/socket_bench.h). The sessions send puts only, to the leader; a write counts
// when its ok reply carries a log index (the leader committed and applied it).
#include <optional>

#include "checkers/raft/binding.h"
#include "tools/faultline/socket_bench.h"

namespace faultline::raft {

namespace {

struct RaftSocket {
  using P = Raft;
  static constexpr std::string_view name = "raft-socket";
  static constexpr std::string_view default_config =
      "{ election_timeout: [1s, 2s], heartbeat_interval: 100ms }";
  static constexpr std::string_view primary_role = "leader";
  static constexpr std::string_view writes = "puts only";
  // The seed's figure: "Write Operations/s, 3-Node Cluster: 4,200" (seeds/003, Benchmark Results).
  static constexpr double seed_writes_per_second = 4200;

  static WorkloadConfig workload(std::uint32_t clients, Duration duration, std::uint32_t leader) {
    WorkloadConfig workload;
    workload.clients = clients;
    workload.duration = duration;
    workload.think_time = DurationRange{Duration{}, Duration{}};
    workload.read_percent = 0;
    workload.cas_percent = 0;
    workload.keys = 16;
    workload.request_timeout = Duration::from_seconds(2);
    workload.first_target = NodeId{leader};
    return workload;
  }
  static std::optional<std::uint64_t> first_send(const Input& input) {
    const auto* r = std::get_if<ClientRequest>(&input);
    if (r == nullptr || r->attempt != 0) return std::nullopt;
    return (r->client << 32) | r->seq;
  }
  static std::optional<socket_bench::Reply> reply(const Output& output) {
    const auto* reply = std::get_if<ClientReply>(&output);
    if (reply == nullptr) return std::nullopt;
    return socket_bench::Reply{reply->status == ReplyStatus::ok && reply->index != Index{},
                               (reply->client << 32) | reply->seq};
  }
};

}  // namespace

int run_socket_benchmark(const Benchmark::Context& context) {
  return socket_bench::run<RaftSocket>(context);
}

}  // namespace faultline::raft
