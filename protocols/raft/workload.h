// The Raft key-value store's environment: closed-loop clients.
//
// Each client has one request outstanding at a time (seq 1, 2, ...). It sends to the node it
// believes leads; a `not_leader` reply sends it to the hinted leader (or, with no hint, to the
// next node after retry_backoff); no answer within request_timeout sends the same request (same
// seq, next attempt) to the next node. Sessions make the retries apply once. Operations are
// drawn from the workload's Rng: reads, puts of a value unique to (client, seq), and
// compare-and-sets that expect the value the client last saw for the key.
// Invariant: the same seed and config give the same inputs at the same times; idle() is true
// once every request issued has its answer and no more will be issued.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/raft/types.h"
#include "sim/core/ids.h"
#include "sim/core/rng.h"
#include "sim/core/workload.h"

namespace faultline::raft {

struct Raft;

// Maxima of the workload: each client keeps a request outstanding and the last value it saw of
// every key, so a million clients or keys only exhaust memory.
inline constexpr std::uint32_t clients_max = 1'000;
inline constexpr std::uint32_t keys_max = 1'000;

struct WorkloadConfig {
  static constexpr std::string_view type_name = "WorkloadConfig";
  std::uint32_t clients = 3;
  Duration duration = Duration::from_seconds(10);  // clients start requests only before this
  DurationRange think_time{Duration{}, Duration::from_milliseconds(10)};  // answer -> next request
  Duration request_timeout = Duration::from_milliseconds(500);            // no answer -> next node
  Duration retry_backoff = Duration::from_milliseconds(20);  // not_leader, no hint -> next node
  std::uint32_t keys = 3;                                    // keys k0 .. k{keys-1}
  std::uint32_t read_percent = 40;                           // of requests
  std::uint32_t cas_percent = 20;                            // of requests; the rest are puts
  std::uint32_t readers = 0;  // the first `readers` clients only read (dashboards, monitors)
  std::optional<std::uint64_t> requests_per_client;  // stop after this many
  std::optional<NodeId> first_target;  // the node clients try first (default: i -> node i mod n)
  // Client i's session id is session_base + i + 1 (none: 0). Client processes driving one real
  // cluster need ids no earlier process used: a node drops a request whose seq is below its
  // session's, so a reused id would wait forever (the socket client picks a fresh base).
  std::optional<std::uint64_t> session_base;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("clients", self.clients);
    visit("duration", self.duration);
    visit("think_time", self.think_time);
    visit("request_timeout", self.request_timeout);
    visit("retry_backoff", self.retry_backoff);
    visit("keys", self.keys);
    visit("read_percent", self.read_percent);
    visit("cas_percent", self.cas_percent);
    visit("readers", self.readers);
    visit("requests_per_client", self.requests_per_client);
    visit("first_target", self.first_target);
    visit("session_base", self.session_base);
  }
  friend bool operator==(const WorkloadConfig&, const WorkloadConfig&) = default;

  // At most clients_max clients and keys_max keys, timeouts at least timer_floor, percentages
  // summing to at most 100, targets inside the cluster.
  Result<void> validate(std::uint32_t node_count) const;
};

class Workload : public WorkloadDefaults<Raft> {
 public:
  static constexpr bool closed_loop = true;  // clients wait for answers and time out
  Workload(const WorkloadConfig& config, const Config& protocol_config, std::uint32_t node_count,
           Rng rng);
  void start(WorkloadSink<Raft>& sink);
  void on_output(Time now, NodeId node, const Output& output, WorkloadSink<Raft>& sink);
  void on_wake(Time now, std::uint64_t token, WorkloadSink<Raft>& sink);
  bool idle() const;
  std::string outstanding() const;

  // Client ids in requests and sessions are 1-based: client i of the config is id
  // session_base + i + 1.
  std::uint64_t client_id(std::uint32_t index) const {
    return config_.session_base.value_or(0) + index + 1;
  }

 private:
  struct Client {
    std::uint64_t seq = 0;  // the current request's seq (0: none yet)
    std::uint32_t attempt = 0;
    std::uint32_t generation = 0;  // counts sends; a wake names the send it times
    NodeId target;                 // the node it sends to
    bool waiting = false;          // a request is outstanding
    Operation operation;
    std::uint32_t key_index = 0;                        // of the operation's key
    std::vector<std::optional<std::string>> last_seen;  // per key: the value it last saw
  };

  void next_request(std::uint32_t index, Time at, WorkloadSink<Raft>& sink);
  void send(std::uint32_t index, Time at, WorkloadSink<Raft>& sink);
  Operation draw_operation(Client& client, std::uint32_t index);
  NodeId next_node(NodeId node) const;  // where a client tries next: round robin

  WorkloadConfig config_;
  std::uint32_t node_count_;
  Rng rng_;
  std::vector<Client> clients_;
};

}  // namespace faultline::raft
