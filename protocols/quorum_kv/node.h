// The quorum key-value store's node. One Node type plays every role; which one follows from its
// place in the layout (types.h) and, for replicas, the identity it claims (README.md has the
// protocol):
//   gateway      fixed-window rate limiter per client; forwards to the coordinator;
//   registry     heartbeats -> the alive list (ticks), Membership to the coordinator every
//                tick, Retire to a node claiming an identity another node holds, auto-spawn;
//   coordinator  quorum writes (the leader and W-1 caught-up followers) and reads (R replicas,
//                the highest version wins), catch-up of every new member by state transfer;
//   leader       versions each write, stores it, sends it to every follower it replicates to
//                and resends until acknowledged;
//   follower     keeps the highest version of each key it is sent;
//   spare        heartbeats as a spare until handed an identity.
//
// A node is a pure state machine: handlers record effects in an Outbox and never read a clock
// or draw randomness. The registry's timing is in ticks of heartbeat_interval.
//
// Invariants: a replica claims an identity only after the registry accepted it (at boot by the
// layout, after a restart by Welcome); the leader's pending writes are sorted by version and
// each is answered at most once; the coordinator answers each request at most once.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "protocols/quorum_kv/types.h"
#include "sim/core/outbox.h"

namespace faultline::quorum_kv {

struct QuorumKv;
using Effects = Outbox<QuorumKv>;

enum class Role : std::uint8_t { gateway, registry, coordinator, leader, follower, spare, replica };
inline std::string_view to_string(Role role) {
  switch (role) {
    case Role::gateway: return "gateway";
    case Role::registry: return "registry";
    case Role::coordinator: return "coordinator";
    case Role::leader: return "leader";
    case Role::follower: return "follower";
    case Role::spare: return "spare";
    case Role::replica: return "replica";  // leaderless
  }
  return "";
}

// ---- gateway --------------------------------------------------------------------------------
struct ClientCount {  // requests a client sent in the current window
  static constexpr std::string_view type_name = "ClientCount";
  std::uint32_t client = 0;
  std::uint32_t count = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("client", self.client);
    visit("count", self.count);
  }
  friend bool operator==(const ClientCount&, const ClientCount&) = default;
};

// ---- registry -------------------------------------------------------------------------------
struct Claim {  // an identity and the node the registry gives it to
  static constexpr std::string_view type_name = "Claim";
  Identity identity;
  NodeId node;
  std::uint64_t incarnation = 0;
  std::uint32_t misses = 0;  // ticks since its last heartbeat
  bool alive = true;
  std::uint32_t dead_ticks = 0;  // ticks since it was declared dead
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("identity", self.identity);
    visit("node", self.node);
    visit("incarnation", self.incarnation);
    visit("misses", self.misses);
    visit("alive", self.alive);
    visit("dead_ticks", self.dead_ticks);
  }
  friend bool operator==(const Claim&, const Claim&) = default;
};
struct SpareView {  // an idle node that heartbeats as a spare
  static constexpr std::string_view type_name = "SpareView";
  NodeId node;
  std::uint32_t misses = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("node", self.node);
    visit("misses", self.misses);
  }
  friend bool operator==(const SpareView&, const SpareView&) = default;
};

// ---- coordinator ----------------------------------------------------------------------------
struct ReadyMark {  // a member caught up in this incarnation (counts for quorums)
  static constexpr std::string_view type_name = "ReadyMark";
  NodeId node;
  std::uint64_t incarnation = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("node", self.node);
    visit("incarnation", self.incarnation);
  }
  friend bool operator==(const ReadyMark&, const ReadyMark&) = default;
};
struct PendingRead {
  static constexpr std::string_view type_name = "PendingRead";
  RequestId id;
  std::string key;
  std::vector<NodeId> asked;
  std::vector<NodeId> answered;
  std::vector<Version> versions;  // by answer: the version it held (read repair)
  Item best;                      // the highest version answered (version 0: none yet)
  bool writing_back = false;      // read_repair sync: waiting for W replicas to hold `best`
  std::vector<NodeId> holders;    // ... those known to hold it
  std::vector<Sibling> siblings;  // conflicts: version_vectors: the answers' siblings, merged
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("key", self.key);
    visit("asked", self.asked);
    visit("answered", self.answered);
    visit("versions", self.versions);
    visit("best", self.best);
    visit("writing_back", self.writing_back);
    visit("holders", self.holders);
    visit("siblings", self.siblings);
  }
  friend bool operator==(const PendingRead&, const PendingRead&) = default;
};

// ---- leader ---------------------------------------------------------------------------------
struct PendingWrite {  // a write stored by the leader, not yet stored by all it was sent to
  static constexpr std::string_view type_name = "PendingWrite";
  RequestId id;
  std::string key;
  Version version;
  std::uint32_t needed = 0;   // acks from `sync` nodes it needs (W - 1)
  std::vector<NodeId> sync;   // the nodes whose acks count
  std::vector<NodeId> acked;  // ... of them, those that stored it
  bool answered = false;
  bool acknowledged = false;  // answered ok
  VersionVector clock;        // conflicts: version_vectors: the write's
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("id", self.id);
    visit("key", self.key);
    visit("version", self.version);
    visit("needed", self.needed);
    visit("sync", self.sync);
    visit("acked", self.acked);
    visit("answered", self.answered);
    visit("acknowledged", self.acknowledged);
    visit("clock", self.clock);
  }
  friend bool operator==(const PendingWrite&, const PendingWrite&) = default;
};
struct Unacked {  // a key a follower has not confirmed at the leader's version yet
  static constexpr std::string_view type_name = "Unacked";
  NodeId node;
  std::string key;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("node", self.node);
    visit("key", self.key);
  }
  friend auto operator<=>(const Unacked&, const Unacked&) = default;
};

class Node {
 public:
  Node(const Config& config, NodeId self, std::uint32_t node_count, std::optional<Store> recovered);

  void on_start(Effects& out);
  void on_message(NodeId source, const Message& message, Effects& out);
  void on_timer(const Timer& timer, Effects& out);
  void on_input(const Input& input, Effects& out);

  std::string_view role() const { return to_string(current_role()); }
  Role current_role() const;
  NodeId self() const { return self_; }
  const Store& store() const { return store_; }
  // The identity this node claims now (none: not a replica, a spare, or not yet welcomed back).
  std::optional<Identity> claimed() const { return claimed_ ? store_.identity : std::nullopt; }
  bool is_replica() const { return claimed().has_value(); }
  bool is_leader() const { return claimed() == leader_identity; }
  const std::vector<PendingWrite>& pending_writes() const { return pending_writes_; }
  const std::vector<Unacked>& unacked() const { return unacked_; }
  const std::vector<Claim>& claims() const { return claims_; }
  const std::vector<Member>& members() const { return members_; }
  const std::vector<ReadyMark>& ready() const { return ready_; }

  friend bool operator==(const Node&, const Node&) = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("self", self.self_);
    visit("store", self.store_);
    visit("claimed", self.claimed_);
    visit("counts", self.counts_);
    visit("claims", self.claims_);
    visit("spare_views", self.spare_views_);
    visit("next_incarnation", self.next_incarnation_);
    visit("warmup_ticks", self.warmup_ticks_);
    visit("members", self.members_);
    visit("ready", self.ready_);
    visit("leader_incarnation", self.leader_incarnation_);
    visit("writes", self.writes_);
    visit("reads", self.reads_);
    visit("read_cursor", self.read_cursor_);
    visit("pending_writes", self.pending_writes_);
    visit("unacked", self.unacked_);
    visit("fanout", self.fanout_);
    visit("catching", self.catching_);
    visit("sync_cursor", self.sync_cursor_);
  }

 private:
  // Gateway (gateway.cc).
  void gateway_input(const Input& input, Effects& out);
  void gateway_message(NodeId source, const Message& message, Effects& out);
  bool admit(std::uint32_t client, Effects& out);
  // Registry (registry.cc).
  void registry_message(NodeId source, const Message& message, Effects& out);
  void on_heartbeat(NodeId source, const Heartbeat& heartbeat, Effects& out);
  void on_tick(Effects& out);
  void spawn(Identity identity, Effects& out);
  Claim* claim_of(Identity identity);
  void report_membership(Effects& out) const;
  // Coordinator (coordinator.cc).
  void coordinator_message(NodeId source, const Message& message, Effects& out);
  void on_membership(const Membership& membership, Effects& out);
  void on_write_request(const WriteRequest& request, Effects& out);
  void on_read_request(const ReadRequest& request, Effects& out);
  void on_get_reply(NodeId source, const GetReply& reply, Effects& out);
  void finish_read(PendingRead& read, Effects& out);
  void on_write_back_ack(NodeId source, const PutAck& ack, Effects& out);
  void end_read(const RequestId& id);
  void answer(const Outcome& outcome, Effects& out);
  void on_request_timer(const RequestId& id, Effects& out);
  bool is_ready(const Member& member) const;
  std::vector<NodeId> ready_followers() const;
  const Member* leader_member() const;
  // Replicas (replica.cc): leader and follower.
  void replica_message(NodeId source, const Message& message, Effects& out);
  void heartbeat(Effects& out) const;
  void on_replicate(const Replicate& replicate, Effects& out);
  void on_put_ack(NodeId source, const PutAck& ack, Effects& out);
  void on_catch_up(const CatchUp& request, Effects& out);
  void on_snapshot_ack(NodeId source, const SnapshotAck& ack, Effects& out);
  void on_put(const Put& put, NodeId source, Effects& out);
  void resend(Effects& out) const;
  void settle(Effects& out);  // answers pending writes that can be, drops finished ones
  void set_fanout(const std::vector<NodeId>& sync);
  void save(Effects& out) const;
  // Leaderless (leaderless.cc).
  std::optional<NodeId> node_of(Identity identity) const;
  std::vector<Target> targets_for(std::string_view key) const;
  void leaderless_write(const WriteRequest& request, Effects& out);
  void coordinate(const RequestId& id, const Sibling& write, const std::vector<Target>& targets,
                  std::uint32_t needed, Effects& out);
  void on_coordinate_write(NodeId source, const CoordinateWrite& request, Effects& out);
  void on_leaderless_ack(NodeId source, const PutAck& ack, Effects& out);
  void settle_leaderless(Effects& out);
  void leaderless_write_timeout(const RequestId& id, Effects& out);
  void gateway_read(const Read& read, Effects& out);
  bool read_complete(const PendingRead& read) const;
  void on_hinted_put(NodeId source, const HintedPut& put, Effects& out);
  void anti_entropy(Effects& out);
  void on_sync(const Sync& sync, Effects& out);
  // Version vectors (leaderless.cc).
  Sibling next_sibling(const std::string& key, Version stamp, std::int64_t value) const;
  bool merge_sibling(const Sibling& sibling);
  void on_put_sibling(NodeId source, const PutSibling& put, Effects& out);
  void on_sibling_ack(NodeId source, const SiblingAck& ack, Effects& out);
  void on_siblings_reply(NodeId source, const SiblingsReply& reply, Effects& out);
  void on_sync_siblings(const SyncSiblings& sync, Effects& out);

  Config config_;
  NodeId self_;
  Role layout_role_ = Role::spare;  // gateway, registry, coordinator, or a replica's place
  Store store_;
  bool claimed_ = false;
  // Gateway.
  std::vector<ClientCount> counts_;  // sorted by client
  // Registry.
  std::vector<Claim> claims_;  // sorted by identity
  std::vector<SpareView> spare_views_;
  std::uint64_t next_incarnation_ = 1;
  std::uint32_t warmup_ticks_ = 0;  // after a restart: ticks to wait before reporting
  // Coordinator.
  std::vector<Member> members_;   // the registry's last alive list
  std::vector<ReadyMark> ready_;  // sorted by node
  std::uint64_t leader_incarnation_ = 0;
  std::vector<RequestId> writes_;  // outstanding at the leader, sorted
  std::vector<PendingRead> reads_;
  std::uint64_t read_cursor_ = 0;  // rotates the replicas reads start at
  // Leader.
  std::vector<PendingWrite> pending_writes_;
  std::vector<Unacked> unacked_;     // sorted
  std::vector<NodeId> fanout_;       // the followers each write goes to, sorted
  std::vector<ReadyMark> catching_;  // state transfers under way (node, incarnation)
  // Leaderless replica.
  std::uint32_t sync_cursor_ = 0;  // the last peer anti-entropy pushed to, as a ring distance
};

}  // namespace faultline::quorum_kv
