// Reachability and partition components on hand-made cuts, plus a property comparing
// Reachability::reachable with a plain BFS over random cut matrices.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <deque>

#include "sim/topology/reachability.h"

namespace {

using faultline::NodeId;
using namespace faultline::topology;

std::vector<NodeId> ids(std::initializer_list<std::uint32_t> values) {
  std::vector<NodeId> out;
  for (std::uint32_t v : values) out.push_back(NodeId{v});
  return out;
}

// The reference: textbook BFS over the live links of the matrix.
std::vector<bool> bfs_reference(const CutMatrix& cuts, std::uint32_t from) {
  const std::uint32_t n = cuts.node_count();
  std::vector<bool> seen(n, false);
  std::deque<std::uint32_t> queue{from};
  seen[from] = true;
  while (!queue.empty()) {
    const std::uint32_t at = queue.front();
    queue.pop_front();
    for (std::uint32_t to = 0; to < n; ++to) {
      if (to == at || seen[to] || cuts.is_cut(NodeId{at}, NodeId{to})) continue;
      seen[to] = true;
      queue.push_back(to);
    }
  }
  return seen;
}

CutMatrix random_cuts() {
  const auto n = *rc::gen::inRange<std::uint32_t>(0, 9);
  const auto cut_percent = *rc::gen::inRange(0, 101);  // sweeps sparse to dense cuts
  CutMatrix cuts(n);
  for (std::uint32_t a = 0; a < n; ++a)
    for (std::uint32_t b = 0; b < n; ++b)
      if (a != b) cuts.set_cut(NodeId{a}, NodeId{b}, *rc::gen::inRange(0, 100) < cut_percent);
  return cuts;
}

}  // namespace

TEST_CASE("topology: no cuts: one component, everyone reaches everyone", "[topology]") {
  const Reachability r{CutMatrix(4)};
  CHECK(r.is_connected());
  CHECK(r.components() == std::vector<Component>{ids({0, 1, 2, 3})});
  CHECK(r.weak_components() == r.components());
  for (std::uint32_t a = 0; a < 4; ++a)
    for (std::uint32_t b = 0; b < 4; ++b) CHECK(r.reachable(NodeId{a}, NodeId{b}));
}

TEST_CASE("topology: symmetric partition splits into sorted components", "[topology]") {
  CutMatrix cuts(5);
  cuts.cut_between(ids({3, 0}), ids({1, 2, 4}));
  const Reachability r{cuts};
  CHECK_FALSE(r.is_connected());
  CHECK(r.components() == std::vector<Component>{ids({0, 3}), ids({1, 2, 4})});
  CHECK(r.weak_components() == r.components());
  CHECK(r.reachable(NodeId{0}, NodeId{3}));
  CHECK(r.reachable(NodeId{4}, NodeId{1}));
  CHECK_FALSE(r.reachable(NodeId{0}, NodeId{1}));
  CHECK_FALSE(r.reachable(NodeId{2}, NodeId{3}));
}

TEST_CASE("topology: isolating one node leaves the rest connected", "[topology]") {
  CutMatrix cuts(4);
  cuts.cut_between(ids({2}), ids({0, 1, 3}));
  const Reachability r{cuts};
  CHECK(r.components() == std::vector<Component>{ids({0, 1, 3}), ids({2})});
  CHECK(r.reachable(NodeId{2}, NodeId{2}));
  CHECK_FALSE(r.reachable(NodeId{2}, NodeId{0}));
}

TEST_CASE("topology: multi-hop: a cut direct link is bypassed through a relay", "[topology]") {
  CutMatrix cuts(3);
  cuts.set_cut(NodeId{0}, NodeId{2}, true);
  cuts.set_cut(NodeId{2}, NodeId{0}, true);
  const Reachability r{cuts};
  CHECK(r.reachable(NodeId{0}, NodeId{2}));  // 0 -> 1 -> 2
  CHECK(r.is_connected());
}

TEST_CASE("topology: one-way cut: strong and weak components differ", "[topology]") {
  // Only links 0 -> 1 and 1 -> 2 are up.
  const Reachability r(3, [](NodeId from, NodeId to) { return to.value != from.value + 1; });
  CHECK(r.reachable(NodeId{0}, NodeId{2}));
  CHECK_FALSE(r.reachable(NodeId{2}, NodeId{0}));
  CHECK_FALSE(r.reachable(NodeId{1}, NodeId{0}));
  CHECK_FALSE(r.is_connected());
  CHECK(r.components() == std::vector<Component>{ids({0}), ids({1}), ids({2})});
  CHECK(r.weak_components() == std::vector<Component>{ids({0, 1, 2})});
  CHECK(r.reachable_from(NodeId{1}) == std::vector<bool>{false, true, true});
}

TEST_CASE("topology: edge sizes: zero and one node", "[topology]") {
  CHECK(Reachability{CutMatrix(0)}.is_connected());
  CHECK(Reachability{CutMatrix(0)}.components().empty());
  const Reachability one{CutMatrix(1)};
  CHECK(one.is_connected());
  CHECK(one.components() == std::vector<Component>{ids({0})});
  CHECK(one.reachable(NodeId{0}, NodeId{0}));
}

TEST_CASE("topology: reachable agrees with a reference BFS", "[topology][property]") {
  rc::prop("over random cut matrices", [] {
    const CutMatrix cuts = random_cuts();
    const Reachability r{cuts};
    const std::uint32_t n = cuts.node_count();
    std::vector<std::vector<bool>> reach;
    for (std::uint32_t a = 0; a < n; ++a) {
      reach.push_back(bfs_reference(cuts, a));
      RC_ASSERT(r.reachable_from(NodeId{a}) == reach.back());
      for (std::uint32_t b = 0; b < n; ++b)
        RC_ASSERT(r.reachable(NodeId{a}, NodeId{b}) == reach[a][b]);
    }
    // Components: a partition of all nodes, sorted, and mutual reachability defines them.
    std::vector<bool> covered(n, false);
    for (const Component& c : r.components()) {
      RC_ASSERT(std::is_sorted(c.begin(), c.end()));
      for (NodeId x : c) {
        RC_ASSERT(!covered[x.value]);
        covered[x.value] = true;
        for (std::uint32_t y = 0; y < n; ++y) {
          const bool mutual = reach[x.value][y] && reach[y][x.value];
          RC_ASSERT(mutual == std::binary_search(c.begin(), c.end(), NodeId{y}));
        }
      }
    }
    RC_ASSERT(std::all_of(covered.begin(), covered.end(), [](bool b) { return b; }));
    RC_ASSERT(r.is_connected() == (r.components().size() <= 1));
    RC_ASSERT(r.weak_components().size() <= r.components().size());
  });
}
