// The quorum key-value store's environment: closed-loop clients of the gateway.
//
// Each client has one request outstanding at a time: a write of a fresh value (client id and
// request number, so every value written is unique) or a read, of a key drawn from `keys`
// ("k0", "k1", ...). Every request goes to the gateway (n0). No answer within request_timeout
// sends the same request again (same id: the leader answers a retried write instead of applying
// it twice); any answer, ok or not, ends the request.
//
// write_then_read (the PBS experiment): each client alternates a write of its own key and a read
// of it read_delay after the write's answer.
//
// Scripted clients: with `operations` set the Rng draws nothing; each client sends exactly its
// entries, in order, each at its time `at` or at the previous answer, whichever is later (the
// seed's curl loops: INC-1's burst of 30 reads). script() reports a run's requests in that form.
// Invariants: the same seed and config give the same inputs at the same times; idle() is true
// once every request has its answer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocols/quorum_kv/types.h"
#include "sim/core/ids.h"
#include "sim/core/rng.h"
#include "sim/core/workload.h"

namespace faultline::quorum_kv {

struct QuorumKv;

inline constexpr std::size_t scripted_requests_max = 100'000;
inline constexpr std::uint32_t keys_max = 1'000;

// The value a client's request writes: unique per (client, request number).
inline std::int64_t value_of(const RequestId& id) {
  return static_cast<std::int64_t>((static_cast<std::uint64_t>(id.client) << 32) | id.number);
}
inline std::string key_name(std::uint32_t index) { return "k" + std::to_string(index); }

struct ScriptedWrite {
  static constexpr std::string_view type_name = "ScriptedWrite";
  static constexpr std::string_view config_name = "write";
  std::string key = "k0";
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("key", self.key);
  }
  friend bool operator==(const ScriptedWrite&, const ScriptedWrite&) = default;
};
struct ScriptedRead {
  static constexpr std::string_view type_name = "ScriptedRead";
  static constexpr std::string_view config_name = "read";
  std::string key = "k0";
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("key", self.key);
  }
  friend bool operator==(const ScriptedRead&, const ScriptedRead&) = default;
};
using ScriptedOperation = std::variant<ScriptedWrite, ScriptedRead>;

struct ScriptedRequest {
  static constexpr std::string_view type_name = "ScriptedRequest";
  std::uint32_t client = 0;  // 0-based
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
  Duration request_timeout = Duration::from_seconds(3);  // no answer: sent again
  std::uint32_t keys = 3;
  std::uint32_t read_percent = 50;
  std::optional<std::uint64_t> requests_per_client;  // stop after this many
  std::optional<std::vector<ScriptedRequest>> operations;
  // The PBS experiment: each client writes its own key ("c1", "c2", ...) and reads it back
  // read_delay after the write's answer, then thinks, and again (keys and read_percent unused).
  bool write_then_read = false;
  Duration read_delay;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("clients", self.clients);
    visit("duration", self.duration);
    visit("think_time", self.think_time);
    visit("request_timeout", self.request_timeout);
    visit("keys", self.keys);
    visit("read_percent", self.read_percent);
    visit("requests_per_client", self.requests_per_client);
    visit("operations", self.operations);
    visit("write_then_read", self.write_then_read);
    visit("read_delay", self.read_delay);
  }
  friend bool operator==(const WorkloadConfig&, const WorkloadConfig&) = default;

  Result<void> validate(std::uint32_t node_count) const;
};

class Workload : public WorkloadDefaults<QuorumKv> {
 public:
  static constexpr bool closed_loop = true;
  Workload(const WorkloadConfig& config, const Config& protocol_config, std::uint32_t node_count,
           Rng rng);
  void start(WorkloadSink<QuorumKv>& sink);
  void on_output(Time now, NodeId node, const Output& output, WorkloadSink<QuorumKv>& sink);
  void on_wake(Time now, std::uint64_t token, WorkloadSink<QuorumKv>& sink);
  bool idle() const;
  std::string outstanding() const;
  std::optional<WorkloadScript> script(Time end) const;

 private:
  struct Client {
    std::uint64_t requests = 0;  // request numbers used so far
    bool waiting = false;
    std::uint32_t generation = 0;  // counts sends; a wake names the send it times
    std::uint32_t attempt = 0;     // sends of the current request before this one
    std::optional<ScriptedRequest> current;
    ScriptCursor<ScriptedRequest> script;
  };

  void next_request(std::uint32_t index, Time from, WorkloadSink<QuorumKv>& sink);
  std::optional<ScriptedRequest> next_drawn(std::uint32_t index, Time from);
  std::optional<ScriptedRequest> next_write_then_read(std::uint32_t index, Time from);
  void send(std::uint32_t index, Time at, WorkloadSink<QuorumKv>& sink);

  WorkloadConfig config_;
  Rng rng_;
  std::vector<Client> clients_;
  std::vector<ScriptedRequest> issued_;
  bool issued_overflow_ = false;
};

}  // namespace faultline::quorum_kv
