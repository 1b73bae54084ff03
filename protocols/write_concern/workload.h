// The write-concern system's environment: closed-loop clients.
//
// Each client has one request outstanding at a time. A post (message number 1, 2, ... of that
// client, with a write concern drawn from `w`) goes to the node the client takes for the primary
// (n0 at first); no answer within request_timeout sends the same post again (same id: the nodes
// deduplicate it). With failover, a `not_primary` answer or a timeout moves the client on to
// the next node (n0, n1, ... round the cluster), where the same post is sent at once. A read
// (GetMessages) goes to a node drawn uniformly and is not retried. Parallel clients never wait
// for each other.
//
// Scripted clients: with `operations` set, the Rng draws nothing; each client sends exactly its
// entries of the list, in order, each at its time `at` or when its previous request is
// answered, whichever is later. script() reports what a run issued in that form.
// Invariants: the same seed and config give the same inputs at the same times, and so does the
// config with script() set as `operations`; idle() is true once every request has its answer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocols/write_concern/types.h"
#include "sim/core/ids.h"
#include "sim/core/rng.h"
#include "sim/core/workload.h"

namespace faultline::write_concern {

struct WriteConcern;

inline constexpr std::uint32_t clients_max = 1'000;
inline constexpr std::size_t scripted_requests_max = 100'000;
// A post answered `not_primary` (with failover) goes to the next node after this long.
inline constexpr Duration not_primary_retry_delay = Duration::from_milliseconds(10);

struct ScriptedPost {
  static constexpr std::string_view type_name = "ScriptedPost";
  static constexpr std::string_view config_name = "post";
  std::uint32_t w = 1;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("w", self.w);
  }
  friend bool operator==(const ScriptedPost&, const ScriptedPost&) = default;
};
struct ScriptedGet {
  static constexpr std::string_view type_name = "ScriptedGet";
  static constexpr std::string_view config_name = "get";
  NodeId node;  // a plain node index
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("node", self.node);
  }
  friend bool operator==(const ScriptedGet&, const ScriptedGet&) = default;
};
using ScriptedOperation = std::variant<ScriptedPost, ScriptedGet>;

// One request of a script: client `client` (0-based) sends `operation` at `at` (or at its
// previous answer, if that is later). A post's message number is the client's count of posts.
struct ScriptedRequest {
  static constexpr std::string_view type_name = "ScriptedRequest";
  std::uint32_t client = 0;
  Duration at;
  ScriptedOperation operation;
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
  DurationRange think_time{Duration{}, Duration::from_milliseconds(10)};
  Duration request_timeout = Duration::from_seconds(2);  // a post not answered: sent again
  std::vector<std::uint32_t> w{1, 2};                    // write concerns, drawn uniformly
  std::uint32_t read_percent = 20;                       // of requests
  std::optional<std::uint64_t> requests_per_client;      // stop after this many
  std::optional<std::vector<ScriptedRequest>> operations;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("clients", self.clients);
    visit("duration", self.duration);
    visit("think_time", self.think_time);
    visit("request_timeout", self.request_timeout);
    visit("w", self.w);
    visit("read_percent", self.read_percent);
    visit("requests_per_client", self.requests_per_client);
    visit("operations", self.operations);
  }
  friend bool operator==(const WorkloadConfig&, const WorkloadConfig&) = default;

  // At most clients_max clients, w values in 1..node count, timeouts at least timer_floor,
  // scripted requests of existing clients to existing nodes.
  Result<void> validate(std::uint32_t node_count) const;
};

class Workload : public WorkloadDefaults<WriteConcern> {
 public:
  static constexpr bool closed_loop = true;
  Workload(const WorkloadConfig& config, const Config& protocol_config, std::uint32_t node_count,
           Rng rng);
  void start(WorkloadSink<WriteConcern>& sink);
  void on_output(Time now, NodeId node, const Output& output, WorkloadSink<WriteConcern>& sink);
  void on_wake(Time now, std::uint64_t token, WorkloadSink<WriteConcern>& sink);
  bool idle() const;
  std::string outstanding() const;
  std::optional<WorkloadScript> script(Time end) const;

 private:
  struct Client {
    std::uint64_t posts = 0;  // message numbers used so far
    bool waiting = false;
    std::uint32_t generation = 0;    // counts sends; a wake names the send it times
    NodeId primary = first_primary;  // where its posts go
    std::optional<ScriptedRequest> current;
    ScriptCursor<ScriptedRequest> script;  // scripted: its requests, in order
    std::uint64_t requests = 0;
  };

  void next_request(std::uint32_t index, Time from, WorkloadSink<WriteConcern>& sink);
  std::optional<ScriptedRequest> next_drawn(std::uint32_t index, Time from);
  void send(std::uint32_t index, Time at, WorkloadSink<WriteConcern>& sink);
  void done(std::uint32_t index, Time now, WorkloadSink<WriteConcern>& sink);

  void move_on(std::uint32_t index);

  WorkloadConfig config_;
  bool failover_ = false;
  std::uint32_t node_count_;
  Rng rng_;
  std::vector<Client> clients_;
  std::vector<ScriptedRequest> issued_;
  bool issued_overflow_ = false;
};

}  // namespace faultline::write_concern
