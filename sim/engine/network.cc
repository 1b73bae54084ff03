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
      override_of_(std::size_t{node_count} * node_count, 0),
      rng_(rng),
      cut_(std::size_t{node_count} * node_count, 0),
      in_flight_(std::size_t{node_count} * node_count, 0),
      last_delivery_(std::size_t{node_count} * node_count, Time{}),
      clogged_until_(std::size_t{node_count} * node_count, Time{}) {
  FL_ASSERT(node_count > 0, "a network needs nodes");
}

void Network::override_link(NodeId from, NodeId to, const scenario::LinkSettings& settings) {
  FL_ASSERT(from.value < node_count_ && to.value < node_count_, "link endpoint out of range");
  std::uint32_t& slot = override_of_[index(from, to)];
  if (slot == 0) {
    overrides_.push_back(defaults_);
    slot = static_cast<std::uint32_t>(overrides_.size());
  }
  overrides_[slot - 1].merge(settings);
}

void Network::change_all(const scenario::LinkSettings& settings) {
  defaults_.merge(settings);
  for (LinkParams& params : overrides_) params.merge(settings);
}

void Network::make_reliable() {
  const auto reliable = [](LinkParams& p) {
    p.drop = Ratio::zero();
    p.duplicate = Ratio::zero();
  };
  reliable(defaults_);
  for (LinkParams& params : overrides_) reliable(params);
  heal_all();
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
