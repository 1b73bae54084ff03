// The overlay's tree by hand: the seed's six nodes and their date ranges, generated trees and
// their preorder slices, limit splits, and the ground truth with parts declared missing.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "checkers/overlay/ground_truth.h"
#include "protocols/overlay/node.h"
#include "protocols/overlay/tree.h"

using namespace faultline;
using namespace faultline::overlay;

namespace {

constexpr NodeId A{0}, B{1}, C{2}, D{3}, E{4}, F{5};

Config generated(std::uint32_t fanout, std::uint32_t depth) {
  Config config;
  config.shape = Shape::generated;
  config.fanout = fanout;
  config.depth = depth;
  return config;
}

}  // namespace

TEST_CASE("overlay: the seed's tree, teams, roles and date ranges") {
  const Tree tree{Config{}};
  CHECK(tree.node_count() == 6);
  CHECK(tree.children(A) == std::vector<NodeId>{B, E});
  CHECK(tree.children(E) == std::vector<NodeId>{D, F});
  CHECK(tree.parent(D) == E);
  CHECK(tree.team(A) == 0);
  CHECK(tree.team(D) == 1);
  CHECK(tree.role(B) == Role::team_leader);
  CHECK(tree.role(C) == Role::worker);
  // Green: 11 days of hours split 1:2:3 over A, B, C; Pink: 35 days split 2:3:3 over E, D, F.
  CHECK(tree.slice(A) == KeyRange{0, 44});
  CHECK(tree.slice(B) == KeyRange{44, 88});
  CHECK(tree.slice(C) == KeyRange{132, 132});
  CHECK(tree.slice(E) == KeyRange{264, 210});
  CHECK(tree.slice(D) == KeyRange{474, 315});
  CHECK(tree.slice(F) == KeyRange{789, 315});
  CHECK(tree.subtree(E) == KeyRange{264, 840});
  CHECK(tree.total_records() == 1104);
}

TEST_CASE("overlay: a generated tree's slices tile its data in preorder") {
  rc::prop("subtrees are contiguous and slices disjoint", [] {
    const auto fanout = static_cast<std::uint32_t>(*rc::gen::inRange(1, 5));
    const auto depth = static_cast<std::uint32_t>(*rc::gen::inRange(1, 4));
    const Tree tree{generated(fanout, depth)};
    std::vector<KeyRange> slices;
    for (std::uint32_t n = 0; n < tree.node_count(); ++n) slices.push_back(tree.slice(NodeId{n}));
    std::ranges::sort(slices, {}, &KeyRange::first);
    std::uint64_t next = 0;
    for (const KeyRange& slice : slices) {
      RC_ASSERT(slice.first == next);
      next = slice.end();
    }
    RC_ASSERT(next == tree.total_records());
    for (std::uint32_t n = 0; n < tree.node_count(); ++n) {
      const KeyRange subtree = tree.subtree(NodeId{n});
      std::uint64_t inside = tree.slice(NodeId{n}).count;
      for (NodeId child : tree.children(NodeId{n})) {
        RC_ASSERT(tree.subtree(child).first >= subtree.first);
        RC_ASSERT(tree.subtree(child).end() <= subtree.end());
        inside += tree.subtree(child).count;
      }
      RC_ASSERT(inside == subtree.count);
    }
  });
}

TEST_CASE("overlay: a limit is split by records in range and never over-given") {
  const Tree tree{Config{}};
  const Filter all;
  const auto parts = tree.allocate(A, all, 50);
  std::uint32_t given = 0;
  for (const Allocation& part : parts) given += part.limit;
  CHECK(given == 50);
  // A holds 44 of 1104 records, B's subtree 220, E's 840: floor shares 1, 9, 38, then the two
  // rows left go one each to A and B, in order.
  CHECK(parts == std::vector<Allocation>{{A, 2}, {B, 10}, {E, 38}});
  Filter green_only;
  green_only.key_to = 264;
  CHECK(tree.allocate(A, green_only, 50) == std::vector<Allocation>{{A, 9}, {B, 41}});
}

TEST_CASE("overlay: the ground truth leaves out exactly the data declared missing") {
  const Tree tree{Config{}};
  const Filter all;
  const auto full = expected_slices(tree, all, 50, {});
  CHECK(row_count(full) == 50);
  const auto without_e = expected_slices(tree, all, 50, {Missing{E, false}});
  const auto without_pink = expected_slices(tree, all, 50, {Missing{E, true}});
  CHECK(row_count(without_pink) < row_count(without_e));
  CHECK(std::ranges::none_of(without_pink, [](const SliceRows& s) { return s.slice == D; }));
  CHECK(tree.missing_in_filter(all, {Missing{E, true}, Missing{D, false}}) == 840);
  // Chunks of 7 rows put back together are the result.
  std::vector<Row> joined;
  for (std::uint32_t i = 0; i * 7 < row_count(full); ++i)
    for (const SliceRows& slice : chunk_of(full, i, 7))
      joined.insert(joined.end(), slice.rows.begin(), slice.rows.end());
  std::vector<Row> all_rows;
  for (const SliceRows& slice : full)
    all_rows.insert(all_rows.end(), slice.rows.begin(), slice.rows.end());
  CHECK(joined == all_rows);
}
