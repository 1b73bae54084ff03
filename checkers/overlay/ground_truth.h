// The ground truth of an overlay query: what a correct tree answers, computed from the config
// alone (tree.h), and the facts of a run the checks compare answers with.
//
// expected_slices() walks the limit's allocation from the leader exactly as the nodes split it,
// scanning every slice that was asked for rows; the data an answer declares missing is left
// out (a missing slice, or a whole missing subtree), so a partial answer is compared with the
// ground truth over exactly the data it claims. Only parts allocated rows are visited: a limit
// of 50 on a million nodes visits at most a few hundred.
//
// Invariants: slices ascending by node id, rows ascending by key, no slice twice; the result
// depends on (config, filter, limit, missing) only.
#pragma once

#include <cstdint>
#include <vector>

#include "protocols/overlay/tree.h"
#include "protocols/overlay/types.h"

namespace faultline::overlay {

std::vector<SliceRows> expected_slices(const Tree& tree, const Filter& filter, std::uint32_t limit,
                                       const std::vector<Missing>& missing);

}  // namespace faultline::overlay
