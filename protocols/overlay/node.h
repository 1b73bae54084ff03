// Node: one member of the overlay tree (the leader, a team leader or a worker), as a pure state
// machine.
//
// A query: the leader admits a client's Query under its team's fairness bound (or queues it, or
// rejects it when the queue is full), then splits its limit (tree.h) among its own slice and
// its children's subtrees. Every node does the same with a SubQuery: scans its own slice (one
// scan at a time, scan_time each) and sends each child its share. A part not answered within
// part_timeout, or sent to a child known to have failed, is routed around the child: its own
// slice is recorded missing and its children are asked directly, with the shares the child would
// have given them. A node answers its asker as soon as every part has answered, or at its
// deadline (the asker's budget less level_margin) with what has arrived and the rest recorded
// missing. The leader keeps the result and hands it out in chunks of chunk_size rows. A query
// still waiting for admission at its deadline fails explicitly (QueryDone `failed`).
//
// Health: every node checks its parent and children every check_interval; a round's checks not
// acknowledged within check_timeout are misses, misses_to_fail in a row make the neighbour
// failed (NeighborFailed), any later acknowledgement recovers it (NeighborRecovered). A node's
// own state (HEALTHY .. FAILING) follows its active sub-queries, queued work and the last
// part's round trip (StateChanged on every transition).
//
// Invariants: each part of a pending query is answered at most once (a late answer of a part
// routed around is dropped); a pending query's slices never repeat a slice; the leader's
// admitted count per team equals its pending client queries of that team.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "protocols/overlay/tree.h"
#include "protocols/overlay/types.h"
#include "sim/core/outbox.h"

namespace faultline::overlay {

struct Overlay;

enum class PartState : std::uint8_t { waiting, answered, rerouted };
inline std::string_view to_string(PartState state) {
  switch (state) {
    case PartState::waiting: return "waiting";
    case PartState::answered: return "answered";
    case PartState::rerouted: return "rerouted";
  }
  return "";
}

// One child's subtree asked for its share of a query.
struct Part {
  static constexpr std::string_view type_name = "Part";
  NodeId node;
  std::uint32_t limit = 0;
  PartState state = PartState::waiting;
  Time sent_at;
  std::uint32_t hedges = 0;  // replicas asked for it so far
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("node", self.node);
    visit("limit", self.limit);
    visit("state", self.state);
    visit("sent_at", self.sent_at);
    visit("hedges", self.hedges);
  }
  friend bool operator==(const Part&, const Part&) = default;
};

// A query this node is answering (for its parent, or at the leader for a client).
struct Pending {
  static constexpr std::string_view type_name = "Pending";
  std::optional<NodeId> asker;  // the parent; none: a client's query at the leader
  std::uint32_t team = 0;
  Filter filter;
  std::uint32_t own_limit = 0;  // rows asked of this node's own slice (0: not asked)
  bool own_done = false;
  Time deadline_at;  // by this node's clock: answer with what has arrived
  std::vector<Part> parts;
  std::vector<SliceRows> slices;
  std::vector<Missing> missing;
  std::uint64_t parts_sent = 0;  // for this query, here and below
  std::uint64_t hedges_sent = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("asker", self.asker);
    visit("team", self.team);
    visit("filter", self.filter);
    visit("own_limit", self.own_limit);
    visit("own_done", self.own_done);
    visit("deadline_at", self.deadline_at);
    visit("parts", self.parts);
    visit("slices", self.slices);
    visit("missing", self.missing);
    visit("parts_sent", self.parts_sent);
    visit("hedges_sent", self.hedges_sent);
  }
  friend bool operator==(const Pending&, const Pending&) = default;
};

// A neighbour (parent or child) as this node's checks see it.
struct Neighbor {
  static constexpr std::string_view type_name = "Neighbor";
  NodeId node;
  std::uint32_t misses = 0;  // consecutive rounds unanswered
  bool acked = false;        // answered the current round
  bool failed = false;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("node", self.node);
    visit("misses", self.misses);
    visit("acked", self.acked);
    visit("failed", self.failed);
  }
  friend bool operator==(const Neighbor&, const Neighbor&) = default;
};

// A client query waiting at the leader for its team's slot, since `since` (the leader's clock).
struct Waiting {
  static constexpr std::string_view type_name = "Waiting";
  Query query;
  Time since;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("query", self.query);
    visit("since", self.since);
  }
  friend bool operator==(const Waiting&, const Waiting&) = default;
};

// A finished client query's answer, kept at the leader until every chunk was fetched.
struct Stored {
  static constexpr std::string_view type_name = "Stored";
  std::vector<SliceRows> slices;
  std::uint64_t digest = 0;
  std::uint32_t chunks = 0;
  std::uint32_t fetched = 0;  // distinct chunks handed out
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("slices", self.slices);
    visit("digest", self.digest);
    visit("chunks", self.chunks);
    visit("fetched", self.fetched);
  }
  friend bool operator==(const Stored&, const Stored&) = default;
};

// The digest of a result's rows, in slice order (what every chunk of it carries).
std::uint64_t digest_of(const std::vector<SliceRows>& slices);
// Rows [index * chunk_size, (index + 1) * chunk_size) of a result, by slice.
std::vector<SliceRows> chunk_of(const std::vector<SliceRows>& slices, std::uint32_t index,
                                std::uint32_t chunk_size);
std::uint32_t row_count(const std::vector<SliceRows>& slices);

class Node {
 public:
  Node(const Config& config, NodeId self, std::uint32_t node_count, std::optional<Disk> recovered);

  void on_start(Outbox<Overlay>& out);
  void on_message(NodeId from, const Message& message, Outbox<Overlay>& out);
  void on_timer(const Timer& timer, Outbox<Overlay>& out);
  void on_input(const Input& input, Outbox<Overlay>& out);
  std::string_view role() const { return role_name(tree_.role(self_)); }

  NodeId self() const { return self_; }
  Health health() const { return health_; }
  const std::vector<Neighbor>& neighbors() const { return neighbors_; }
  const std::map<QueryId, Pending>& pending() const { return pending_; }
  const std::vector<std::uint32_t>& team_active() const { return team_active_; }
  std::size_t queued() const { return scans_.size() + admission_.size(); }

  friend bool operator==(const Node&, const Node&) = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("self", self.self_);
    visit("health", self.health_);
    visit("round", self.round_);
    visit("neighbors", self.neighbors_);
    visit("pending", self.pending_);
    visit("scans", self.scans_);
    visit("team_active", self.team_active_);
    visit("admission", self.admission_);
    visit("results", self.results_);
    visit("last_latency", self.last_latency_);
    visit("recent_latency", self.recent_latency_);
    visit("next_latency_slot", self.next_latency_slot_);
    visit("parts_sent_total", self.parts_sent_total_);
    visit("hedges_sent_total", self.hedges_sent_total_);
  }

 private:
  // Queries (node_query.cc).
  void admit_or_queue(const Query& query, Outbox<Overlay>& out);
  std::uint32_t team_bound(std::uint32_t team, std::uint32_t arriving) const;
  void start_client_query(const Query& query, Duration budget, Outbox<Overlay>& out);
  void admit_waiting(Outbox<Overlay>& out);
  void fail_waiting(QueryId id, Outbox<Overlay>& out);
  void start(QueryId id, Pending pending, std::uint32_t limit, Duration budget,
             Outbox<Overlay>& out);
  void ask(QueryId id, Pending& pending, Allocation part, Outbox<Overlay>& out);
  void route_around(QueryId id, Pending& pending, Part& part, Outbox<Overlay>& out);
  void on_sub_query(NodeId from, const SubQuery& query, Outbox<Overlay>& out);
  void on_sub_result(NodeId from, const SubResult& result, Outbox<Overlay>& out);
  void on_part_timeout(const PartTimeout& timeout, Outbox<Overlay>& out);
  void finish_if_done(QueryId id, Outbox<Overlay>& out);
  void finish(QueryId id, bool at_deadline, Outbox<Overlay>& out);
  void answer_client(QueryId id, const Pending& pending, bool at_deadline, Outbox<Overlay>& out);
  void on_fetch(const FetchChunk& fetch, Outbox<Overlay>& out);
  // Hedged requests (node_hedge.cc).
  std::optional<Duration> hedge_after(NodeId child) const;
  void on_hedge_timer(const HedgeTimer& timer, Outbox<Overlay>& out);
  void answer_hedge(NodeId from, const SubQuery& query, Outbox<Overlay>& out);
  void note_latency(Duration latency);
  std::optional<NodeId> replica(NodeId leaf, std::uint32_t k) const;
  // Slice scans, one at a time.
  void queue_scan(QueryId id, Outbox<Overlay>& out);
  void on_scan_done(Outbox<Overlay>& out);
  void scan_own_slice(QueryId id, Outbox<Overlay>& out);
  // Health (node_health.cc).
  void on_check_tick(Outbox<Overlay>& out);
  void on_check_timeout(const CheckTimeout& timeout, Outbox<Overlay>& out);
  void on_check_ack(NodeId from, const CheckAck& ack, Outbox<Overlay>& out);
  Neighbor* neighbor(NodeId node);
  bool known_failed(NodeId node) const;
  void update_health(Outbox<Overlay>& out);
  Health measured_health() const;

  Config config_;
  Tree tree_;
  NodeId self_;
  Health health_ = Health::healthy;
  std::uint64_t round_ = 0;
  std::vector<Neighbor> neighbors_;
  std::map<QueryId, Pending> pending_;
  std::vector<QueryId> scans_;              // own-slice scans waiting; the head is being scanned
  std::vector<std::uint32_t> team_active_;  // the leader: admitted client queries per team
  std::vector<Waiting> admission_;          // the leader: queries waiting for a slot, in order
  std::map<QueryId, Stored> results_;       // the leader: answers not yet fully fetched
  Duration last_latency_;
  std::vector<Duration> recent_latency_;  // the last parts' round trips (a ring, hedging only)
  std::uint32_t next_latency_slot_ = 0;
  std::uint64_t parts_sent_total_ = 0;  // for the hedge budget
  std::uint64_t hedges_sent_total_ = 0;
};

}  // namespace faultline::overlay
