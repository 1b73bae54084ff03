// The overlay's environment: closed-loop clients of each team, querying the leader.
//
// Client c of team t sends a Query (the seed's `PM2.5 10 50` by default: readings of at least
// value_min, at most `limit` rows), waits for its QueryDone, then fetches the answer's chunks one
// after another, thinks, and sends the next query until `duration` has passed. With key_span
// set, each query covers a window of that many keys drawn uniformly from the data. A query or a
// fetch not answered within request_timeout (the leader crashed, say) is given up and the client
// moves on; with queries_per_client set, a client stops after that many. The clients of team t
// are clients[t] in number; their ids count up across teams.
//
// Invariants: one request per client outstanding; the same seed and config give the same
// inputs at the same times; idle() once every client has finished its last request.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocols/overlay/types.h"
#include "sim/core/ids.h"
#include "sim/core/rng.h"
#include "sim/core/workload.h"

namespace faultline::overlay {

struct Overlay;

inline constexpr std::uint32_t clients_max = 10'000;

struct WorkloadConfig {
  static constexpr std::string_view type_name = "WorkloadConfig";
  std::vector<std::uint32_t> clients{2, 2};  // per team
  Duration duration = Duration::from_seconds(10);
  DurationRange think_time{Duration{}, Duration::from_milliseconds(50)};
  Duration request_timeout = Duration::from_seconds(5);
  std::uint32_t limit = 50;
  std::uint32_t value_min = 10;
  std::uint32_t key_span = 0;  // 0: the whole data; else a window of this many keys
  bool fetch_chunks = true;
  std::uint32_t queries_per_client = 0;  // 0: until duration
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("clients", self.clients);
    visit("duration", self.duration);
    visit("think_time", self.think_time);
    visit("request_timeout", self.request_timeout);
    visit("limit", self.limit);
    visit("value_min", self.value_min);
    visit("key_span", self.key_span);
    visit("fetch_chunks", self.fetch_chunks);
    visit("queries_per_client", self.queries_per_client);
  }
  friend bool operator==(const WorkloadConfig&, const WorkloadConfig&) = default;
  Result<void> validate(std::uint32_t node_count) const;
};

class Workload : public WorkloadDefaults<Overlay> {
 public:
  static constexpr bool closed_loop = true;
  Workload(const WorkloadConfig& config, const Config& protocol_config, std::uint32_t node_count,
           Rng rng);
  void start(WorkloadSink<Overlay>& sink);
  void on_output(Time now, NodeId node, const Output& output, WorkloadSink<Overlay>& sink);
  void on_wake(Time now, std::uint64_t token, WorkloadSink<Overlay>& sink);
  bool idle() const;
  std::string outstanding() const;

 private:
  struct Client {
    std::uint32_t team = 0;
    std::uint32_t queries = 0;  // sent so far; the current one's number
    bool busy = false;          // a request is outstanding
    std::uint32_t generation = 0;
    std::uint32_t chunks = 0;      // of the current answer
    std::uint32_t next_chunk = 0;  // the one asked for
    bool done = false;             // past duration: sends nothing more
  };

  void next_query(std::uint32_t index, Time from, WorkloadSink<Overlay>& sink);
  void send_query(std::uint32_t index, Time at, WorkloadSink<Overlay>& sink);
  void fetch(std::uint32_t index, Time at, WorkloadSink<Overlay>& sink);
  void finished(std::uint32_t index, Time now, WorkloadSink<Overlay>& sink);
  void arm_timeout(std::uint32_t index, Time at, WorkloadSink<Overlay>& sink);

  WorkloadConfig config_;
  std::uint64_t total_records_;
  Rng rng_;
  std::vector<Client> clients_;
};

}  // namespace faultline::overlay
