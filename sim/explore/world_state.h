// World<P>: one state of the model checker, and the immutable parts it points at: a NodeSlot per
// node, an InFlight per message in flight, and a HistoryEvent list for the client history.
//
// A world state is every node's volatile value (none while crashed), every node's durable value,
// the in-flight messages as a multiset, the armed timers of every node as a set, the fault
// budget used so far (crashes, drops, duplicates, timer firings), which model inputs were
// delivered, and (opt-in) the client history. Slots, messages and history events are interned
// by the Stepper (stepper.h), so a World is a few arrays of pointers, cheap to copy and to queue.
//
// Invariants (kept by the Driver, driver.h, and checked by FL_ASSERT):
//   - messages are sorted by (from, to, key) where key is the message's fingerprint; equal keys
//     are copies of one message, and at most `copies_max` copies are ever in flight (a send of a
//     further copy is absorbed: the network lost it, which is within the fault model);
//   - timers of a slot are sorted by key and hold each Timer at most once, so re-arming an armed
//     timer leaves the state unchanged (the simulator re-arms by equality too);
//   - a down node has no Node value and no timers.
#pragma once

#include <bit>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "sim/core/fingerprint.h"
#include "sim/core/ids.h"

namespace faultline::explore {

template <class P>
struct InFlight {
  NodeId from;
  NodeId to;
  std::uint64_t key = 0;  // fingerprint(message): the canonical order and the copy identity
  typename P::Message message;
  std::uint64_t word = 0;  // (from, to, key) hashed to one word: its part of the world fingerprint

  static InFlight make(NodeId from, NodeId to, std::uint64_t key,
                       const typename P::Message& message) {
    static_assert(std::endian::native == std::endian::little,
                  "fingerprints hash little-endian words");
    const std::uint64_t words[2] = {(static_cast<std::uint64_t>(from.value) << 32) | to.value, key};
    return InFlight{from, to, key, message, XXH3_64bits(words, sizeof(words))};
  }
};

// Two in-flight entries are copies of one message: (from, to, key) is a message's identity in
// the multiset.
template <class P>
bool same_message(const InFlight<P>& a, const InFlight<P>& b) {
  return a.from == b.from && a.to == b.to && a.key == b.key;
}

template <class P>
struct ArmedTimer {
  std::uint64_t key = 0;  // fingerprint(timer)
  typename P::Timer timer;
};

// Everything one node owns. Immutable once in a World: steps copy the one slot they change, so
// successor states (and the BFS queue) share the slots of the nodes an action did not touch.
// Slots are interned by the Stepper (one stored copy per distinct slot), so equal pointers mean
// equal slots.
template <class P>
struct NodeSlot {
  std::optional<typename P::Node> node;             // none: the node is down
  std::shared_ptr<const typename P::Durable> disk;  // null: nothing persisted yet; shared, as it
                                                    // changes far less often than the node
  std::uint64_t disk_key = 0;                       // fingerprint(*disk), set by persist
  std::vector<ArmedTimer<P>> timers;                // sorted by key, unique
  std::uint64_t key = 0;  // fingerprint of the above (see seal(), world_fingerprint.h)
};

// One client-visible event of a path, and (through `parent`) every one before it: a persistent
// list, interned by the Stepper, so paths with equal histories share one pointer and a world
// keeps one word for its history. `key` hashes the whole list; `length` counts its events.
template <class P>
struct HistoryEvent {
  const HistoryEvent* parent = nullptr;
  std::uint64_t key = 0;
  std::uint32_t length = 0;
  NodeId node;
  std::optional<std::uint32_t> input;  // an invocation: the model input's index; else an output
  std::optional<typename P::Output> output;
};

// The slots and messages a World points at are interned by the Stepper that built it and live
// as long as it does: a World is a few arrays of pointers, cheap to copy and to queue.
template <class P>
struct World {
  std::vector<const NodeSlot<P>*> slots;
  std::vector<const InFlight<P>*> messages;  // sorted by (from, to, key)
  std::uint32_t crashes = 0;
  std::uint32_t timers = 0;  // timer firings so far (counted only when Model::timers_max is set)
  std::uint32_t drops = 0;
  std::uint32_t duplicates = 0;
  std::vector<std::uint8_t> inputs_done;     // per model input: 1 once delivered
  const HistoryEvent<P>* history = nullptr;  // client history (Model::client_history), newest last

  bool up(std::uint32_t node) const { return slots[node]->node.has_value(); }
};

}  // namespace faultline::explore
