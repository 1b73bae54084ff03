#include "protocols/overlay/tree.h"

#include <algorithm>

#include "sim/core/assert.h"
#include "sim/core/rng.h"

namespace faultline::overlay {

namespace {

// The seed's tree, by NodeId (A B C D E F).
constexpr std::uint32_t kNone = ~std::uint32_t{0};
constexpr std::uint32_t seed_parent[] = {kNone, 0, 1, 4, 0, 4};
constexpr std::uint32_t seed_team[] = {0, 0, 0, 1, 1, 1};
constexpr Role seed_role[] = {Role::leader, Role::team_leader, Role::worker,
                              Role::worker, Role::team_leader, Role::worker};
constexpr std::uint32_t seed_preorder[] = {0, 1, 2, 4, 3, 5};  // A B C E D F
constexpr std::uint32_t seed_size = 6;

std::uint32_t weight_of(Role role) {
  switch (role) {
    case Role::leader: return leader_weight;
    case Role::team_leader: return team_leader_weight;
    case Role::worker: return worker_weight;
  }
  FL_UNREACHABLE("unknown role");
}

Role generated_role(std::uint32_t level) {
  if (level == 0) return Role::leader;
  return level == 1 ? Role::team_leader : Role::worker;
}

std::uint32_t seed_team_hours(std::uint32_t team) {
  return (team == 0 ? green_days : pink_days) * hours_per_day;
}

}  // namespace

std::string_view role_name(Role role) {
  switch (role) {
    case Role::leader: return "leader";
    case Role::team_leader: return "team_leader";
    case Role::worker: return "worker";
  }
  return "";
}

std::uint64_t tree_size(const Config& config) {
  if (config.shape == Shape::seed) return seed_size;
  std::uint64_t total = 0;
  std::uint64_t level_count = 1;
  for (std::uint32_t level = 0; level <= config.depth; ++level) {
    total += level_count;
    if (total > nodes_max) return 0;
    level_count *= config.fanout;
  }
  return total;
}

Tree::Tree(const Config& config)
    : shape_(config.shape),
      fanout_(config.fanout),
      depth_(config.depth),
      records_per_weight_(config.records_per_weight),
      data_seed_(config.data_seed),
      node_count_(static_cast<std::uint32_t>(tree_size(config))) {
  FL_ASSERT(node_count_ > 0, "a valid config describes a tree");
}

std::uint32_t Tree::team_count() const {
  return shape_ == Shape::seed ? 2 : std::max<std::uint32_t>(1, std::min(fanout_, node_count_ - 1));
}

std::optional<NodeId> Tree::parent(NodeId node) const {
  FL_ASSERT(node.value < node_count_, "a node of the tree");
  if (node.value == 0) return std::nullopt;
  if (shape_ == Shape::seed) return NodeId{seed_parent[node.value]};
  return NodeId{(node.value - 1) / fanout_};
}

std::vector<NodeId> Tree::children(NodeId node) const {
  FL_ASSERT(node.value < node_count_, "a node of the tree");
  std::vector<NodeId> out;
  if (shape_ == Shape::seed) {
    for (std::uint32_t i : seed_preorder)
      if (seed_parent[i] == node.value) out.push_back(NodeId{i});
    std::ranges::sort(out);
    return out;
  }
  const std::uint64_t first = std::uint64_t{fanout_} * node.value + 1;
  for (std::uint64_t c = first; c < first + fanout_ && c < node_count_; ++c)
    out.push_back(NodeId{static_cast<std::uint32_t>(c)});
  return out;
}

std::uint32_t Tree::level(NodeId node) const {
  std::uint32_t level = 0;
  for (std::optional<NodeId> at = parent(node); at; at = parent(*at)) ++level;
  return level;
}

Role Tree::role(NodeId node) const {
  FL_ASSERT(node.value < node_count_, "a node of the tree");
  if (shape_ == Shape::seed) return seed_role[node.value];
  return generated_role(level(node));
}

std::uint32_t Tree::team(NodeId node) const {
  FL_ASSERT(node.value < node_count_, "a node of the tree");
  if (shape_ == Shape::seed) return seed_team[node.value];
  NodeId at = node;
  while (at.value > fanout_) at = *parent(at);  // up to level 1 (or the leader)
  return at.value == 0 ? 0 : at.value - 1;
}

std::uint32_t Tree::weight(NodeId node) const { return weight_of(role(node)); }

std::uint64_t Tree::seed_unit(std::uint32_t team) const {
  std::uint64_t weights = 0;
  for (std::uint32_t i = 0; i < seed_size; ++i)
    if (seed_team[i] == team) weights += weight_of(seed_role[i]);
  return seed_team_hours(team) / weights;
}

// Records in the subtree of a generated node at `level`.
std::uint64_t Tree::generated_subtree_records(std::uint32_t level) const {
  std::uint64_t records = weight_of(generated_role(level)) * records_per_weight_;
  std::uint64_t below = 1;
  for (std::uint32_t k = level + 1; k <= depth_; ++k) {
    below *= fanout_;
    records += below * weight_of(generated_role(k)) * records_per_weight_;
  }
  return records;
}

// Where a generated node's slice starts: walking down from the leader, each ancestor's own slice
// and the subtrees of the siblings before the path come first (preorder).
std::uint64_t Tree::generated_preorder_first(NodeId node) const {
  std::vector<std::uint32_t> path;  // node, its parent, ..., a level-1 node
  for (NodeId at = node; at.value != 0; at = *parent(at)) path.push_back(at.value);
  std::uint64_t first = 0;
  std::uint32_t level = 0;
  for (auto it = path.rbegin(); it != path.rend(); ++it, ++level) {
    const std::uint32_t sibling_index = (*it - 1) % fanout_;
    first += weight_of(generated_role(level)) * records_per_weight_;
    first += sibling_index * generated_subtree_records(level + 1);
  }
  return first;
}

KeyRange Tree::slice(NodeId node) const {
  FL_ASSERT(node.value < node_count_, "a node of the tree");
  if (shape_ == Shape::generated)
    return KeyRange{generated_preorder_first(node), weight(node) * records_per_weight_};
  std::uint64_t first = 0;
  for (std::uint32_t i : seed_preorder) {
    const std::uint32_t team = seed_team[i];
    std::uint64_t count = weight_of(seed_role[i]) * seed_unit(team);
    // C and F end their teams in preorder: the division's remainder is theirs.
    const std::uint64_t team_end = seed_team_hours(0) + (team == 0 ? 0 : seed_team_hours(1));
    if (i == 2 || i == 5) count = team_end - first;
    if (i == node.value) return KeyRange{first, count};
    first += count;
  }
  FL_UNREACHABLE("every seed node has a slice");
}

KeyRange Tree::subtree(NodeId node) const {
  if (shape_ == Shape::generated)
    return KeyRange{generated_preorder_first(node), generated_subtree_records(level(node))};
  KeyRange range = slice(node);
  for (NodeId child : children(node)) range.count += subtree(child).count;
  return range;
}

std::uint32_t Tree::value(std::uint64_t key) const {
  std::uint64_t state = data_seed_ ^ (key * 0x9E3779B97F4A7C15ull);
  return static_cast<std::uint32_t>(splitmix64(state) % 150);
}

std::uint64_t Tree::in_filter(KeyRange range, const Filter& filter) {
  const std::uint64_t from = std::max<std::uint64_t>(range.first, filter.key_from);
  const std::uint64_t to = std::min<std::uint64_t>(range.end(), filter.key_to);
  return to > from ? to - from : 0;
}

bool Tree::within(NodeId node, NodeId root) const {
  for (std::optional<NodeId> at = node; at; at = parent(*at))
    if (*at == root) return true;
  return false;
}

std::uint64_t Tree::missing_in_filter(const Filter& filter,
                                      const std::vector<Missing>& missing) const {
  std::uint64_t records = 0;
  for (const Missing& m : missing) {
    const bool inside_another = std::ranges::any_of(missing, [&](const Missing& other) {
      if (!other.subtree || other == m) return false;
      return m.node == other.node ? !m.subtree : within(m.node, other.node);
    });
    if (!inside_another) records += in_filter(m.subtree ? subtree(m.node) : slice(m.node), filter);
  }
  return records;
}

std::vector<Row> Tree::scan(NodeId node, const Filter& filter, std::uint32_t limit) const {
  const KeyRange range = slice(node);
  const std::uint64_t to = std::min<std::uint64_t>(range.end(), filter.key_to);
  std::vector<Row> rows;
  for (std::uint64_t key = std::max<std::uint64_t>(range.first, filter.key_from);
       key < to && rows.size() < limit; ++key) {
    const std::uint32_t reading = value(key);
    if (reading >= filter.value_min) rows.push_back(Row{static_cast<std::uint32_t>(key), reading});
  }
  FL_ASSERT(rows.size() <= limit, "a scan returns at most its limit");
  return rows;
}

std::vector<Allocation> Tree::allocate(NodeId node, const Filter& filter,
                                       std::uint32_t limit) const {
  std::vector<std::pair<NodeId, std::uint64_t>> parts{{node, in_filter(slice(node), filter)}};
  for (NodeId child : children(node)) parts.emplace_back(child, in_filter(subtree(child), filter));
  std::uint64_t records = 0;
  for (const auto& [part, count] : parts) records += count;
  std::vector<Allocation> out;
  if (records == 0 || limit == 0) return out;
  std::uint64_t given = 0;
  std::vector<std::uint64_t> share(parts.size());
  for (std::size_t i = 0; i < parts.size(); ++i) {
    share[i] = std::min(std::uint64_t{limit} * parts[i].second / records, parts[i].second);
    given += share[i];
  }
  for (std::size_t i = 0; i < parts.size() && given < limit; ++i)
    if (share[i] < parts[i].second) {
      ++share[i];
      ++given;
    }
  for (std::size_t i = 0; i < parts.size(); ++i)
    if (share[i] > 0)
      out.push_back(Allocation{parts[i].first, static_cast<std::uint32_t>(share[i])});
  FL_ASSERT(given <= limit, "an allocation never gives more than the limit");
  return out;
}

}  // namespace faultline::overlay
