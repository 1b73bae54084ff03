// The in-flight message multiset of a World: where a message goes in it (and when a send is
// absorbed), and SentMessages, the Stepper's store of every message sent, interned by
// (from, to, key), with a cache of recent messages' keys.
//
// Invariants: World::messages is sorted by (from, to, key); entries with equal (from, to, key)
// are copies of one message, and at most `copies_max` of them are in flight at once (a further
// copy is absorbed: the network lost it, which is within the fault model, so every
// counterexample is still a real behaviour; without it, periodic resends would make the state
// space infinite).
#pragma once

#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <tuple>
#include <utility>

#include "sim/core/fields.h"
#include "sim/core/ids.h"
#include "sim/explore/key_tables.h"
#include "sim/explore/keys.h"
#include "sim/explore/world_state.h"

namespace faultline::explore {

// Where a message (from, to, key) goes in the sorted multiset (after its copies), or none when
// `copies_max` copies are already in flight and the send is absorbed.
template <class P>
std::optional<std::size_t> message_insert_position(const World<P>& world, std::uint32_t copies_max,
                                                   NodeId from, NodeId to, std::uint64_t key) {
  const auto& messages = world.messages;
  const auto ends = std::tie(from, to, key);
  const auto first = std::lower_bound(
      messages.begin(), messages.end(), ends,
      [](const auto& m, const auto& e) { return std::tie(m->from, m->to, m->key) < e; });
  auto last = first;
  while (last != messages.end() && (*last)->key == key && (*last)->from == from &&
         (*last)->to == to)
    ++last;
  if (static_cast<std::uint32_t>(last - first) >= copies_max) return std::nullopt;
  return static_cast<std::size_t>(last - messages.begin());
}

// Adds one more copy of an interned message to the multiset, unless it is absorbed.
template <class P>
void insert_message(World<P>& world, std::uint32_t copies_max, const InFlight<P>* item) {
  const auto at = message_insert_position(world, copies_max, item->from, item->to, item->key);
  if (!at) return;  // absorbed (see header)
  world.messages.insert(world.messages.begin() + static_cast<std::ptrdiff_t>(*at), item);
}

// Every message the stepper has seen sent: interned by (from, to, key), and the keys of recent
// messages by value. A protocol sends few distinct messages over and over (heartbeats, votes,
// retransmitted decisions), and comparing a message with the recent ones of its kind is cheaper
// than encoding and hashing it again; equal messages encode equally, so the key is the same.
template <class P>
class SentMessages {
 public:
  using Message = typename P::Message;

  std::uint64_t key(const Message& message) {
    if constexpr (!std::equality_comparable<Message>) {
      return key_of(message);
    } else {
      Recent& bucket = recent_[bucket_of(message)];
      for (std::size_t i = 0; i < bucket.used; ++i)
        if (bucket.entries[i].first == message) return bucket.entries[i].second;
      const std::uint64_t key = key_of(message);
      bucket.entries[bucket.next] = {message, key};  // replaces the oldest: round robin
      bucket.next = (bucket.next + 1) % kWays;
      bucket.used = std::max(bucket.used, bucket.next == 0 ? kWays : bucket.next);
      return key;
    }
  }

  // The interned InFlight for (from, to, message), stored on first sight; `key` finds it and the
  // value confirms it, so two messages never share an entry on a key collision.
  const InFlight<P>* intern(NodeId from, NodeId to, std::uint64_t key, const Message& message) {
    const auto same = [&](const InFlight<P>& m) {
      return m.from == from && m.to == to && same_value(m.message, message);
    };
    const InFlight<P>* item = table.find(key, same);
    if (item == nullptr) item = table.add(key, InFlight<P>::make(from, to, key, message));
    return item;
  }

  InternTable<InFlight<P>> table;

 private:
  static constexpr std::size_t kBuckets = 16;
  static constexpr std::size_t kWays = 4;
  struct Recent {
    std::array<std::pair<Message, std::uint64_t>, kWays> entries{};
    std::size_t used = 0;
    std::size_t next = 0;
  };
  static std::size_t bucket_of(const Message& message) {
    if constexpr (is_variant<Message>::value)
      return message.index() % kBuckets;  // one kind per bucket
    else
      return 0;
  }
  std::array<Recent, kBuckets> recent_{};
};

}  // namespace faultline::explore
