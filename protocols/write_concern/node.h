// The write-concern node: n0 is the primary, n1.. the secondaries (README.md has the protocol).
//
// A node is a pure state machine: handlers record effects in an Outbox and never read a clock or
// draw randomness (a SUSPECTED secondary's backoff jitter is a timer range the engine draws in).
// Every node holds a Store (its entries in seq order, delivered or held) and persists it after
// each change unless the config asks for the seed's volatile store.
//
// Invariants: the store's entries are sorted by seq with no seq twice and (unless the no_dedup
// bug) no id twice; the delivered end is the longest run 1, 2, ... of seqs held (with the
// deliver_out_of_order bug: the last seq held); the primary's pending list is sorted by seq and
// names only entries it stores; a pending write is answered at most once.
#pragma once

#include <cstdint>
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
  std::vector<std::uint8_t> confirmed;  // by node: stored there (the primary's own slot is 1)
  std::vector<std::uint32_t> attempts;  // by node: resends so far
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("seq", self.seq);
    visit("id", self.id);
    visit("w", self.w);
    visit("answered", self.answered);
    visit("acknowledged", self.acknowledged);
    visit("confirmed", self.confirmed);
    visit("attempts", self.attempts);
  }
  friend bool operator==(const Pending&, const Pending&) = default;
  std::uint32_t confirmations() const;
};

inline constexpr NodeId primary_id{0};
inline constexpr std::size_t catch_up_batch_max = 1'000;

class Node {
 public:
  Node(const Config& config, NodeId self, std::uint32_t node_count, std::optional<Store> recovered);

  void on_start(Effects& out);
  void on_message(NodeId source, const Message& message, Effects& out);
  void on_timer(const Timer& timer, Effects& out);
  void on_input(const Input& input, Effects& out);

  std::string_view role() const { return is_primary() ? "primary" : "secondary"; }
  bool is_primary() const { return self_ == primary_id; }
  const Store& store() const { return store_; }
  Seq delivered() const { return delivered_; }
  const std::vector<Pending>& pending() const { return pending_; }
  const std::vector<SecondaryView>& views() const { return views_; }
  // The ids of the delivered prefix (what GetMessages returns).
  std::vector<MessageId> delivered_ids() const;
  // Nodes the primary counts as available: itself and every secondary not UNHEALTHY.
  std::uint32_t available() const;

  friend bool operator==(const Node&, const Node&) = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("self", self.self_);
    visit("store", self.store_);
    visit("fail_next", self.fail_next_);
    visit("catch_up_upto", self.catch_up_upto_);
    visit("views", self.views_);
    visit("pending", self.pending_);
  }

 private:
  // Primary.
  void post(const PostMessage& post, Effects& out);
  void replicate(Pending& pending, Effects& out);
  void on_ack(NodeId source, const ReplicateAck& ack, Effects& out);
  void confirm(Pending& pending, NodeId node, Effects& out);
  void answer(Pending& pending, PostStatus status, Effects& out);
  void on_retry(const RetryTimer& timer, Effects& out);
  void on_heartbeat_timer(Effects& out);
  void on_heartbeat_reply(NodeId source, const HeartbeatReply& reply, Effects& out);
  void set_health(NodeId secondary, Health health, Effects& out);
  void on_catch_up_request(NodeId source, const CatchUpRequest& request, Effects& out) const;
  Pending* pending_of(Seq seq);
  Pending* pending_of(const MessageId& id);
  void forget_confirmed();
  // Secondary.
  void on_replicate(const Replicate& replicate, Effects& out);
  void on_recovery_notice(const RecoveryNotice& notice, Effects& out);
  void on_catch_up_reply(const CatchUpReply& reply, Effects& out);
  // Both.
  StoreResult store_entry(const Entry& entry);  // inserts in seq order; updates delivered_
  const Entry* entry_of(const MessageId& id) const;
  void save(Effects& out) const;
  void recompute_delivered();

  Config config_;
  NodeId self_;
  std::uint32_t node_count_;
  Store store_;
  Seq delivered_;
  std::uint32_t fail_next_ = 0;       // injected failures left (secondary)
  Seq catch_up_upto_;                 // the primary's latest seq from its last notice (secondary)
  std::vector<SecondaryView> views_;  // by node (primary); slot 0 unused
  std::vector<Pending> pending_;      // sorted by seq (primary)
};

}  // namespace faultline::write_concern
