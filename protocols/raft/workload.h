// The Raft key-value store's environment: closed-loop clients.
//
// Each client has one request outstanding at a time (seq 1, 2, ...). It sends to the node it
// believes leads; a `not_leader` reply sends it to the hinted leader (or, with no hint, to the
// next node after retry_backoff); no answer within request_timeout sends the same request (same
// seq, next attempt) to the next node. Sessions make the retries apply once. Operations are
// drawn from the workload's Rng: reads, puts of a value unique to (client, seq), and
// compare-and-sets that expect the value the client last saw for the key.
//
// Scripted clients: with `operations` set, the Rng draws nothing; each client sends exactly its
// entries of the list, in order, each at its time `at`, or when the client's previous request
// is answered if that is later (one request outstanding), and stops when they run out.
// Retries, redirects and timeouts are as above. Absolute times, not think times, so that
// removing a request (as shrinking does) leaves the later ones where they were.
// script() reports what a run issued in that form (drawn or scripted), so a shrunk capsule
// lists its client operations explicitly.
// Invariant: the same seed and config give the same inputs at the same times; so does the
// config with script() set as `operations`; idle() is true once every request issued has its
// answer and no more will be issued.
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
// Scripted requests a config may list, and requests a run records for script(): a run that
// issues more reports no script (a capsule that long would not be read).
inline constexpr std::size_t scripted_requests_max = 100'000;

// One request of a script (`workload.operations`): client `client` (0-based, below `clients`)
// sends `operation` at `at` (or at its previous answer, if that is later).
struct ScriptedRequest {
  static constexpr std::string_view type_name = "ScriptedRequest";
  std::uint32_t client = 0;
  Duration at;  // from the start of the run
  Operation operation;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("client", self.client);
    visit("at", self.at);
    visit("operation", self.operation);
  }
  friend bool operator==(const ScriptedRequest&, const ScriptedRequest&) = default;
};

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
  // Scripted clients (see the banner): the drawing keys (duration, think_time, keys, the
  // percentages, readers, requests_per_client) then mean nothing.
  std::optional<std::vector<ScriptedRequest>> operations;
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
    visit("operations", self.operations);
  }
  friend bool operator==(const WorkloadConfig&, const WorkloadConfig&) = default;

  // At most clients_max clients and keys_max keys, timeouts at least timer_floor, percentages
  // summing to at most 100, targets inside the cluster, scripted requests of existing clients.
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
  std::optional<WorkloadScript> script(Time end) const;

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
    ScriptCursor<ScriptedRequest> script;               // scripted: its requests, in order
  };

  // The client's next request, its think time counted from `from`; none when it is done.
  void next_request(std::uint32_t index, Time from, WorkloadSink<Raft>& sink);
  std::optional<ScriptedRequest> next_drawn(std::uint32_t index, Time from);
  void remember_value(Client& client, const ClientReply& reply);  // drawn CAS expect it
  void send(std::uint32_t index, Time at, WorkloadSink<Raft>& sink);
  Operation draw_operation(Client& client, std::uint32_t index, std::uint64_t seq);
  NodeId next_node(NodeId node) const;  // where a client tries next: round robin

  WorkloadConfig config_;
  std::uint32_t node_count_;
  Rng rng_;
  std::vector<Client> clients_;
  std::vector<ScriptedRequest> issued_;  // every request's first send, for script()
  bool issued_overflow_ = false;         // more than scripted_requests_max: no script
};

}  // namespace faultline::raft
