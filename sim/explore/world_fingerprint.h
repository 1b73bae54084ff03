// Keys and fingerprints of world states: seal() computes a slot's key from its contents, and
// world_fingerprint() sums one pseudo-random term per part of a world (README.md, "What a state
// is"). slots_fingerprint() and step_fingerprint() are the coarser fingerprints the explorer
// evaluates properties once per.
//
// Invariants: a slot's key is a pure function of its node's field encodings, its durable
// value's fingerprint and its timer keys, so equal slots have equal keys; the world fingerprint
// is a sum of terms (mod 2^64), so it needs no order among the messages in flight. These are
// the explorer's own hashes, pinned by the fingerprint and explore tests.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/core/codec.h"
#include "sim/core/fields.h"
#include "sim/explore/keys.h"
#include "sim/explore/world_state.h"

namespace faultline::explore {

// Computes a slot's key from its contents; called whenever a step changed the slot.
template <class P>
void seal(NodeSlot<P>& slot) {
  KeySink sink;
  sink.write_byte(slot.node ? 1 : 0);
  static_assert(HasFields<typename P::Node>,
                "explore: the Node needs a field list (its volatile state)");
  if (slot.node) P::Node::fields(*slot.node, SealVisit<KeySink>{sink});
  sink.write_byte(slot.disk ? 1 : 0);
  write_key(sink, slot.disk_key);
  write_varint(sink, slot.timers.size());
  for (const auto& t : slot.timers) write_key(sink, t.key);
  slot.key = sink.digest();
}

// The term of a slot whose key is `key` at node `node`.
inline std::uint64_t slot_term(std::uint64_t key, std::uint32_t node) {
  return mix64(key + (node + std::uint64_t{1}) * kGolden);
}

// The terms that name no node: the budgets used and the inputs delivered. A zero counter adds
// nothing (its term is 0), so a fault-free search pays nothing for them.
template <class P>
std::uint64_t budget_terms(const World<P>& world) {
  const auto term = [](std::uint64_t count, std::uint64_t salt) {
    return count == 0 ? 0 : mix64(count ^ salt);
  };
  std::uint64_t sum = term(world.crashes, 0x6372617368657321ULL);  // distinct salts: a crash and a
  sum += term(world.drops, 0x64726f7070656421ULL);                 // drop are different states
  sum += term(world.timers, 0x74696d6572732121ULL);
  sum += term(world.duplicates, 0x6475706c69636174ULL);
  for (std::size_t j = 0; j < world.inputs_done.size(); ++j)
    if (world.inputs_done[j] != 0) sum += mix64((j + 1) * kGolden ^ 0x696e707574646f6eULL);
  if (world.history != nullptr) sum += mix64(world.history->key ^ 0x686973746f727921ULL);
  return sum;
}

// The world fingerprint: a sum (mod 2^64) of one pseudo-random term per part of the state,
// mixed once at the end. Each slot's key, tagged with its node; each in-flight message's word
// (its sender, receiver and key, hashed when it was interned), once per copy, so the sum is a
// multiset hash that needs no order; each budget counter and each delivered input, salted.
// The terms are already hashes, so this costs a few instructions per term where hashing the
// whole state again would cost hundreds; two different states collide with probability about
// 2^-64, as with any 64-bit fingerprint (README.md, "What a state is").
template <class P>
std::uint64_t world_fingerprint(const World<P>& world) {
  std::uint64_t sum = budget_terms(world);
  for (std::uint32_t i = 0; i < world.slots.size(); ++i) sum += slot_term(world.slots[i]->key, i);
  for (const auto* m : world.messages) sum += m->word;
  return mix64(sum);
}

// The fingerprint of the nodes and disks alone (the slot keys; messages and budgets left out):
// what a ClusterView, and so every property, depends on. The explorer evaluates properties once
// per distinct value of it.
template <class P>
std::uint64_t slots_fingerprint(const World<P>& world) {
  std::uint64_t sum = 0;
  for (std::uint32_t i = 0; i < world.slots.size(); ++i) sum += slot_term(world.slots[i]->key, i);
  return mix64(sum);
}

// Whether the interning of P's values is exact (key_tables.h): every value a world is made of
// compares by ==, so equal interned pointers mean equal values, never merely equal keys. What
// `--exact` needs: then a world's exact key (below) identifies it with no collision possible.
template <class P>
constexpr bool exact_capable = std::equality_comparable<typename P::Node>&&
    std::equality_comparable<typename P::Durable>&& std::equality_comparable<typename P::Message>&&
        std::equality_comparable<typename P::Timer>&& std::equality_comparable<typename P::Output>;

template <class T>
std::uint64_t address_word(const T* pointer) {
  return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(pointer));
}

// A world's exact key: the addresses of its interned slots (in node order) and messages (in
// their sorted order, copies repeated), its budget counters, its delivered inputs (a bit each)
// and its interned history. The world must be kept (no scratch slots). With exact interning,
// two kept worlds of one Stepper have equal keys exactly when they are equal states; addresses
// are compared for equality only, never ordered, so they cannot change a result.
template <class P>
void world_exact_key(const World<P>& world, std::vector<std::uint64_t>& key) {
  key.clear();
  for (const auto* slot : world.slots) key.push_back(address_word(slot));
  for (const auto* message : world.messages) key.push_back(address_word(message));
  key.push_back((std::uint64_t{world.crashes} << 32) | world.timers);
  key.push_back((std::uint64_t{world.drops} << 32) | world.duplicates);
  for (std::size_t j = 0; j < world.inputs_done.size(); j += 64) {
    std::uint64_t bits = 0;
    for (std::size_t b = 0; b < 64 && j + b < world.inputs_done.size(); ++b)
      bits |= std::uint64_t{world.inputs_done[j + b] != 0} << b;
    key.push_back(bits);
  }
  key.push_back(address_word(world.history));
}

// The fingerprint of node `node` stepping from a slot whose key is `before` to one whose key is
// `after`: what a transition property's verdict depends on (property.h). Order matters, as a
// step and its reverse are different steps.
inline std::uint64_t step_fingerprint(std::uint32_t node, std::uint64_t before,
                                      std::uint64_t after) {
  return mix64(slot_term(before, node) + mix64(after ^ 0x737465702d746f21ULL));
}

}  // namespace faultline::explore
