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

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

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

enum class SendResult : std::uint8_t { delivered_once, delivered_twice, dropped_partition, dropped_loss, dropped_queue_full };

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
  std::size_t index(NodeId from, NodeId to) const { return std::size_t{from.value} * node_count_ + to.value; }
  const LinkParams& params(NodeId from, NodeId to) const;
  Duration sample_latency(const scenario::LatencyModel& model);
  Time schedule_copy(Time now, std::size_t link, const LinkParams& params, bool may_reorder);

  std::uint32_t node_count_;
  LinkParams defaults_;
  std::map<std::pair<std::uint32_t, std::uint32_t>, LinkParams> overrides_;
  Rng rng_;
  std::vector<std::uint8_t> cut_;
  std::vector<std::uint32_t> in_flight_;
  std::vector<Time> last_delivery_;
  std::vector<Time> clogged_until_;
  NetworkStats stats_;
};

}  // namespace faultline
