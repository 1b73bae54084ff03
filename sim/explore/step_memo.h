// StepMemo<P>: what a node's handler did, remembered by what it was given (LTSmin's transition
// caching). A handler is a pure function of the node's slot and the event: delivering one
// message to one slot always yields the same slot and the same sends, whatever the rest of the
// world holds. Most of the model checker's steps repeat a local step already taken in another
// global state (the other nodes' states differ), so the Stepper replays the remembered outcome
// (one slot pointer, a few message inserts) instead of copying the slot, running the handler,
// applying its effects and sealing the result.
//
// Invariants: a step is remembered by the interned slot it starts from (a stable address: equal
// interned slots are one pointer), the acting node, the kind of event and which event (an
// interned message's address, a timer's index in that slot, a model input's index); its outcome
// names an interned slot and interned messages only, in the order the handler sent them, so a
// replay builds exactly the world the handler would have. Lookup only: the table's order is
// never observed (DESIGN.md 4.3). It stops growing at `kEntriesMax` entries (steps not yet
// remembered then run their handler as before).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/core/assert.h"
#include "sim/explore/key_tables.h"
#include "sim/explore/keys.h"
#include "sim/explore/world_fingerprint.h"
#include "sim/explore/world_state.h"

namespace faultline::explore {

enum class StepEvent : std::uint8_t { message, timer, input };

template <class P>
class StepMemo {
 public:
  // What a step starts from: the node, its interned slot, and the event (see header).
  struct Given {
    std::uint32_t node;
    StepEvent event;
    const NodeSlot<P>* before;
    std::uint64_t which;  // a message's address, a timer's or an input's index
  };
  // What the handler made of it: the node's slot after (interned) and its sends, in order.
  struct Outcome {
    const NodeSlot<P>* after = nullptr;
    std::vector<const InFlight<P>*> sends;
  };

  // The remembered outcome of `given`, or none.
  const Outcome* find(const Given& given) const {
    const Entry* entry = entries_.find(key(given), [&](const Entry& e) { return same(e, given); });
    return entry == nullptr ? nullptr : &entry->outcome;
  }

  // Remembers `outcome` for `given` (which find() did not find), unless the memo is full.
  void add(const Given& given, Outcome outcome) {
    FL_ASSERT(outcome.after != nullptr, "step memo: an outcome names its slot");
    FL_ASSERT(find(given) == nullptr, "step memo: a step is remembered once");
    if (entries_.size() >= kEntriesMax) return;
    entries_.add(key(given), Entry{given, std::move(outcome)});
  }

  std::size_t size() const { return entries_.size(); }

  // An entry with its index and sends costs about 130 bytes: at most about 520 MiB.
  static constexpr std::size_t kEntriesMax = std::size_t{1} << 22;

 private:
  struct Entry {
    Given given;
    Outcome outcome;
  };

  // Addresses are hashed for lookup only: which entry a step finds never depends on them.
  static std::uint64_t key(const Given& given) {
    const std::uint64_t tag =
        (std::uint64_t{given.node} << 8) | static_cast<std::uint8_t>(given.event);
    return mix64(address_word(given.before) + mix64(given.which ^ (tag * kGolden)));
  }
  static bool same(const Entry& entry, const Given& given) {
    return entry.given.node == given.node && entry.given.event == given.event &&
           entry.given.before == given.before && entry.given.which == given.which;
  }

  InternTable<Entry> entries_;
};

}  // namespace faultline::explore
