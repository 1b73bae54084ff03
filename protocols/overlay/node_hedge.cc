// Hedged requests (Dean and Barroso, "The Tail at Scale", CACM 2013): a part sent to a leaf and
// still outstanding past the hedge_percentile of this node's recent part round trips is asked
// again of a replica of the leaf's slice (its next sibling, then the one after, up to
// hedges_max), while this node's hedges stay within hedge_budget_percent of its parts. The
// first answer for the part wins; a later one finds the part answered and is dropped.
#include <algorithm>

#include "protocols/overlay/node.h"
#include "protocols/overlay/protocol.h"
#include "sim/core/assert.h"

namespace faultline::overlay {

namespace {

constexpr std::size_t latency_window = 128;      // round trips a node remembers
constexpr std::size_t latency_samples_min = 20;  // before that, no hedging

}  // namespace

void Node::note_latency(Duration latency) {
  if (config_.hedge_percentile == 0) return;
  if (recent_latency_.size() < latency_window) {
    recent_latency_.push_back(latency);
    return;
  }
  recent_latency_[next_latency_slot_] = latency;
  next_latency_slot_ = static_cast<std::uint32_t>((next_latency_slot_ + 1) % latency_window);
}

// When to hedge a part sent to `child` now: just past the percentile of the recent round trips
// ("outstanding for more than"), or never (no hedging, not a leaf, no replica, too few samples).
std::optional<Duration> Node::hedge_after(NodeId child) const {
  if (config_.hedge_percentile == 0 || config_.replicas < 2) return std::nullopt;
  if (!tree_.children(child).empty() || recent_latency_.size() < latency_samples_min)
    return std::nullopt;
  std::vector<Duration> sorted = recent_latency_;
  const std::size_t rank = (sorted.size() - 1) * config_.hedge_percentile / 100;
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(rank),
                   sorted.end());
  return sorted[rank] + Duration{1};
}

// The k-th replica of a leaf's slice: its k-th next sibling, cyclically.
std::optional<NodeId> Node::replica(NodeId leaf, std::uint32_t k) const {
  const auto up = tree_.parent(leaf);
  if (!up || k == 0 || k >= config_.replicas) return std::nullopt;
  const std::vector<NodeId> siblings = tree_.children(*up);
  if (k >= siblings.size()) return std::nullopt;
  const auto at = static_cast<std::size_t>(std::ranges::find(siblings, leaf) - siblings.begin());
  FL_ASSERT(at < siblings.size(), "a leaf is among its parent's children");
  return siblings[(at + k) % siblings.size()];
}

void Node::on_hedge_timer(const HedgeTimer& timer, Outbox<Overlay>& out) {
  const auto it = pending_.find(timer.id);
  if (it == pending_.end()) return;
  Pending& pending = it->second;
  const auto part = std::ranges::find(pending.parts, timer.child, &Part::node);
  if (part == pending.parts.end() || part->state != PartState::waiting) return;
  if (part->hedges >= config_.hedges_max) return;
  const bool within_budget =
      (hedges_sent_total_ + 1) * 100 <= parts_sent_total_ * config_.hedge_budget_percent ||
      config_.bug == Bug::hedge_over_budget;
  const auto target = replica(timer.child, part->hedges + 1);
  if (!within_budget || !target) return;
  ++part->hedges;
  ++pending.hedges_sent;
  ++pending.parts_sent;
  ++hedges_sent_total_;
  ++parts_sent_total_;
  const Duration remaining = pending.deadline_at - out.clock();
  out.send(*target, SubQuery{timer.id, pending.filter, part->limit, remaining, timer.child});
  if (part->hedges < config_.hedges_max)
    if (const auto after = hedge_after(timer.child)) out.set_timer(timer, *after);
}

// A hedge asks this node for a sibling's slice: answered at once from the replica, if this node
// holds one (a replica read is not queued behind this node's own scans).
void Node::answer_hedge(NodeId from, const SubQuery& query, Outbox<Overlay>& out) {
  FL_ASSERT(query.slice_of.has_value(), "a hedge names the slice it asks for");
  const NodeId leaf = *query.slice_of;
  if (leaf.value >= tree_.node_count() || query.limit > limit_max) return;
  bool holds = false;
  for (std::uint32_t k = 1; k < config_.replicas; ++k) holds = holds || replica(leaf, k) == self_;
  if (!holds) return;
  SubResult result{query.id, {}, {}, leaf, 0, 0};
  std::vector<Row> rows = tree_.scan(leaf, query.filter, query.limit);
  if (!rows.empty()) result.slices.push_back(SliceRows{leaf, std::move(rows)});
  out.send(from, result);
}

}  // namespace faultline::overlay
