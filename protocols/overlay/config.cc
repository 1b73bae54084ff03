#include <string>
#include <utility>

#include "protocols/overlay/tree.h"
#include "protocols/overlay/types.h"

namespace faultline::overlay {

namespace {

Result<void> check_tree(const Config& config, std::uint32_t node_count) {
  if (config.shape == Shape::generated) {
    if (config.fanout < 1 || config.fanout > fanout_max)
      return fail("fanout", 0, "must be 1 to " + std::to_string(fanout_max));
    if (config.depth < 1) return fail("depth", 0, "a generated tree has at least one level");
    if (config.records_per_weight < 1) return fail("records_per_weight", 0, "must be at least 1");
    if (config.records_per_weight > 1'000)
      return fail("records_per_weight", 0, "at most 1,000 (keys must fit in 32 bits)");
  }
  const std::uint64_t size = tree_size(config);
  if (size == 0)
    return fail("depth", 0,
                "the tree would have more than " + std::to_string(nodes_max) + " nodes");
  if (size != node_count)
    return fail("", 0,
                "the " + std::string(to_string(config.shape)) + " tree has " +
                    std::to_string(size) + " nodes but the cluster has " +
                    std::to_string(node_count) + " (set cluster.nodes to match)");
  return {};
}

Result<void> check_limits(const Config& config) {
  const auto ordered = [](const HealthLimits& a, const HealthLimits& b) {
    return a.active <= b.active && a.queued <= b.queued && a.latency <= b.latency;
  };
  if (!ordered(config.warning, config.critical))
    return fail("critical", 0, "every limit must be at least warning's");
  if (!ordered(config.critical, config.failing))
    return fail("failing", 0, "every limit must be at least critical's");
  return {};
}

}  // namespace

Result<void> Config::validate(std::uint32_t node_count) const {
  if (auto ok = check_tree(*this, node_count); !ok) return ok;
  const std::pair<const char*, Duration> timers[] = {{"check_interval", check_interval},
                                                     {"check_timeout", check_timeout},
                                                     {"part_timeout", part_timeout},
                                                     {"query_deadline", query_deadline}};
  for (const auto& [key, value] : timers)
    if (value < timer_floor)
      return fail(
          key, 0,
          "must be at least " + format_duration(timer_floor) + ", got " + format_duration(value));
  if (check_timeout >= check_interval)
    return fail("check_timeout", 0, "must be below check_interval");
  if (level_margin < Duration{}) return fail("level_margin", 0, "must not be negative");
  if (scan_time < Duration{}) return fail("scan_time", 0, "must not be negative");
  if (misses_to_fail < 1) return fail("misses_to_fail", 0, "must be at least 1");
  if (chunk_size < 1) return fail("chunk_size", 0, "must be at least 1");
  if (team_limit < 1) return fail("team_limit", 0, "must be at least 1");
  return check_limits(*this);
}

}  // namespace faultline::overlay
