// Internals shared by the swarm profile's files (swarm_parse.cc, swarm_template.cc,
// swarm_draw.cc); not for use outside sim/scenario.
//
// A range `{ range: [low, high] }` is read into integers in its unit (nanoseconds, steps of
// 1/10000, or whole numbers) with a step (a duration range draws whole milliseconds when both
// bounds are whole milliseconds). Invariant: low <= high, both multiples of step.
#pragma once

#include <cstdint>
#include <string>

#include "sim/core/config_tree.h"
#include "sim/core/result.h"

namespace faultline::scenario {

struct RangeBounds {
  enum class Type { integer, duration, ratio };
  Type type = Type::integer;
  std::int64_t low = 0;
  std::int64_t high = 0;
  std::int64_t step = 1;
  bool percent = false;  // a ratio written with '%' is written back with '%'
};

// `expr` is a map whose one key is `range`.
Result<RangeBounds> read_range(const ConfigTree& expr);
// The value as the scenario file writes it: "150ms", "1.25%", "3".
std::string range_value_text(const RangeBounds& range, std::int64_t value);
// Every draw expression in the tree is well formed (one key; a non-empty list of choices; a
// range of two bounds of one type, low <= high).
Result<void> check_template(const ConfigTree& node);

}  // namespace faultline::scenario
