// The quorum key-value store's metrics and its one timing check (dead_detected), all read from
// a finished run's record: the client history, the nodes' outputs and the fault log.
#include <algorithm>
#include <map>
#include <vector>

#include "checkers/quorum_kv/binding.h"
#include "sim/core/describe.h"

namespace faultline::quorum_kv {

namespace {

struct Request {
  std::uint64_t id;  // request_key
  Time invoked;
  bool write = false;
  std::string key;
  bool answered = false;
};

// Every client request at its first invocation, sorted by request key (a vector, not a map:
// a PBS run has millions).
std::vector<Request> requests_of(const Record& record) {
  std::vector<Request> requests;
  requests.reserve(record.history.invocations.size());
  for (const auto& call : record.history.invocations) {
    if (const auto* w = std::get_if<Write>(&call.input))
      requests.push_back(Request{request_key(w->id), call.time, true, w->key});
    if (const auto* r = std::get_if<Read>(&call.input))
      requests.push_back(Request{request_key(r->id), call.time, false, r->key});
  }
  const auto by_id = [](const Request& a, const Request& b) { return a.id < b.id; };
  std::stable_sort(requests.begin(), requests.end(), by_id);  // a retry after its first send
  requests.erase(std::unique(requests.begin(), requests.end(),
                             [](const Request& a, const Request& b) { return a.id == b.id; }),
                 requests.end());
  return requests;
}

Request* find_request(std::vector<Request>& requests, std::uint64_t id) {
  const auto it = std::lower_bound(requests.begin(), requests.end(), id,
                                   [](const Request& r, std::uint64_t k) { return r.id < k; });
  return it != requests.end() && it->id == id ? &*it : nullptr;
}

struct AckedWrite {
  Version version;
  Time invoked;
  Time acknowledged;
};
struct OkRead {
  Time invoked;
  std::string key;
  Version version;
};

// Staleness: a read missed every write of its key acknowledged before it began with a higher
// version than the one it returned. Writes are scanned by version from the read's: versions are
// assigned in time, so once a write was invoked after the read began, no later version was
// acknowledged before it (the scan stops there).
void staleness(const std::map<std::string, std::vector<AckedWrite>>& writes,
               const std::vector<OkRead>& reads, Metrics& metrics) {
  for (const OkRead& read : reads) {
    const auto it = writes.find(read.key);
    if (it == writes.end()) continue;
    const auto& list = it->second;
    auto w = std::upper_bound(list.begin(), list.end(), read.version,
                              [](Version v, const AckedWrite& a) { return v < a.version; });
    std::uint32_t missed = 0;
    Time first_ack = read.invoked;
    for (; w != list.end() && w->invoked < read.invoked; ++w)
      if (w->acknowledged <= read.invoked) {  // a read sent on the acknowledgement follows it
        missed += 1;
        first_ack = std::min(first_ack, w->acknowledged);
      }
    if (missed == 0) continue;
    metrics["stale_read"].push_back(read.invoked - first_ack);
    metrics["stale_read_k" + std::to_string(std::min<std::uint32_t>(missed, 9))].push_back(
        read.invoked - first_ack);
  }
}

// Lost updates: an acknowledged write B overwritten by an older one, an acknowledged write A
// that was acknowledged before B began yet carries a higher version (last-write-wins on a clock
// ahead). Sampled as the version gap (for last-write-wins stamps, nanoseconds: the skew that
// lost it). Per key: the writes by acknowledgement, a running maximum of their versions, and for
// each write the writes acknowledged before it began (a binary search).
void lost_updates(const std::map<std::string, std::vector<AckedWrite>>& writes, Metrics& metrics) {
  for (const auto& [key, list] : writes) {
    std::vector<AckedWrite> by_ack = list;
    std::sort(by_ack.begin(), by_ack.end(), [](const AckedWrite& a, const AckedWrite& b) {
      return a.acknowledged < b.acknowledged;
    });
    std::vector<Version> highest(by_ack.size());
    for (std::size_t i = 0; i < by_ack.size(); ++i)
      highest[i] = i == 0 ? by_ack[i].version : std::max(highest[i - 1], by_ack[i].version);
    for (const AckedWrite& b : list) {
      const auto before =
          std::lower_bound(by_ack.begin(), by_ack.end(), b.invoked,
                           [](const AckedWrite& a, Time t) { return a.acknowledged < t; });
      if (before == by_ack.begin()) continue;
      const Version older = highest[static_cast<std::size_t>(before - by_ack.begin()) - 1];
      if (older > b.version)
        metrics["lost_update"].push_back(
            Duration{static_cast<std::int64_t>(older.value - b.version.value)});
    }
  }
}

// Version vectors: an acknowledged write is lost when the key's final siblings (every live
// replica's, joined) lack it and hold only writes acknowledged before it began: nothing that
// came after it replaced it, yet it is gone. (A write replaced by a later one, or kept beside
// a concurrent one, is not lost.) Sampled as how long before the run's end it was acknowledged.
void lost_acknowledged_writes(const Record& record, Metrics& metrics) {
  std::map<std::string, std::vector<std::int64_t>> final_values;
  for (const auto& node : record.final_view.nodes)
    if (node && node->is_replica())
      for (const Sibling& s : node->store().siblings)
        final_values[s.item.key].push_back(s.item.value);
  struct Acked {
    std::string key;
    Time invoked, acknowledged;
  };
  std::map<std::int64_t, Acked> acked;  // by value (each write's is unique)
  std::map<std::uint64_t, std::pair<const Write*, Time>> writes;  // first invocations
  for (const auto& call : record.history.invocations)
    if (const auto* w = std::get_if<Write>(&call.input))
      writes.try_emplace(request_key(w->id), w, call.time);
  for (const auto& emission : record.history.emissions) {
    const auto* reply = std::get_if<Reply>(&emission.output);
    if (reply == nullptr || !reply->write || reply->status != Status::ok) continue;
    const auto w = writes.find(request_key(reply->id));
    if (w == writes.end()) continue;
    const auto& [write, invoked] = w->second;
    acked.try_emplace(write->value, Acked{write->key, invoked, emission.time});
  }
  for (const auto& [value, b] : acked) {
    const auto& kept = final_values[b.key];
    if (kept.empty() || std::find(kept.begin(), kept.end(), value) != kept.end()) continue;
    const bool all_before = std::all_of(kept.begin(), kept.end(), [&](std::int64_t v) {
      const auto a = acked.find(v);
      return a != acked.end() && a->second.acknowledged < b.invoked;
    });
    if (all_before) metrics["lost_update"].push_back(record.end - b.acknowledged);
  }
}

void client_metrics(const Record& record, Metrics& metrics, bool stamps) {
  auto requests = requests_of(record);
  std::map<std::string, std::vector<AckedWrite>> writes;
  std::vector<OkRead> reads;
  for (const auto& emission : record.history.emissions) {
    if (const auto* siblings = std::get_if<Siblings>(&emission.output)) {
      const Request* read = find_request(requests, request_key(siblings->id));
      if (read != nullptr && siblings->values.size() > 1)
        metrics["sibling_read"].push_back(emission.time - read->invoked);
    }
    const auto* reply = std::get_if<Reply>(&emission.output);
    if (reply == nullptr) continue;
    Request* request = find_request(requests, request_key(reply->id));
    if (request == nullptr || request->answered) continue;
    request->answered = true;
    const Duration latency = emission.time - request->invoked;
    const bool write = request->write;
    switch (reply->status) {
      case Status::ok:
        metrics[write ? "write_latency" : "read_latency"].push_back(latency);
        if (write)
          writes[request->key].push_back(
              AckedWrite{reply->version, request->invoked, emission.time});
        else
          reads.push_back(OkRead{request->invoked, request->key, reply->version});
        break;
      case Status::rate_limited: metrics["rate_limited"].push_back(latency); break;
      case Status::unavailable:
      case Status::timeout: metrics[write ? "write_failed" : "read_failed"].push_back(latency);
    }
  }
  for (auto& [key, list] : writes)
    std::sort(list.begin(), list.end(),
              [](const AckedWrite& a, const AckedWrite& b) { return a.version < b.version; });
  staleness(writes, reads, metrics);
  if (stamps) lost_updates(writes, metrics);
}

void membership_metrics(const Record& record, Metrics& metrics) {
  std::map<NodeId, Time> crashed_at;
  std::map<NodeId, Time> catching_since;
  std::map<std::uint32_t, Time> down_since;  // identity -> MemberDown
  std::size_t fault = 0;
  for (const auto& emission : record.history.emissions) {
    for (; fault < record.faults.size() && record.faults[fault].time <= emission.time; ++fault)
      if (record.faults[fault].kind == FaultRecord::Kind::crash)
        for (NodeId node : record.faults[fault].nodes)
          crashed_at.try_emplace(node, record.faults[fault].time);
    if (const auto* down = std::get_if<MemberDown>(&emission.output)) {
      down_since[down->identity.value] = emission.time;
      if (const auto it = crashed_at.find(down->node); it != crashed_at.end()) {
        metrics["detection"].push_back(emission.time - it->second);
        crashed_at.erase(it);
      }
    }
    if (const auto* spawned = std::get_if<Spawned>(&emission.output))
      if (const auto it = down_since.find(spawned->identity.value); it != down_since.end())
        metrics["spawn"].push_back(emission.time - it->second);
    if (const auto* started = std::get_if<CatchUpStarted>(&emission.output))
      catching_since.try_emplace(started->node, emission.time);
    if (const auto* ready = std::get_if<Ready>(&emission.output))
      if (const auto it = catching_since.find(ready->node); it != catching_since.end()) {
        metrics["catch_up"].push_back(emission.time - it->second);
        catching_since.erase(it);
      }
    if (std::holds_alternative<MemberUp>(emission.output))
      crashed_at.erase(std::get<MemberUp>(emission.output).node);
  }
}

// Periods in which the registry was crashed or paused, from the fault log.
bool registry_disturbed_before(const Record& record, Time until) {
  return std::any_of(record.faults.begin(), record.faults.end(), [&](const FaultRecord& f) {
    const bool stops = f.kind == FaultRecord::Kind::crash || f.kind == FaultRecord::Kind::pause;
    return stops && f.time <= until &&
           std::find(f.nodes.begin(), f.nodes.end(), registry_node) != f.nodes.end();
  });
}

// When `node`, crashed at `at`, came back (a restart, or the liveness phase's restarts).
Time back_at(const Record& record, NodeId node, Time at) {
  for (const FaultRecord& f : record.faults) {
    if (f.time <= at) continue;
    if (f.kind == FaultRecord::Kind::liveness_start) return f.time;
    if (f.kind == FaultRecord::Kind::restart &&
        std::find(f.nodes.begin(), f.nodes.end(), node) != f.nodes.end())
      return f.time;
  }
  return record.end;
}

// Whether the registry counted `node` alive just before `at`: its last MemberUp/MemberDown
// (none: alive if it is a replica of the boot layout).
bool alive_at(const Record& record, const Config& config, NodeId node, Time at) {
  bool alive = config.boot_identity(node).has_value();
  for (const auto& emission : record.history.emissions) {
    if (emission.time > at) break;
    if (const auto* up = std::get_if<MemberUp>(&emission.output); up && up->node == node)
      alive = true;
    if (const auto* down = std::get_if<MemberDown>(&emission.output); down && down->node == node)
      alive = false;
  }
  return alive;
}

}  // namespace

std::optional<CheckFailure> check_dead_detected(const Record& record, const Config& config) {
  const Duration bound = detection_bound(config);
  for (const FaultRecord& f : record.faults) {
    if (f.kind != FaultRecord::Kind::crash) continue;
    for (NodeId node : f.nodes) {
      if (node.value < first_replica_node.value) continue;
      if (back_at(record, node, f.time) - f.time <= bound) continue;
      if (registry_disturbed_before(record, f.time + bound)) continue;
      if (!alive_at(record, config, node, f.time)) continue;
      const bool detected = std::any_of(
          record.history.emissions.begin(), record.history.emissions.end(), [&](const auto& e) {
            const auto* down = std::get_if<MemberDown>(&e.output);
            return down && down->node == node && e.time >= f.time && e.time <= f.time + bound;
          });
      if (!detected)
        return CheckFailure(describe(node) + " crashed at " + format_duration(f.time - Time{}) +
                            " but the registry did not declare it dead within " +
                            format_duration(bound));
    }
  }
  return std::nullopt;
}

Metrics collect_metrics(const Record& record, const Config& config) {
  Metrics metrics{{"write_latency", {}}, {"read_latency", {}}};
  const bool vectors = config.conflicts == Conflicts::version_vectors;
  client_metrics(record, metrics, !vectors);
  if (vectors) lost_acknowledged_writes(record, metrics);
  membership_metrics(record, metrics);
  const std::uint32_t needed = 2 * config.failures_tolerated + 1;
  for (std::uint32_t r = needed; r < config.replicas(); ++r)
    metrics["surplus_replica_time"].push_back(record.end - Time{});
  return metrics;
}

}  // namespace faultline::quorum_kv
