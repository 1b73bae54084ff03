// Driver<P>: the apply() hooks (sim/core/apply.h) through which a handler's effects change a
// world, so the model checker defines effects exactly as the simulator and the socket runtime
// do. Only the acting node's slot (already copied by the caller) and the message multiset
// change; client replies are recorded in the client history.
//
// Invariants kept here: a node persists, arms and cancels only its own state and timers; a
// slot's timers stay sorted by key and unique (re-arming an armed timer changes nothing); the
// message multiset stays sorted with at most `copies_max` copies of a message (messages.h).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "sim/core/assert.h"
#include "sim/core/ids.h"
#include "sim/core/time.h"
#include "sim/explore/client_history.h"
#include "sim/explore/keys.h"
#include "sim/explore/messages.h"
#include "sim/explore/world_state.h"

namespace faultline::explore {

// Applies one handler's effects to a world (the apply() driver hooks). Only the acting node's
// slot (already copied by the caller) and the message multiset change.
template <class P>
struct Driver {
  World<P>& world;
  NodeSlot<P>& slot;
  NodeId acting;
  std::uint32_t copies_max;
  SentMessages<P>& sent;   // where sent messages are interned
  HistoryLog<P>& history;  // where client replies are recorded

  void persist(NodeId node, const typename P::Durable& durable) {
    FL_ASSERT(node == acting, "a node persists only its own state");
    slot.disk = std::make_shared<const typename P::Durable>(durable);
    slot.disk_key = key_of(durable);
  }
  void set_timer(NodeId node, const typename P::Timer& timer, DurationRange) {
    FL_ASSERT(node == acting, "a node arms only its own timers");
    const std::uint64_t key = key_of(timer);
    auto it = std::lower_bound(slot.timers.begin(), slot.timers.end(), key,
                               [](const ArmedTimer<P>& t, std::uint64_t k) { return t.key < k; });
    if (it != slot.timers.end() && it->key == key)
      return;  // already armed: re-arming changes nothing
    slot.timers.insert(it, ArmedTimer<P>{key, timer});
  }
  void cancel_timer(NodeId node, const typename P::Timer& timer) {
    FL_ASSERT(node == acting, "a node cancels only its own timers");
    const std::uint64_t key = key_of(timer);
    std::erase_if(slot.timers, [&](const ArmedTimer<P>& t) { return t.key == key; });
  }
  void send(NodeId from, NodeId to, const typename P::Message& message) {
    FL_ASSERT(to.value < world.slots.size(), "message addressed to a node that does not exist");
    const std::uint64_t key = sent.key(message);
    const auto at = message_insert_position(world, copies_max, from, to, key);
    if (!at) return;  // absorbed (messages.h)
    const InFlight<P>* item = sent.intern(from, to, key, message);
    world.messages.insert(world.messages.begin() + static_cast<std::ptrdiff_t>(*at), item);
  }
  void emit(NodeId node, const typename P::Output& output) {
    history.record_output(world, node, output);
  }
};

}  // namespace faultline::explore
