// The network's sparse state against plain references: FlatTable against std::map under random
// updates, and CutRules against a per-link cut matrix under random partitions,
// isolations and one-way cuts (what the network kept before it stopped storing N x N links),
// with the partition components computed from CutRules' classes against those of the matrix.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <map>

#include "sim/engine/cut_rules.h"
#include "sim/engine/flat_table.h"
#include "sim/topology/reachability.h"

using namespace faultline;

namespace {

// The reference: the cuts link by link, as faults used to set them.
struct CutMatrixReference {
  explicit CutMatrixReference(std::uint32_t n) : matrix(n) {}
  void cut(NodeId a, NodeId b) {
    if (a != b) matrix.set_cut(a, b, true);
  }
  void partition(const std::vector<std::vector<NodeId>>& groups) {
    for (std::size_t g = 0; g < groups.size(); ++g)
      for (std::size_t h = 0; h < groups.size(); ++h)
        if (g != h)
          for (NodeId a : groups[g])
            for (NodeId b : groups[h]) cut(a, b);
  }
  topology::CutMatrix matrix;
};

std::vector<NodeId> some_nodes(std::uint32_t n) {
  std::vector<NodeId> nodes;
  for (std::uint32_t i = 0; i < n; ++i)
    if (*rc::gen::inRange(0, 3) == 0) nodes.push_back(NodeId{i});
  return nodes;
}

topology::Reachability from_classes(const CutRules& rules) {
  CutRules::Classes classes = rules.classes();
  const std::vector<NodeId> first = classes.first_member;
  return topology::Reachability(
      std::move(classes.class_of), static_cast<std::uint32_t>(first.size()),
      [&](std::uint32_t a, std::uint32_t b) { return rules.is_cut(first[a], first[b]); });
}

}  // namespace

TEST_CASE("FlatTable agrees with std::map under random updates") {
  rc::prop("every key reads what was last stored under it", [] {
    FlatTable<std::uint32_t> table;
    std::map<std::uint64_t, std::uint32_t> reference;
    const auto steps = *rc::gen::inRange(0, 400);
    for (int step = 0; step < steps; ++step) {
      const auto key = static_cast<std::uint64_t>(*rc::gen::inRange(0, 64)) << 32 |
                       static_cast<std::uint64_t>(*rc::gen::inRange(0, 8));
      const auto value = static_cast<std::uint32_t>(*rc::gen::inRange(0, 4));
      table.at(key) = value;
      reference[key] = value;
      RC_ASSERT(table.size() == reference.size());
    }
    for (std::uint64_t from = 0; from < 64; ++from)
      for (std::uint64_t to = 0; to < 8; ++to) {
        const auto it = reference.find(from << 32 | to);
        const std::uint32_t* found = table.find(from << 32 | to);
        RC_ASSERT((found == nullptr) == (it == reference.end()));
        if (found != nullptr) RC_ASSERT(*found == it->second);
      }
  });
}

TEST_CASE("FlatTable drops idle entries only when it would outgrow them, keeping the rest") {
  struct Zero {
    bool operator()(std::uint32_t value) const { return value == 0; }
  };
  FlatTable<std::uint32_t, Zero> table;
  const std::uint64_t keys = FlatTable<std::uint32_t, Zero>::reclaim_floor;
  for (std::uint64_t key = 0; key < keys; ++key) table.at(key) = key % 100 == 0 ? 1 : 0;
  // Past the floor the idle entries went at the growth; every entry in use is still there.
  CHECK(table.capacity() <= 2 * FlatTable<std::uint32_t, Zero>::reclaim_floor);
  for (std::uint64_t key = 0; key < keys; key += 100) CHECK(table.find(key) != nullptr);
  CHECK(table.size() < keys);
}

TEST_CASE("CutRules cut exactly the links that link-by-link cuts do, with the same components") {
  rc::prop("same cuts, same strong and weak components", [] {
    const auto n = static_cast<std::uint32_t>(*rc::gen::inRange(1, 12));
    CutRules rules(n);
    CutMatrixReference reference(n);
    const auto faults = *rc::gen::inRange(0, 5);
    for (int f = 0; f < faults; ++f) {
      switch (*rc::gen::inRange(0, 4)) {
        case 0: {
          std::vector<std::vector<NodeId>> groups(*rc::gen::inRange(1, 4));
          for (auto& group : groups) group = some_nodes(n);  // may overlap or leave nodes out
          rules.partition(groups);
          reference.partition(groups);
          break;
        }
        case 1: {
          const auto targets = some_nodes(n);
          rules.isolate(targets);
          for (NodeId t : targets)
            for (std::uint32_t j = 0; j < n; ++j) {
              reference.cut(t, NodeId{j});
              reference.cut(NodeId{j}, t);
            }
          break;
        }
        case 2: {
          const auto from = some_nodes(n), to = some_nodes(n);
          rules.one_way(from, to);
          for (NodeId a : from)
            for (NodeId b : to) reference.cut(a, b);
          break;
        }
        default: {
          std::vector<std::vector<NodeId>> halves(2);  // a total partition, as the nemesis draws
          for (std::uint32_t i = 0; i < n; ++i)
            halves[*rc::gen::inRange(0, 2)].push_back(NodeId{i});
          rules.partition(halves);
          reference.partition(halves);
        }
      }
    }
    for (std::uint32_t a = 0; a < n; ++a)
      for (std::uint32_t b = 0; b < n; ++b)
        RC_ASSERT(rules.is_cut(NodeId{a}, NodeId{b}) ==
                  reference.matrix.is_cut(NodeId{a}, NodeId{b}));
    const topology::Reachability expected(reference.matrix);
    const topology::Reachability actual = from_classes(rules);
    RC_ASSERT(actual.components() == expected.components());
    RC_ASSERT(actual.weak_components() == expected.weak_components());
    for (std::uint32_t a = 0; a < n; ++a)
      RC_ASSERT(actual.reachable_from(NodeId{a}) == expected.reachable_from(NodeId{a}));
  });
}

TEST_CASE("a partition of many nodes is a handful of classes, and merged partitions one rule") {
  constexpr std::uint32_t n = 100000;
  CutRules rules(n);
  std::vector<std::vector<NodeId>> halves(2);
  for (std::uint32_t i = 0; i < n; ++i) halves[i % 2].push_back(NodeId{i});
  rules.partition(halves);
  rules.isolate({NodeId{7}});
  const auto classes = rules.classes();
  CHECK(classes.first_member == std::vector<NodeId>{NodeId{0}, NodeId{1}, NodeId{7}});
  const auto reach = from_classes(rules);
  CHECK(reach.components().size() == 3);
  CHECK(rules.is_cut(NodeId{0}, NodeId{1}));
  CHECK_FALSE(rules.is_cut(NodeId{0}, NodeId{2}));
  CHECK(rules.is_cut(NodeId{9}, NodeId{7}));
  rules.clear();
  CHECK(rules.empty());
  CHECK(from_classes(rules).is_connected());
}
