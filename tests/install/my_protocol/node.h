// token_ring's node (token_ring.h): a pure, copyable value whose handlers record effects in an
// Outbox and never do I/O, read a clock or draw randomness, so the simulator, the model
// checker and the socket runtime all run this same code.
// Invariants: a holder has taken a round (round_seen_ > 0), and every round a node takes is
// persisted in the same step, so a restart never forgets it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>

#include "sim/core/assert.h"
#include "sim/core/ids.h"
#include "sim/core/outbox.h"
#include "sim/core/protocol.h"
#include "token_ring.h"

namespace my {

using Out = faultline::Outbox<TokenRing>;

class Node {
 public:
  // A restart constructs the node again from what it persisted last (recovered).
  Node(const Config& config, faultline::NodeId self, std::uint32_t node_count,
       std::optional<Seen> recovered)
      : config_(config), self_(self), node_count_(node_count) {
    FL_ASSERT(self.value < node_count, "node id out of range");
    if (recovered) round_seen_ = recovered->round;
  }

  // n0 makes the token, once: a restarted n0 has seen a round and does not make another.
  void on_start(Out& out) {
    FL_ASSERT(!holding_, "a node starts without the token");
    if (self_.value == 0 && round_seen_ == 0) take(Token{1}, out);
  }

  void on_message(faultline::NodeId, const Message& message, Out& out) {
    const Token& token = std::get<Token>(message);
    FL_ASSERT(token.round > 0, "rounds start at 1");
    const bool seen_before = token.round <= round_seen_;
    if (seen_before && config_.bug != Bug::accept_duplicates) return;  // a duplicate
    take(token, out);
  }

  void on_timer(const Pass&, Out& out) {
    FL_ASSERT(holding_, "only a holder arms Pass");
    if (config_.rounds_max != 0 && round_seen_ >= config_.rounds_max) return;  // retired
    holding_ = false;
    FL_ASSERT(node_count_ >= 2, "a ring of one has no next node");
    out.send(faultline::NodeId{(self_.value + 1) % node_count_}, Token{round_seen_ + 1});
  }

  void on_input(const Input& input, Out& out) {
    FL_ASSERT(std::holds_alternative<Ask>(input), "token_ring's one input is Ask");
    out.emit(Answer{holding_, round_seen_});
  }

  std::string_view role() const { return "node"; }
  bool holding() const { return holding_; }
  std::uint64_t round_seen() const { return round_seen_; }
  friend bool operator==(const Node& a, const Node& b) {
    return a.self_ == b.self_ && a.holding_ == b.holding_ && a.round_seen_ == b.round_seen_;
  }
  // The volatile state (the model checker's fingerprint of a node).
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("self", self.self_);
    visit("holding", self.holding_);
    visit("round_seen", self.round_seen_);
  }

 private:
  void take(const Token& token, Out& out) {
    holding_ = true;
    round_seen_ = token.round;
    out.persist(Seen{round_seen_});
    out.set_timer(Pass{}, config_.hold);
    FL_ASSERT(round_seen_ > 0, "a holder has a round");
  }

  Config config_;
  faultline::NodeId self_;
  std::uint32_t node_count_;
  bool holding_ = false;
  std::uint64_t round_seen_ = 0;
};

}  // namespace my

// Compiles only if TokenRing meets the whole contract; the error names what is missing.
static_assert(faultline::Protocol<my::TokenRing>);
