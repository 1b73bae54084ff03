#include <algorithm>
#include <functional>

#include "protocols/two_phase_commit/types.h"
#include "sim/core/assert.h"

namespace faultline::two_phase_commit {

namespace {
// The stage weight in basis points, if the ratio is exactly a whole number of them.
std::optional<std::uint32_t> exact_basis_points(const Ratio& r) {
  if (r.denominator == 0 || r.numerator > r.denominator) return std::nullopt;
  const uint128 scaled = static_cast<uint128>(r.numerator) * basis_points_total;
  if (scaled % r.denominator != 0) return std::nullopt;
  FL_ASSERT(scaled / r.denominator <= basis_points_total, "a weight of at most 100%");
  return static_cast<std::uint32_t>(scaled / r.denominator);
}
}  // namespace

Result<void> Config::validate(std::uint32_t node_count) const {
  if (node_count < 1) return fail("a cluster needs at least one node (the coordinator)");
  std::uint32_t previous = 0;
  for (std::size_t i = 0; i < stages.size(); ++i) {
    const std::string where = "stages[" + std::to_string(i) + "]";
    const auto bps = exact_basis_points(stages[i]);
    if (!bps)
      return fail(where, 0,
                  "stage weight " + format_ratio(stages[i]) +
                      " is not a whole number of basis points (0.01%)");
    if (*bps == 0 || *bps <= previous)
      return fail(where, 0, "stage weights must be above 0 and strictly increasing");
    previous = *bps;
  }
  const std::pair<const char*, Duration> durations[] = {{"stage_interval", stage_interval},
                                                        {"prepare_timeout", prepare_timeout},
                                                        {"decision_retry", decision_retry},
                                                        {"heartbeat_interval", heartbeat_interval},
                                                        {"query_interval", query_interval}};
  for (const auto& [name, d] : durations)
    if (d < timer_floor)
      return fail(name, 0,
                  "must be at least " + format_duration(timer_floor) +
                      " (the floor of two_phase_commit timers), got " + format_duration(d));
  if (error_rate_max.denominator == 0) return fail("error_rate_max", 0, "has a zero denominator");
  return {};
}

std::vector<std::uint32_t> stage_weights_bps(const Config& config) {
  std::vector<std::uint32_t> weights;
  weights.reserve(config.stages.size() + 1);
  for (const Ratio& r : config.stages) {
    const auto bps = exact_basis_points(r);
    FL_ASSERT(bps.has_value(), "stages are validated to be exact basis points");
    weights.push_back(*bps);
  }
  if (config.promote_to_full && (weights.empty() || weights.back() < basis_points_total))
    weights.push_back(basis_points_total);
  FL_ASSERT(
      std::adjacent_find(weights.begin(), weights.end(), std::greater_equal<>()) == weights.end(),
      "stage weights strictly increase (validated)");
  FL_ASSERT(weights.empty() || weights.back() <= basis_points_total, "no stage above 100%");
  return weights;
}

RoutingState initial_state(const Config& config) {
  return RoutingState{1, config.stable_model_id, config.canary_model_id, 0, RoutingStatus::initial};
}

}  // namespace faultline::two_phase_commit
