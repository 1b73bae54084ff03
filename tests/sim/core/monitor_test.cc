// The generic monitors (sim/core/monitor.h) on a toy cluster whose nodes are small numbers:
// driven as the simulator drives them (a few nodes change per event, the run stops at the first
// violation), a monitor never says "unchanged" when a whole-view evaluation says the verdict
// changed, and the pairwise one asks for a recheck only when some pair really fails.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <vector>

#include "sim/core/monitor.h"

using namespace faultline;

namespace {

struct Toy {
  using Node = std::uint32_t;
  using Durable = std::uint32_t;
};
using View = ClusterView<Toy>;

// A pair fails when its values sum to 10; down nodes take part in nothing.
bool pair_fails(const View& view, std::size_t a, std::size_t b) {
  return *view.nodes[a] + *view.nodes[b] == 10;
}
bool any_pair_fails(const View& view) {
  for (std::size_t a = 0; a < view.nodes.size(); ++a)
    for (std::size_t b = a + 1; b < view.nodes.size(); ++b)
      if (view.nodes[a] && view.nodes[b] && pair_fails(view, a, b)) return true;
  return false;
}
std::optional<std::uint32_t> value_key(const View& view, std::size_t n) { return view.nodes[n]; }

// Keyed: "some node holds a multiple of 4", which reads a node only through value % 4 == 0.
bool some_multiple_of_four(const View& view) {
  for (const auto& node : view.nodes)
    if (node && *node % 4 == 0) return true;
  return false;
}
std::optional<bool> four_key(const View& view, std::size_t n) {
  if (!view.nodes[n]) return std::nullopt;
  return *view.nodes[n] % 4 == 0;
}

}  // namespace

TEST_CASE("monitors never miss a changed verdict") {
  rc::prop("pairwise and keyed, against whole-view evaluation", [] {
    const auto count = *rc::gen::inRange<std::uint32_t>(2, 12);
    std::vector<std::optional<std::uint32_t>> nodes(count);
    for (auto& node : nodes) node = *rc::gen::inRange<std::uint32_t>(0, 5);  // no failing pair
    const std::vector<std::optional<std::uint32_t>> disks(count);
    const auto view = [&] { return View{nodes, disks, Time{}}; };
    auto pairwise = pairwise_monitor<Toy, std::uint32_t>(value_key, pair_fails)();
    auto keyed = keyed_monitor_of<Toy, bool>(four_key)();
    std::vector<NodeId> all;
    for (std::uint32_t i = 0; i < count; ++i) all.push_back(NodeId{i});
    pairwise->update(view(), all);
    keyed->update(view(), all);
    bool four = some_multiple_of_four(view());
    RC_PRE(!any_pair_fails(view()));
    const auto events = *rc::gen::inRange(1, 60);
    for (int e = 0; e < events; ++e) {
      std::vector<NodeId> changed;  // one to three nodes get a value, or go down (11)
      for (int k = *rc::gen::inRange(1, 4); k > 0; --k) {
        const auto node = *rc::gen::inRange<std::uint32_t>(0, count);
        const auto value = *rc::gen::inRange<std::uint32_t>(0, 12);
        nodes[node] = value == 11 ? std::nullopt : std::optional<std::uint32_t>(value);
        changed.push_back(NodeId{node});
      }
      const bool fails = any_pair_fails(view());
      const bool recheck = pairwise->update(view(), changed);
      RC_ASSERT(recheck == fails);  // a yes only for a failing pair, never a no for one
      const bool four_now = some_multiple_of_four(view());
      if (!keyed->update(view(), changed)) RC_ASSERT(four_now == four);
      four = four_now;
      if (fails) break;  // the run stops at its first violation
    }
  });
}
