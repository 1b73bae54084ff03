// The node's dispatch, its neighbour checks and its own health state (the query path is in
// node_query.cc).
#include "protocols/overlay/node.h"

#include <algorithm>
#include <variant>

#include "protocols/overlay/protocol.h"
#include "sim/core/assert.h"

namespace faultline::overlay {

Node::Node(const Config& config, NodeId self, std::uint32_t node_count, std::optional<Disk>)
    : config_(config), tree_(config), self_(self) {
  FL_ASSERT(node_count == tree_.node_count(), "the cluster is the configured tree");
  FL_ASSERT(self.value < node_count, "node id out of range");
  if (const auto up = tree_.parent(self)) neighbors_.push_back(Neighbor{*up});
  for (NodeId child : tree_.children(self)) neighbors_.push_back(Neighbor{child});
  if (self.value == 0) team_active_.assign(tree_.team_count(), 0);
}

void Node::on_start(Outbox<Overlay>& out) {
  // The first round at a random point of the first interval, so checks are not all in step.
  if (!neighbors_.empty())
    out.set_timer(CheckTick{}, DurationRange{timer_floor, config_.check_interval});
}

void Node::on_message(NodeId from, const Message& message, Outbox<Overlay>& out) {
  FL_ASSERT(from.value < tree_.node_count(), "a message from a node of the tree");
  if (const auto* check = std::get_if<Check>(&message)) {
    out.send(from, CheckAck{check->round});
  } else if (const auto* ack = std::get_if<CheckAck>(&message)) {
    on_check_ack(from, *ack, out);
  } else if (const auto* query = std::get_if<SubQuery>(&message)) {
    on_sub_query(from, *query, out);
  } else {
    on_sub_result(from, std::get<SubResult>(message), out);
  }
  update_health(out);
}

void Node::on_timer(const Timer& timer, Outbox<Overlay>& out) {
  if (std::holds_alternative<CheckTick>(timer)) {
    on_check_tick(out);
  } else if (const auto* timeout = std::get_if<CheckTimeout>(&timer)) {
    on_check_timeout(*timeout, out);
  } else if (const auto* part = std::get_if<PartTimeout>(&timer)) {
    on_part_timeout(*part, out);
  } else if (const auto* hedge = std::get_if<HedgeTimer>(&timer)) {
    on_hedge_timer(*hedge, out);
  } else if (const auto* deadline = std::get_if<Deadline>(&timer)) {
    if (pending_.contains(deadline->id))
      finish(deadline->id, /*at_deadline=*/true, out);
    else
      fail_waiting(deadline->id, out);
  } else {
    on_scan_done(out);
  }
  update_health(out);
}

void Node::on_input(const Input& input, Outbox<Overlay>& out) {
  if (const auto* query = std::get_if<Query>(&input)) {
    if (self_.value != 0) return;  // queries enter at the leader; elsewhere they are dropped
    admit_or_queue(*query, out);
  } else {
    if (self_.value != 0) return;
    on_fetch(std::get<FetchChunk>(input), out);
  }
  update_health(out);
}

// ---- neighbour checks ---------------------------------------------------------------------

void Node::on_check_tick(Outbox<Overlay>& out) {
  FL_ASSERT(!neighbors_.empty(), "only a node with neighbours checks them");
  ++round_;
  for (Neighbor& n : neighbors_) {
    n.acked = false;
    out.send(n.node, Check{round_});
  }
  out.set_timer(CheckTimeout{round_}, config_.check_timeout);
  out.set_timer(CheckTick{}, config_.check_interval);
}

void Node::on_check_timeout(const CheckTimeout& timeout, Outbox<Overlay>& out) {
  if (timeout.round != round_) return;  // a timer of an earlier round (cannot outlive it)
  for (Neighbor& n : neighbors_) {
    if (n.acked) continue;
    ++n.misses;
    if (n.failed || n.misses < config_.misses_to_fail) continue;
    n.failed = true;
    out.emit(NeighborFailed{n.node});
  }
}

void Node::on_check_ack(NodeId from, const CheckAck& ack, Outbox<Overlay>& out) {
  Neighbor* n = neighbor(from);
  if (n == nullptr) return;
  if (ack.round == round_) n->acked = true;
  n->misses = 0;
  if (!n->failed) return;
  n->failed = false;
  out.emit(NeighborRecovered{n->node});
}

Neighbor* Node::neighbor(NodeId node) {
  const auto it = std::ranges::find(neighbors_, node, &Neighbor::node);
  return it == neighbors_.end() ? nullptr : &*it;
}

bool Node::known_failed(NodeId node) const {
  const auto it = std::ranges::find(neighbors_, node, &Neighbor::node);
  return it != neighbors_.end() && it->failed;
}

// ---- own health ---------------------------------------------------------------------------

Health Node::measured_health() const {
  const auto reaches = [&](const HealthLimits& limits) {
    return pending_.size() >= limits.active || queued() >= limits.queued ||
           last_latency_ >= limits.latency;
  };
  if (reaches(config_.failing)) return Health::failing;
  if (reaches(config_.critical)) return Health::critical;
  if (reaches(config_.warning)) return Health::warning;
  return Health::healthy;
}

void Node::update_health(Outbox<Overlay>& out) {
  const Health now = measured_health();
  if (now == health_) return;
  out.emit(StateChanged{health_, now});
  health_ = now;
}

}  // namespace faultline::overlay
