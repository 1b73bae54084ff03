#include "protocols/raft/types.h"

#include <algorithm>

#include "sim/core/assert.h"
#include "sim/core/codec.h"
#include "sim/core/fingerprint.h"

namespace faultline::raft {

std::string below_timer_floor(Duration value) {
  return "must be at least " + format_duration(timer_floor) + " (the floor of Raft timers), got " +
         format_duration(value);
}

Result<void> Config::validate(std::uint32_t node_count) const {
  if (node_count < 1) return fail("a Raft cluster needs at least one node");
  if (election_timeout.min < timer_floor)
    return fail("election_timeout", 0, below_timer_floor(election_timeout.min));
  if (election_timeout.max < election_timeout.min)
    return fail("election_timeout", 0, "max is below min");
  if (heartbeat_interval < timer_floor)
    return fail("heartbeat_interval", 0, below_timer_floor(heartbeat_interval));
  if (heartbeat_interval >= election_timeout.min)
    return fail(
        "heartbeat_interval", 0,
        "must be below the minimum election timeout, or followers time out between heartbeats");
  if (batch_entries_max < 1) return fail("batch_entries_max", 0, "must be at least 1");
  if (inflight_max < 1) return fail("inflight_max", 0, "must be at least 1");
  if (initial_members) {
    if (initial_members->empty()) return fail("initial_members", 0, "needs at least one member");
    std::vector<NodeId> sorted = *initial_members;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
      return fail("initial_members", 0, "lists a node twice");
    if (sorted.back().value >= node_count)
      return fail("initial_members", 0,
                  "names node " + std::to_string(sorted.back().value) + ", but the cluster has " +
                      std::to_string(node_count) + " nodes");
  }
  return {};
}

std::vector<NodeId> initial_members(const Config& config, std::uint32_t node_count) {
  FL_ASSERT(node_count >= 1, "a cluster has a node");
  std::vector<NodeId> members;
  if (config.initial_members) {
    members = *config.initial_members;
    std::sort(members.begin(), members.end());
  } else {
    for (std::uint32_t i = 0; i < node_count; ++i) members.push_back(NodeId{i});
  }
  FL_ASSERT(!members.empty(), "a configuration has at least one member (validated)");
  FL_ASSERT(std::adjacent_find(members.begin(), members.end()) == members.end(),
            "no member is listed twice (validated)");
  return members;
}

std::uint64_t chain_checksum(std::uint64_t previous, Term term, const Command& command) {
  FL_ASSERT(term != Term{}, "every entry is of term 1 or later (term 0 is the empty log)");
  FingerprintSink sink;
  encode(sink, term);
  encode(sink, command);
  return fingerprint_combine(previous, sink.digest());
}

std::uint64_t pair_checksum(const std::string& key, const std::string& value) {
  FingerprintSink sink;
  encode(sink, key);
  encode(sink, value);
  return sink.digest();
}

}  // namespace faultline::raft
