// SymmetryReduction<P>: the fingerprint of a world's orbit under every renaming of the model's
// interchangeable nodes (Model::Symmetry; `faultline check --symmetry`), the least world
// fingerprint over all renamings (TLC's symmetry sets, Stateright's symmetry).
//
// Invariants: each renamed fingerprint is computed exactly as world_fingerprint() would compute
// it on the renamed world, and renaming 0 is the identity; states are never renamed in place
// (the explorer keeps real, unrenamed states, so counterexamples replay as recorded). A slot's
// terms under every renaming are memoised by its key and node (equal keys: equal slots), a
// message's words by its word, so a state costs a few additions per renaming.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "sim/core/assert.h"
#include "sim/core/ids.h"
#include "sim/explore/key_tables.h"
#include "sim/explore/keys.h"
#include "sim/explore/model.h"
#include "sim/explore/world_fingerprint.h"
#include "sim/explore/world_state.h"

namespace faultline::explore {

template <class P>
class SymmetryReduction {
 public:
  // `symmetry` must outlive this (it is the Stepper's model's).
  SymmetryReduction(const typename Model<P>::Symmetry& symmetry, std::uint32_t node_count)
      : symmetry_(symmetry), renamings_(all_renamings(node_count, symmetry.nodes)) {}

  // The least world fingerprint over every renaming of `world`.
  std::uint64_t fingerprint(const World<P>& world) {
    const std::size_t count = renamings_.size();
    sums_.assign(count, budget_terms(world));  // budgets and inputs name no node
    for (std::uint32_t i = 0; i < world.slots.size(); ++i) {
      const std::uint64_t* terms = renamed_slot_terms(*world.slots[i], i);
      for (std::size_t r = 0; r < count; ++r) sums_[r] += terms[r];
    }
    for (const InFlight<P>* m : world.messages) {
      const std::uint64_t* words = renamed_message_words(*m);
      for (std::size_t r = 0; r < count; ++r) sums_[r] += words[r];
    }
    std::uint64_t least = ~std::uint64_t{0};
    for (std::size_t r = 0; r < count; ++r) least = std::min(least, mix64(sums_[r]));
    return least;
  }

 private:
  // Every permutation of `nodes` (the others fixed), as maps old id -> new id, identity first.
  static std::vector<std::vector<NodeId>> all_renamings(std::uint32_t node_count,
                                                        std::vector<std::uint32_t> nodes) {
    std::sort(nodes.begin(), nodes.end());
    FL_ASSERT(std::adjacent_find(nodes.begin(), nodes.end()) == nodes.end() &&
                  (nodes.empty() || nodes.back() < node_count),
              "symmetric nodes are distinct nodes of the cluster");
    std::vector<std::vector<NodeId>> renamings;
    std::vector<std::uint32_t> images = nodes;
    do {
      std::vector<NodeId> ids(node_count);
      for (std::uint32_t i = 0; i < node_count; ++i) ids[i] = NodeId{i};
      for (std::size_t k = 0; k < nodes.size(); ++k) ids[nodes[k]] = NodeId{images[k]};
      renamings.push_back(std::move(ids));
    } while (std::next_permutation(images.begin(), images.end()));
    return renamings;
  }

  // slot_term() of slot `node`, renamed, at its new node, for every renaming.
  const std::uint64_t* renamed_slot_terms(const NodeSlot<P>& slot, std::uint32_t node) {
    const std::uint64_t memo_key = slot_term(slot.key, node);
    if (const std::uint64_t* known = slot_memo_.find(memo_key)) return known;
    std::uint64_t* terms = slot_memo_.add(memo_key, renamings_.size());
    for (std::size_t r = 0; r < renamings_.size(); ++r) {
      std::uint64_t key = slot.key;  // a down node names no one; r == 0 is the identity
      if (slot.node && r != 0) {
        NodeSlot<P> renamed;
        renamed.node = symmetry_.rename(*slot.node, renamings_[r]);
        renamed.disk_key = slot.disk_key;
        renamed.disk = slot.disk;
        renamed.timers = slot.timers;  // timers and durables name no node
        seal(renamed);
        key = renamed.key;
      }
      terms[r] = slot_term(key, renamings_[r][node].value);
    }
    return terms;
  }

  // A message's word (its part of the world fingerprint) for every renaming.
  const std::uint64_t* renamed_message_words(const InFlight<P>& m) {
    if (const std::uint64_t* known = message_memo_.find(m.word)) return known;
    std::uint64_t* words = message_memo_.add(m.word, renamings_.size());
    for (std::size_t r = 0; r < renamings_.size(); ++r)
      words[r] = InFlight<P>::make(renamings_[r][m.from.value], renamings_[r][m.to.value], m.key,
                                   m.message)
                     .word;
    return words;
  }

  const typename Model<P>::Symmetry& symmetry_;
  std::vector<std::vector<NodeId>> renamings_;  // identity first
  KeyMemo slot_memo_;                           // by slot_term(key, node)
  KeyMemo message_memo_;                        // by message word
  std::vector<std::uint64_t> sums_;             // per renaming, reused across states
};

}  // namespace faultline::explore
