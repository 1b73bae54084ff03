#include <algorithm>
#include <string>
#include <tuple>
#include <utility>

#include "protocols/quorum_kv/types.h"
#include "sim/core/assert.h"

namespace faultline::quorum_kv {

namespace {

std::string below_floor(Duration d) {
  return "must be at least " + format_duration(timer_floor) + ", got " + format_duration(d);
}

// Whole ticks of `interval` covering `d`, at least 1.
std::uint32_t ticks_covering(Duration d, Duration interval) {
  FL_ASSERT(interval.nanoseconds > 0, "a tick has a length");
  const std::int64_t ticks = (d.nanoseconds + interval.nanoseconds - 1) / interval.nanoseconds;
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(ticks, 1, 1'000'000));
}

// Version vectors need a replica to coordinate each write (its entry is the one incremented)
// and no hints (hinted handoff carries single values).
Result<void> check_version_vectors(const Config& c) {
  if (c.conflicts != Conflicts::version_vectors) return {};
  if (c.mode != Mode::leaderless)
    return fail("conflicts", 0, "version_vectors needs mode: leaderless");
  if (c.write_coordinator != WriteCoordinator::preference)
    return fail("conflicts", 0,
                "version_vectors needs write_coordinator: preference (a replica coordinates)");
  if (c.sloppy_quorum)
    return fail("conflicts", 0,
                "version_vectors needs sloppy_quorum: false (hints carry one value)");
  if (c.read_repair != ReadRepair::none)
    return fail("conflicts", 0,
                "version_vectors needs read_repair: none (repairs carry one value)");
  return {};
}

Result<void> check_quorums(const Config& c) {
  const std::string n = std::to_string(c.copies());
  if (c.write_quorum < 1 || c.write_quorum > c.copies())
    return fail("write_quorum", 0,
                "must be 1 to " + n + " (N: the replicas a key lives on), got " +
                    std::to_string(c.write_quorum));
  if (c.read_quorum < 1 || c.read_quorum > c.copies())
    return fail("read_quorum", 0,
                "must be 1 to " + n + " (N: the replicas a key lives on), got " +
                    std::to_string(c.read_quorum));
  return {};
}

}  // namespace

std::optional<Identity> Config::boot_identity(NodeId node) const {
  if (node.value < first_replica_node.value) return std::nullopt;
  const std::uint32_t place = node.value - first_replica_node.value;
  if (place >= replicas()) return std::nullopt;
  return Identity{place};
}

std::uint32_t Config::timeout_ticks() const {
  return ticks_covering(heartbeat_timeout, heartbeat_interval);
}

std::uint32_t Config::spawn_ticks() const {
  return ticks_covering(auto_spawn_delay, heartbeat_interval);
}

Result<void> Config::validate(std::uint32_t node_count) const {
  if (followers > followers_max)
    return fail("followers", 0, "must be at most " + std::to_string(followers_max));
  if (node_count < layout_nodes())
    return fail("followers", 0,
                std::to_string(followers) + " followers need " + std::to_string(layout_nodes()) +
                    " nodes (gateway, registry, coordinator, leader, followers) but the cluster "
                    "has " +
                    std::to_string(node_count));
  if (node_count - layout_nodes() > spares_max)
    return fail("followers", 0,
                "leaves " + std::to_string(node_count - layout_nodes()) +
                    " spares (the nodes after the followers); at most " +
                    std::to_string(spares_max));
  if (mode == Mode::leaderless && (replication < 1 || replication > replicas()))
    return fail("replication", 0,
                "must be 1 to " + std::to_string(replicas()) + " (the replicas), got " +
                    std::to_string(replication));
  if (auto quorums = check_quorums(*this); !quorums) return quorums;
  if (rate_limit_max < 1) return fail("rate_limit_max", 0, "must be at least 1");
  const std::pair<const char*, Duration> timers[] = {
      {"rate_limit_window", rate_limit_window}, {"heartbeat_interval", heartbeat_interval},
      {"heartbeat_timeout", heartbeat_timeout}, {"write_timeout", write_timeout},
      {"read_timeout", read_timeout},           {"replication_retry", replication_retry}};
  for (const auto& [key, value] : timers)
    if (value < timer_floor) return fail(key, 0, below_floor(value));
  if (auto_spawn_delay < Duration{}) return fail("auto_spawn_delay", 0, "must not be negative");
  if (heartbeat_timeout < heartbeat_interval)
    return fail("heartbeat_timeout", 0, "must be at least heartbeat_interval");
  if (mode == Mode::leaderless && auto_spawn)
    return fail("auto_spawn", 0, "is the leader mode's (a leaderless replica is not replaced)");
  if (auto vectors = check_version_vectors(*this); !vectors) return vectors;
  if (anti_entropy_interval < timer_floor)
    return fail("anti_entropy_interval", 0, below_floor(anti_entropy_interval));
  if (failures_tolerated >= replicas())
    return fail("failures_tolerated", 0,
                "must be below the replica count " + std::to_string(replicas()));
  return {};
}

namespace {

std::uint64_t key_hash(std::string_view key) {
  std::uint64_t hash = 14695981039346656037ull;
  for (const char c : key) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace

std::vector<Identity> preference_list(const Config& config, std::string_view key) {
  const std::uint32_t ring = config.replicas();
  const auto start = static_cast<std::uint32_t>(key_hash(key) % ring);
  std::vector<Identity> list;
  for (std::uint32_t i = 0; i < std::min(config.replication, ring); ++i)
    list.push_back(Identity{(start + i) % ring});
  return list;
}

// ---- Store ----------------------------------------------------------------------------------

namespace {

auto item_at(const std::vector<Item>& items, std::string_view key) {
  return std::lower_bound(items.begin(), items.end(), key,
                          [](const Item& item, std::string_view k) { return item.key < k; });
}

}  // namespace

const Item* Store::find(std::string_view key) const {
  const auto it = item_at(items, key);
  return it != items.end() && it->key == key ? &*it : nullptr;
}

Version Store::version_of(std::string_view key) const {
  const Item* item = find(key);
  return item ? item->version : Version{};
}

bool Store::holds(std::string_view key, Version version) const {
  if (version_of(key) >= version) return true;
  return std::any_of(hints.begin(), hints.end(),
                     [&](const Hint& h) { return h.item.key == key && h.item.version >= version; });
}

bool descends(const VersionVector& a, const VersionVector& b) {
  FL_ASSERT(a.size() == b.size(), "clocks of one cluster have one entry per replica");
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] < b[i]) return false;
  return true;
}

std::vector<Sibling> Store::siblings_of(std::string_view key) const {
  std::vector<Sibling> found;
  for (const Sibling& s : siblings)
    if (s.item.key == key) found.push_back(s);
  return found;
}

bool Store::merge_sibling(const Sibling& sibling) {
  FL_ASSERT(sibling.item.version > Version{}, "only written values are stored");
  for (const Sibling& held : siblings)
    if (held.item.key == sibling.item.key && descends(held.clock, sibling.clock)) return false;
  std::erase_if(siblings, [&](const Sibling& held) {
    return held.item.key == sibling.item.key && descends(sibling.clock, held.clock);
  });
  const auto at = std::upper_bound(
      siblings.begin(), siblings.end(), sibling, [](const Sibling& a, const Sibling& b) {
        return std::tie(a.item.key, a.item.version) < std::tie(b.item.key, b.item.version);
      });
  siblings.insert(at, sibling);
  return true;
}

bool Store::holds_clock(std::string_view key, const VersionVector& clock) const {
  return std::any_of(siblings.begin(), siblings.end(), [&](const Sibling& s) {
    return s.item.key == key && descends(s.clock, clock);
  });
}

bool Store::merge(const Item& item, bool overwrite) {
  FL_ASSERT(item.version > Version{}, "only written values are stored");
  const auto at = item_at(items, item.key);
  const auto index = static_cast<std::size_t>(at - items.begin());
  if (index == items.size() || items[index].key != item.key) {
    items.insert(items.begin() + static_cast<std::ptrdiff_t>(index), item);
    return true;
  }
  if (items[index] == item) return false;
  const Item& held = items[index];
  const bool newer =
      item.version > held.version || (item.version == held.version && item.value > held.value);
  if (!overwrite && !newer) return false;
  items[index] = item;
  FL_ASSERT(items[index].key == item.key, "a merge keeps the key order");
  return true;
}

}  // namespace faultline::quorum_kv
