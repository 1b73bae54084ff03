#include "sim/engine/network.h"

#include <algorithm>
#include <utility>

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
    : node_count_(node_count), defaults_(std::move(defaults)), rng_(rng), cuts_(node_count) {
  FL_ASSERT(node_count > 0, "a network needs nodes");
}

void Network::override_link(NodeId from, NodeId to, const scenario::LinkSettings& settings) {
  FL_ASSERT(from.value < node_count_, "link source out of range");
  FL_ASSERT(to.value < node_count_, "link destination out of range");
  std::uint32_t& slot = override_of_.at(key(from, to));
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

// A clog that has ended holds nothing back (a send is never earlier than now), so ended clogs
// are forgotten here and the list stays as long as the clogs in force.
void Network::clog(LinkSet links, Time until, Time now) {
  std::erase_if(clogs_, [&](const Clog& clog) { return clog.until <= now; });
  clogs_.push_back(Clog{std::move(links), until});
}

void Network::heal_all() {
  cuts_.clear();
  clogs_.clear();
}

}  // namespace faultline
