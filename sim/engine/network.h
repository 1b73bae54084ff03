// Network: the virtual network's link model and its fault state (DESIGN.md 5).
//
// For each directed link it decides a sent message's fate: lost (partition, loss draw, full
// queue), delivered once or twice (duplication), and when. Links are FIFO like TCP unless a
// reorder draw lets a message overtake (its delivery time is then not clamped to the link's
// last delivery). A clogged link holds messages until the clog ends and then releases them.
// Cuts (partitions, one-way cuts, isolation) are checked at send and again at delivery, so a
// partition also loses what was in flight. All draws come from the Rng this network was given.
//
// Memory grows with nodes and messages, not with their square: cuts and clogs are rules over
// node sets (cut_rules.h), and a link's own state (copies in flight, its last FIFO delivery) is
// kept in a table that drops links with nothing in flight when it would outgrow them
// (flat_table.h). A link with none in flight has delivered everything it scheduled, so its last
// delivery is in the past and no later send is held back by it: forgetting the link changes no
// fate.
//
// Invariants: in_flight(link) counts scheduled, undelivered copies; it never goes negative;
// every link with copies in flight is in links_.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "sim/core/assert.h"
#include "sim/core/ids.h"
#include "sim/core/rng.h"
#include "sim/core/time.h"
#include "sim/engine/cut_rules.h"
#include "sim/engine/flat_table.h"
#include "sim/scenario/scenario.h"

namespace faultline {

struct LinkParams {
  scenario::LatencyModel latency;
  Ratio drop = Ratio::zero();
  Ratio duplicate = Ratio::zero();
  Ratio reorder = Ratio::zero();
  std::uint32_t queue_capacity = 1024;

  void merge(const scenario::LinkSettings& settings);
};

struct NetworkStats {
  std::uint64_t sent = 0;
  std::uint64_t delivered = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t dropped_partition = 0;
  std::uint64_t dropped_loss = 0;
  std::uint64_t dropped_queue_full = 0;
  std::uint64_t dropped_node_down = 0;
  std::uint64_t reordered = 0;
};

enum class SendResult : std::uint8_t {
  delivered_once,
  delivered_twice,
  dropped_partition,
  dropped_loss,
  dropped_queue_full
};

class Network {
 public:
  Network(std::uint32_t node_count, LinkParams defaults, Rng rng);

  std::uint32_t node_count() const { return node_count_; }
  // Overrides one directed link's parameters (scenario `network.links`).
  void override_link(NodeId from, NodeId to, const scenario::LinkSettings& settings);
  // A `network:` fault: applies to the defaults and every override from now on.
  void change_all(const scenario::LinkSettings& settings);
  // The liveness phase: no more loss or duplication, every cut and clog removed.
  void make_reliable();

  struct Fate {
    SendResult result;
    Time deliver_at[2];
  };
  // Decides what happens to one message sent now from -> to, and counts it as in flight.
  Fate send(Time now, NodeId from, NodeId to);
  // A scheduled copy arrives: true if it may be delivered (the link is not cut now).
  bool arrive(NodeId from, NodeId to);
  // A copy that arrived at a paused node is held and will arrive() again on resume.
  void note_held(NodeId from, NodeId to) { ++links_.at(key(from, to)).in_flight; }
  // A held copy is lost (its node crashed while paused): no longer in flight.
  void forget_held(NodeId from, NodeId to) { leave_flight(key(from, to)); }

  bool is_cut(NodeId from, NodeId to) const { return cuts_.is_cut(from, to); }
  CutRules& cuts() { return cuts_; }
  const CutRules& cuts() const { return cuts_; }
  // Holds every message sent on a link of `links` until `until` (at least).
  void clog(LinkSet links, Time until, Time now);
  void heal_all();
  // Copies in flight on one link (0 for a link never used).
  std::uint32_t in_flight(NodeId from, NodeId to) const;
  // Links the network holds state for (every link with copies in flight, and idle ones not yet
  // dropped): its per-link memory.
  std::size_t links_held() const { return links_.size(); }

  NetworkStats& stats() { return stats_; }
  const NetworkStats& stats() const { return stats_; }

 private:
  struct LinkState {
    std::uint32_t in_flight = 0;
    Time last_delivery;  // of the last copy kept in FIFO order
  };
  struct Idle {
    bool operator()(const LinkState& link) const { return link.in_flight == 0; }
  };
  struct Clog {
    LinkSet links;
    Time until;
  };

  std::uint64_t key(NodeId from, NodeId to) const {
    return std::uint64_t{from.value} << 32 | to.value;
  }
  const LinkParams& params(std::uint64_t link) const;
  Time clogged_until(NodeId from, NodeId to) const;
  Duration sample_latency(const scenario::LatencyModel& model);
  Time schedule_copy(Time now, LinkState& link, Time release, const LinkParams& params,
                     bool may_reorder);
  void leave_flight(std::uint64_t link);

  std::uint32_t node_count_;
  LinkParams defaults_;
  std::vector<LinkParams> overrides_;     // the links given their own settings
  FlatTable<std::uint32_t> override_of_;  // link -> 1 + its overrides_ index
  Rng rng_;
  CutRules cuts_;
  std::vector<Clog> clogs_;
  FlatTable<LinkState, Idle> links_;  // the links with copies in flight (and idle ones)
  NetworkStats stats_;
};

// Hot path, inline: every simulated message goes through send() and arrive().
inline const LinkParams& Network::params(std::uint64_t link) const {
  if (overrides_.empty()) return defaults_;
  const std::uint32_t* slot = override_of_.find(link);
  return slot == nullptr ? defaults_ : overrides_[*slot - 1];
}

inline Time Network::clogged_until(NodeId from, NodeId to) const {
  Time until;
  for (const Clog& clog : clogs_)
    if (clog.until > until && clog.links.contains(from, to)) until = clog.until;
  return until;
}

inline Duration Network::sample_latency(const scenario::LatencyModel& model) {
  using Shape = scenario::LatencyModel::Shape;
  switch (model.shape) {
    case Shape::fixed: return model.low;
    case Shape::uniform: return rng_.duration_in({model.low, model.high});
    case Shape::exponential: return rng_.exponential(model.low);
    case Shape::pareto: return rng_.pareto(model.low, model.pareto_shape, model.high);
    case Shape::bimodal: return rng_.chance(model.slow_chance) ? model.high : model.low;
  }
  FL_UNREACHABLE("unknown latency shape");
}

inline Time Network::schedule_copy(Time now, LinkState& link, Time release, const LinkParams& p,
                                   bool may_reorder) {
  Time at = std::max(now, release) + sample_latency(p.latency);
  if (may_reorder && !p.reorder.is_zero() && rng_.chance(p.reorder)) {
    if (at < link.last_delivery) ++stats_.reordered;
  } else {
    at = std::max(at, link.last_delivery);  // FIFO, like a TCP connection
    link.last_delivery = at;
  }
  ++link.in_flight;
  return at;
}

inline Network::Fate Network::send(Time now, NodeId from, NodeId to) {
  FL_ASSERT(from.value < node_count_, "send source out of range");
  FL_ASSERT(to.value < node_count_, "send destination out of range");
  ++stats_.sent;
  Fate fate{SendResult::dropped_partition, {Time{}, Time{}}};
  if (cuts_.is_cut(from, to)) {
    ++stats_.dropped_partition;
    return fate;
  }
  const std::uint64_t id = key(from, to);
  const LinkParams& p = params(id);
  if (!p.drop.is_zero() && rng_.chance(p.drop)) {
    ++stats_.dropped_loss;
    fate.result = SendResult::dropped_loss;
    return fate;
  }
  LinkState& link = links_.at(id);
  if (link.in_flight >= p.queue_capacity) {
    ++stats_.dropped_queue_full;
    fate.result = SendResult::dropped_queue_full;
    return fate;
  }
  const Time release = clogs_.empty() ? Time{} : clogged_until(from, to);
  fate.result = SendResult::delivered_once;
  fate.deliver_at[0] = schedule_copy(now, link, release, p, true);
  if (!p.duplicate.is_zero() && rng_.chance(p.duplicate) && link.in_flight < p.queue_capacity) {
    ++stats_.duplicated;
    fate.result = SendResult::delivered_twice;
    fate.deliver_at[1] = schedule_copy(now, link, release, p, true);
  }
  return fate;
}

inline std::uint32_t Network::in_flight(NodeId from, NodeId to) const {
  const LinkState* link = links_.find(key(from, to));
  return link == nullptr ? 0 : link->in_flight;
}

inline void Network::leave_flight(std::uint64_t id) {
  LinkState* link = links_.find(id);
  FL_ASSERT(link != nullptr, "a copy left a link that had none in flight");
  FL_ASSERT(link->in_flight > 0, "a link in use has copies in flight");
  --link->in_flight;
}

inline bool Network::arrive(NodeId from, NodeId to) {
  leave_flight(key(from, to));
  if (cuts_.is_cut(from, to)) {
    ++stats_.dropped_partition;
    return false;
  }
  return true;
}

}  // namespace faultline
