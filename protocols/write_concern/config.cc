#include <string>

#include "protocols/write_concern/types.h"
#include "sim/core/assert.h"

namespace faultline::write_concern {

namespace {

std::string below_floor(Duration d) {
  return "must be at least " + format_duration(timer_floor) + ", got " + format_duration(d);
}

}  // namespace

std::uint32_t Config::quorum_nodes(std::uint32_t node_count) const {
  FL_ASSERT(node_count >= 1, "a cluster has a primary");
  switch (quorum_level) {
    case QuorumLevel::one: return 1;
    case QuorumLevel::majority: return node_count / 2 + 1;
    case QuorumLevel::all: return node_count;
  }
  FL_UNREACHABLE("a quorum level");
}

Result<void> Config::validate(std::uint32_t node_count) const {
  if (node_count > nodes_max)
    return fail(
        "", 0,
        "at most " + std::to_string(nodes_max) + " nodes, got " + std::to_string(node_count));
  const std::pair<const char*, Duration> timers[] = {{"replication_timeout", replication_timeout},
                                                     {"heartbeat_interval", heartbeat_interval},
                                                     {"healthy_retry_delay", healthy_retry_delay},
                                                     {"backoff_base", backoff_base},
                                                     {"read_only_timeout", read_only_timeout}};
  for (const auto& [key, value] : timers)
    if (value < timer_floor) return fail(key, 0, below_floor(value));
  if (backoff_max < backoff_base) return fail("backoff_max", 0, "is below backoff_base");
  if (suspect_after_misses < 1) return fail("suspect_after_misses", 0, "must be at least 1");
  if (unhealthy_after_misses <= suspect_after_misses)
    return fail("unhealthy_after_misses", 0, "must be above suspect_after_misses");
  const bool failover_bug = bug == Bug::promote_any_secondary || bug == Bug::no_epoch_fencing;
  if (failover_bug && !failover)
    return fail("bug", 0, std::string(to_string(bug)) + " needs failover: true");
  return {};
}

}  // namespace faultline::write_concern
