// The write-concern node: n0 is the first primary, the others secondaries; with failover a
// secondary that lost the primary may be promoted (README.md has the protocol).
//
// A node is a pure state machine: handlers record effects in an Outbox and never read a clock or
// draw randomness (a SUSPECTED secondary's backoff jitter is a timer range the engine draws in).
// Every node holds a Store (its entries in seq order, delivered or held, and its epochs) and
// persists it after each change unless the config asks for the seed's volatile store.
//
// Invariants: the store's entries are sorted by seq with no seq twice and (unless the no_dedup
// bug) no client's id twice; the delivered end is the longest run 1, 2, ... of seqs held (with
// the deliver_out_of_order bug: the last seq held); a primary's pending list is sorted by seq
// and names only entries it stores; a pending write is answered at most once; a node is the
// primary of at most its store's epoch, and it votes at most once per epoch (store.voted).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "protocols/write_concern/types.h"
#include "sim/core/outbox.h"

namespace faultline::write_concern {

struct WriteConcern;
using Effects = Outbox<WriteConcern>;

// The primary's view of one secondary.
struct SecondaryView {
  static constexpr std::string_view type_name = "SecondaryView";
  Health health = Health::healthy;
  std::uint32_t misses = 0;     // heartbeats in a row without an answer
  bool answered = true;         // answered the last heartbeat sent
  bool needs_catch_up = false;  // missed entries: send a recovery notice when it answers
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("health", self.health);
    visit("misses", self.misses);
    visit("answered", self.answered);
    visit("needs_catch_up", self.needs_catch_up);
  }
  friend bool operator==(const SecondaryView&, const SecondaryView&) = default;
};

// A stored entry not yet confirmed by every node (primary only).
struct Pending {
  static constexpr std::string_view type_name = "Pending";
  Seq seq;
  MessageId id;
  std::uint32_t w = 1;
  bool answered = false;                // the client has its reply
  bool acknowledged = false;            // ... and it was ok
  bool read_only = false;               // its w exceeded the nodes available while it waited
  std::vector<std::uint8_t> confirmed;  // by node: stored there (the primary's own slot is 1)
  std::vector<std::uint32_t> attempts;  // by node: resends so far
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("seq", self.seq);
    visit("id", self.id);
    visit("w", self.w);
    visit("answered", self.answered);
    visit("acknowledged", self.acknowledged);
    visit("read_only", self.read_only);
    visit("confirmed", self.confirmed);
    visit("attempts", self.attempts);
  }
  friend bool operator==(const Pending&, const Pending&) = default;
  std::uint32_t confirmations() const;
};

// A node's part. A candidate stands for the next epoch and waits for a majority of grants.
enum class Role : std::uint8_t { primary, secondary, candidate };
inline std::string_view to_string(Role role) {
  switch (role) {
    case Role::primary: return "primary";
    case Role::secondary: return "secondary";
    case Role::candidate: return "candidate";
  }
  return "";
}

inline constexpr std::size_t catch_up_batch_max = 1'000;

// A count the checkers' monitors read to skip, in O(1), the events that changed nothing they
// judge. Not part of the node's value: not in fields() and equal whatever it holds, so two
// nodes that differ only in it are one state.
struct ChangeCount {
  std::uint64_t value = 0;
  friend bool operator==(const ChangeCount&, const ChangeCount&) { return true; }
};

// The store's client messages by id: derived from the store (rebuilt when a node starts, kept
// in step by the only two places that change entries, adopt and roll_back), so not part of the
// node's value either. Finds a retried post or a re-replicated message in O(log n), not by a
// scan of every entry (the socket benchmark's primary spent its time in such scans).
struct IdIndex {
  std::map<MessageId, Seq> seqs;
  friend bool operator==(const IdIndex&, const IdIndex&) { return true; }
};

class Node {
 public:
  Node(const Config& config, NodeId self, std::uint32_t node_count, std::optional<Store> recovered);

  void on_start(Effects& out);
  void on_message(NodeId source, const Message& message, Effects& out);
  void on_timer(const Timer& timer, Effects& out);
  void on_input(const Input& input, Effects& out);

  std::string_view role() const { return to_string(role_); }
  bool is_primary() const { return role_ == Role::primary; }
  NodeId self() const { return self_; }
  const Store& store() const { return store_; }
  Seq delivered() const { return delivered_; }
  const std::vector<Pending>& pending() const { return pending_; }
  const std::vector<SecondaryView>& views() const { return views_; }
  // The ids of the delivered prefix (what GetMessages returns).
  std::vector<MessageId> delivered_ids() const;
  // Nodes the primary counts as available: itself and every secondary not UNHEALTHY.
  std::uint32_t available() const;
  // How many writes this node has acknowledged `ok` in its life (ChangeCount).
  std::uint64_t acknowledgements() const { return acknowledgements_.value; }
  // The newest epoch this node has seen or voted for: it refuses replication from older ones.
  Epoch newest() const { return std::max(store_.epoch, store_.voted); }

  friend bool operator==(const Node&, const Node&) = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("self", self.self_);
    visit("role", self.role_);
    visit("store", self.store_);
    visit("fail_next", self.fail_next_);
    visit("catch_up_upto", self.catch_up_upto_);
    visit("reconciling", self.reconciling_);
    visit("reconciled_upto", self.reconciled_upto_);
    visit("catching_up", self.catching_up_);
    visit("primary_misses", self.primary_misses_);
    visit("epoch_floor", self.epoch_floor_);
    visit("votes", self.votes_);
    visit("views", self.views_);
    visit("pending", self.pending_);
  }

 private:
  // Primary.
  void on_primary_message(NodeId source, const Message& message, Effects& out);
  void post(const PostMessage& post, Effects& out);
  void replicate(Pending& pending, Effects& out);
  void on_ack(NodeId source, const ReplicateAck& ack, Effects& out);
  void confirm(Pending& pending, NodeId node, Effects& out);
  void answer(Pending& pending, PostStatus status, Effects& out);
  void on_retry(const RetryTimer& timer, Effects& out);
  void on_heartbeat_timer(Effects& out);
  void on_heartbeat_reply(NodeId source, const HeartbeatReply& reply, Effects& out);
  void set_health(NodeId secondary, Health health, Effects& out);
  void note_read_only(Effects& out);  // blocked writes whose w the available nodes cannot meet
  void on_catch_up_request(NodeId source, const CatchUpRequest& request, Effects& out) const;
  void step_down(Epoch epoch, Effects& out);
  Pending* pending_of(Seq seq);
  Pending* pending_of(const MessageId& id);
  void forget_confirmed();
  // Secondary.
  void on_secondary_message(NodeId source, const Message& message, Effects& out);
  void on_replicate(NodeId source, const Replicate& replicate, Effects& out);
  void on_heartbeat(NodeId source, const Heartbeat& heartbeat, Effects& out);
  void on_recovery_notice(NodeId source, const RecoveryNotice& notice, Effects& out);
  void on_catch_up_reply(NodeId source, const CatchUpReply& reply, Effects& out);
  void finish_reconcile(Effects& out);
  void follow(NodeId primary, Epoch epoch, Effects& out);
  // Failover.
  void on_watch(Effects& out);
  void stand(Effects& out);
  void on_promote_request(NodeId source, const PromoteRequest& request, Effects& out);
  void on_promote_reply(NodeId source, const PromoteReply& reply, Effects& out);
  void become_primary(Effects& out);
  // Both.
  StoreResult adopt(const Entry& entry, Effects& out);        // as the primary's log says
  StoreResult store_entry(const Entry& entry, Effects& out);  // adopt()'s work
  void note_delivered(Seq before, Effects& out) const;        // a secondary's Delivered output
  void merge(const Entry& entry, Effects& out);               // a voter's entry: newer epochs win
  // Removes the entry at this index and records it (RolledBack).
  void roll_back(std::size_t at, Effects& out);
  const Entry* entry_of(const MessageId& id) const;
  std::optional<std::size_t> index_at(Seq seq) const;  // the entry at seq, if held
  void save(Effects& out) const;
  void recompute_delivered();
  void advance_delivered();  // after an insertion with nothing removed: O(entries delivered)
  std::uint32_t majority() const { return node_count_ / 2 + 1; }

  Config config_;
  NodeId self_;
  std::uint32_t node_count_;
  Role role_ = Role::secondary;
  Store store_;
  Seq delivered_;
  std::uint32_t fail_next_ = 0;       // injected failures left (secondary)
  Seq catch_up_upto_;                 // the primary's latest seq from its last notice
  std::optional<Epoch> reconciling_;  // the epoch whose log a catch-up from seq 1 rebuilds
  Seq reconciled_upto_;               // ... adopted from that log so far, seq 1 to this
  bool catching_up_ = false;  // a notice found this secondary behind: CaughtUp when it is not
  std::uint32_t primary_misses_ = 0;  // watch ticks since the primary was heard (failover)
  Epoch epoch_floor_;                 // the newest epoch a refusal named (the next stand: above)
  std::vector<std::uint8_t> votes_;   // by node: granted this candidacy
  std::vector<SecondaryView> views_;  // by node (primary); its own slot unused
  std::vector<Pending> pending_;      // sorted by seq (primary)
  ChangeCount acknowledgements_;
  IdIndex ids_;
};

}  // namespace faultline::write_concern
