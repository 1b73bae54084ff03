#include "checkers/overlay/ground_truth.h"

#include <algorithm>

namespace faultline::overlay {

namespace {

bool slice_missing(const std::vector<Missing>& missing, NodeId node) {
  return std::ranges::find(missing, Missing{node, false}) != missing.end();
}

bool subtree_missing(const std::vector<Missing>& missing, NodeId node) {
  return std::ranges::find(missing, Missing{node, true}) != missing.end();
}

void walk(const Tree& tree, NodeId node, const Filter& filter, std::uint32_t limit,
          const std::vector<Missing>& missing, std::vector<SliceRows>& out) {
  for (const Allocation& part : tree.allocate(node, filter, limit)) {
    if (part.part == node) {
      if (slice_missing(missing, node)) continue;
      std::vector<Row> rows = tree.scan(node, filter, part.limit);
      if (!rows.empty()) out.push_back(SliceRows{node, std::move(rows)});
    } else if (!subtree_missing(missing, part.part)) {
      walk(tree, part.part, filter, part.limit, missing, out);
    }
  }
}

}  // namespace

std::vector<SliceRows> expected_slices(const Tree& tree, const Filter& filter, std::uint32_t limit,
                                       const std::vector<Missing>& missing) {
  std::vector<SliceRows> out;
  if (!subtree_missing(missing, NodeId{0})) walk(tree, NodeId{0}, filter, limit, missing, out);
  std::ranges::sort(out, {}, &SliceRows::slice);
  return out;
}

}  // namespace faultline::overlay
