#include "sim/engine/network.h"

#include <algorithm>

#include "sim/core/assert.h"

namespace faultline {

void LinkParams::merge(const scenario::LinkSettings& settings) {
  if (settings.latency) latency = *settings.latency;
  if (settings.drop) drop = *settings.drop;
  if (settings.duplicate) duplicate = *settings.duplicate;
  if (settings.reorder) reorder = *settings.reorder;
  if (settings.queue_capacity) queue_capacity = *settings.queue_capacity;
}

Network::Network(std::uint32_t node_count, LinkParams defaults, Rng rng)
    : node_count_(node_count),
      defaults_(std::move(defaults)),
      rng_(rng),
      cut_(std::size_t{node_count} * node_count, 0),
      in_flight_(std::size_t{node_count} * node_count, 0),
      last_delivery_(std::size_t{node_count} * node_count, Time{}),
      clogged_until_(std::size_t{node_count} * node_count, Time{}) {
  FL_ASSERT(node_count > 0, "a network needs nodes");
}

void Network::override_link(NodeId from, NodeId to, const scenario::LinkSettings& settings) {
  FL_ASSERT(from.value < node_count_ && to.value < node_count_, "link endpoint out of range");
  auto [it, inserted] = overrides_.try_emplace({from.value, to.value}, defaults_);
  it->second.merge(settings);
}

void Network::change_all(const scenario::LinkSettings& settings) {
  defaults_.merge(settings);
  for (auto& [link, params] : overrides_) params.merge(settings);
}

void Network::make_reliable() {
  const auto reliable = [](LinkParams& p) {
    p.drop = Ratio::zero();
    p.duplicate = Ratio::zero();
  };
  reliable(defaults_);
  for (auto& [link, params] : overrides_) reliable(params);
  heal_all();
}

const LinkParams& Network::params(NodeId from, NodeId to) const {
  if (overrides_.empty()) return defaults_;
  const auto it = overrides_.find({from.value, to.value});
  return it == overrides_.end() ? defaults_ : it->second;
}

Duration Network::sample_latency(const scenario::LatencyModel& model) {
  using Shape = scenario::LatencyModel::Shape;
  switch (model.shape) {
    case Shape::fixed: return model.low;
    case Shape::uniform: return rng_.duration_in({model.low, model.high});
    case Shape::exponential: return rng_.exponential(model.low);
    case Shape::pareto: return rng_.pareto(model.low, model.pareto_shape, model.high);
  }
  FL_UNREACHABLE("unknown latency shape");
}

Time Network::schedule_copy(Time now, std::size_t link, const LinkParams& p, bool may_reorder) {
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

Network::Fate Network::send(Time now, NodeId from, NodeId to) {
  FL_ASSERT(from.value < node_count_ && to.value < node_count_, "send endpoint out of range");
  ++stats_.sent;
  const std::size_t link = index(from, to);
  Fate fate{SendResult::dropped_partition, {Time{}, Time{}}};
  if (cut_[link]) {
    ++stats_.dropped_partition;
    return fate;
  }
  const LinkParams& p = params(from, to);
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

bool Network::arrive(NodeId from, NodeId to) {
  const std::size_t link = index(from, to);
  FL_ASSERT(in_flight_[link] > 0, "a message arrived that was never in flight");
  --in_flight_[link];
  if (cut_[link]) {
    ++stats_.dropped_partition;
    return false;
  }
  return true;
}

void Network::clog(NodeId from, NodeId to, Time until) {
  const std::size_t link = index(from, to);
  clogged_until_[link] = std::max(clogged_until_[link], until);
}

void Network::heal_all() {
  std::fill(cut_.begin(), cut_.end(), 0);
  std::fill(clogged_until_.begin(), clogged_until_.end(), Time{});
}

}  // namespace faultline
