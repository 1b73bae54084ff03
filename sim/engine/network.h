// Network: the virtual network's link model and its fault state (DESIGN.md 5).
//
// For each directed link it decides a sent message's fate: lost (partition, loss draw, full
// queue), delivered once or twice (duplication), and when. Links are FIFO like TCP unless a
// reorder draw lets a message overtake (its delivery time is then not clamped to the link's
// last delivery). A clogged link holds messages until the clog ends and then releases them.
// Cuts (partitions, one-way cuts, isolation) are checked at send and again at delivery, so a
// partition also loses what was in flight. All draws come from the Rng this network was given.
//
// Invariants: in_flight(link) counts scheduled, undelivered copies; it never goes negative.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "sim/core/assert.h"
#include "sim/core/ids.h"
#include "sim/core/rng.h"
#include "sim/core/time.h"
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
  void note_held(NodeId from, NodeId to) { ++in_flight_[index(from, to)]; }
  // A held copy is lost (its node crashed while paused): no longer in flight.
  void forget_held(NodeId from, NodeId to) {
    FL_ASSERT(in_flight_[index(from, to)] > 0, "a held copy is counted in flight");
    --in_flight_[index(from, to)];
  }

  bool is_cut(NodeId from, NodeId to) const { return cut_[index(from, to)] != 0; }
  void cut(NodeId from, NodeId to) { cut_[index(from, to)] = 1; }
  void cut_both(NodeId a, NodeId b) {
    cut(a, b);
    cut(b, a);
  }
  void clog(NodeId from, NodeId to, Time until);
  void heal_all();
  // Directed links currently cut, row-major (for topology queries).
  const std::vector<std::uint8_t>& cut_matrix() const { return cut_; }

  NetworkStats& stats() { return stats_; }
  const NetworkStats& stats() const { return stats_; }

 private:
  std::size_t index(NodeId from, NodeId to) const {
    return std::size_t{from.value} * node_count_ + to.value;
  }
  const LinkParams& params(std::size_t link) const;
  Duration sample_latency(const scenario::LatencyModel& model);
  Time schedule_copy(Time now, std::size_t link, const LinkParams& params, bool may_reorder);

  std::uint32_t node_count_;
  LinkParams defaults_;
  std::vector<LinkParams> overrides_;       // the links given their own settings
  std::vector<std::uint32_t> override_of_;  // per link: 0 none, else 1 + its overrides_ index
  Rng rng_;
  std::vector<std::uint8_t> cut_;
  std::vector<std::uint32_t> in_flight_;
  std::vector<Time> last_delivery_;
  std::vector<Time> clogged_until_;
  NetworkStats stats_;
};

// Hot path, inline: every simulated message goes through send() and arrive().
inline const LinkParams& Network::params(std::size_t link) const {
  const std::uint32_t slot = override_of_[link];
  return slot == 0 ? defaults_ : overrides_[slot - 1];
}

inline Duration Network::sample_latency(const scenario::LatencyModel& model) {
  using Shape = scenario::LatencyModel::Shape;
  switch (model.shape) {
    case Shape::fixed: return model.low;
    case Shape::uniform: return rng_.duration_in({model.low, model.high});
    case Shape::exponential: return rng_.exponential(model.low);
    case Shape::pareto: return rng_.pareto(model.low, model.pareto_shape, model.high);
  }
  FL_UNREACHABLE("unknown latency shape");
}

inline Time Network::schedule_copy(Time now, std::size_t link, const LinkParams& p,
                                   bool may_reorder) {
  Time at = std::max(now, clogged_until_[link]) + sample_latency(p.latency);
  if (may_reorder && !p.reorder.is_zero() && rng_.chance(p.reorder)) {
    if (at < last_delivery_[link]) ++stats_.reordered;
  } else {
    at = std::max(at, last_delivery_[link]);  // FIFO, like a TCP connection
    last_delivery_[link] = at;
  }
  ++in_flight_[link];
  return at;
}

inline Network::Fate Network::send(Time now, NodeId from, NodeId to) {
  FL_ASSERT(from.value < node_count_ && to.value < node_count_, "send endpoint out of range");
  ++stats_.sent;
  const std::size_t link = index(from, to);
  Fate fate{SendResult::dropped_partition, {Time{}, Time{}}};
  if (cut_[link]) {
    ++stats_.dropped_partition;
    return fate;
  }
  const LinkParams& p = params(link);
  if (!p.drop.is_zero() && rng_.chance(p.drop)) {
    ++stats_.dropped_loss;
    fate.result = SendResult::dropped_loss;
    return fate;
  }
  if (in_flight_[link] >= p.queue_capacity) {
    ++stats_.dropped_queue_full;
    fate.result = SendResult::dropped_queue_full;
    return fate;
  }
  fate.result = SendResult::delivered_once;
  fate.deliver_at[0] = schedule_copy(now, link, p, true);
  if (!p.duplicate.is_zero() && rng_.chance(p.duplicate) && in_flight_[link] < p.queue_capacity) {
    ++stats_.duplicated;
    fate.result = SendResult::delivered_twice;
    fate.deliver_at[1] = schedule_copy(now, link, p, true);
  }
  return fate;
}

inline bool Network::arrive(NodeId from, NodeId to) {
  const std::size_t link = index(from, to);
  FL_ASSERT(in_flight_[link] > 0, "a message arrived that was never in flight");
  --in_flight_[link];
  if (cut_[link]) {
    ++stats_.dropped_partition;
    return false;
  }
  return true;
}

}  // namespace faultline
