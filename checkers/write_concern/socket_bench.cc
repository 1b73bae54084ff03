// `faultline bench write_concern-socket`: writes acknowledged with w=2 per second of a 3-node
// write-concern cluster on loopback, every node a real process that fdatasyncs its store before
// it answers (the harness: tools/faultline/socket_bench.h). The sessions post with w=2 to the
// primary, n0; a write counts when its `ok` reply arrives (the primary and one secondary stored
// it durably). Raft's `bench raft-socket` is the figure to beat, measured in the same run
// (README.md, "Performance").
#include <optional>

#include "checkers/write_concern/binding.h"
#include "tools/faultline/socket_bench.h"

namespace faultline::write_concern {

namespace {

struct WriteConcernSocket {
  using P = WriteConcern;
  static constexpr std::string_view name = "write_concern-socket";
  static constexpr std::string_view default_config =
      "{ heartbeat_interval: 100ms, replication_timeout: 1s }";
  static constexpr std::string_view primary_role = "primary";
  static constexpr std::string_view writes = "posts with w=2";
  static constexpr double seed_writes_per_second = 0;  // the seed gives no figure

  static WorkloadConfig workload(std::uint32_t clients, Duration duration, std::uint32_t) {
    WorkloadConfig workload;
    workload.clients = clients;
    workload.duration = duration;
    workload.think_time = DurationRange{Duration{}, Duration{}};
    workload.read_percent = 0;
    workload.w = {2};
    workload.request_timeout = Duration::from_seconds(2);
    return workload;  // posts go to n0, the first primary (the benchmark waits for it)
  }
  static std::uint64_t key(const MessageId& id) {
    return (std::uint64_t{id.client} << 40) | id.number;
  }
  static std::optional<std::uint64_t> first_send(const Input& input) {
    const auto* post = std::get_if<PostMessage>(&input);
    if (post == nullptr) return std::nullopt;
    return key(post->id);  // a retry has the same key: the first send's time stays
  }
  static std::optional<socket_bench::Reply> reply(const Output& output) {
    const auto* reply = std::get_if<PostReply>(&output);
    if (reply == nullptr) return std::nullopt;
    return socket_bench::Reply{reply->status == PostStatus::ok, key(reply->id)};
  }
};

}  // namespace

int run_socket_benchmark(const Benchmark::Context& context) {
  return socket_bench::run<WriteConcernSocket>(context);
}

}  // namespace faultline::write_concern
