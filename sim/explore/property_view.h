// What properties see of a world: ViewBuffer builds the ClusterView an `always` or `sometimes`
// property reads, and node_step() the NodeStep a `transition` property reads (property.h).
//
// Invariants: the model checker has no clock, so a view's and a step's `now` is 0; a view
// depends only on the slots (nodes and disks), never on the messages in flight or the budgets,
// which is why the explorer may evaluate properties once per slots_fingerprint().
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "sim/core/ids.h"
#include "sim/core/property.h"
#include "sim/core/time.h"
#include "sim/explore/world_state.h"

namespace faultline::explore {

// Contiguous copies of a world's nodes and disks, as ClusterView needs. Refreshes only the
// slots that changed since the last fill (slots are interned, so a pointer names one value; use
// one ViewBuffer with the worlds of one Stepper).
template <class P>
class ViewBuffer {
 public:
  ClusterView<P> fill(const World<P>& world) {
    const std::size_t n = world.slots.size();
    if (source_.size() != n) {
      source_.assign(n, nullptr);
      nodes_.assign(n, std::nullopt);
      disks_.assign(n, std::nullopt);
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (source_[i] == world.slots[i]) continue;
      source_[i] = world.slots[i];
      nodes_[i] = source_[i]->node;
      if (source_[i]->disk)
        disks_[i] = *source_[i]->disk;
      else
        disks_[i].reset();
    }
    return ClusterView<P>{std::span<const std::optional<typename P::Node>>(nodes_),
                          std::span<const std::optional<typename P::Durable>>(disks_), Time{}};
  }

 private:
  std::vector<const NodeSlot<P>*> source_;
  std::vector<std::optional<typename P::Node>> nodes_;
  std::vector<std::optional<typename P::Durable>> disks_;
};

// The NodeStep a transition property sees for node `id` going from slot `before` to `after`
// (pointers into the slots: valid while they are).
template <class P>
NodeStep<P> node_step(NodeId id, const NodeSlot<P>& before, const NodeSlot<P>& after) {
  return NodeStep<P>{id,
                     before.node ? &*before.node : nullptr,
                     after.node ? &*after.node : nullptr,
                     before.disk.get(),
                     after.disk.get(),
                     Time{}};
}

}  // namespace faultline::explore
