#include "checkers/linearizability/reads_from.h"

#include <algorithm>
#include <optional>
#include <vector>

namespace faultline::lin {
namespace {

constexpr std::int64_t minus_infinity = std::numeric_limits<std::int64_t>::min();
constexpr std::uint32_t none = initial_write - 1;  // no operation; distinct from initial_write

// A write and the reads of its value: it must take effect as one block in any linearization.
// The initial value's group starts with its write at -infinity.
struct Group {
  std::uint32_t write = initial_write;
  std::int64_t min_return = std::numeric_limits<std::int64_t>::max();  // earliest member return
  std::uint32_t min_return_op = none;
  std::int64_t max_invoke = minus_infinity;  // the latest invocation of any member
  std::uint32_t max_invoke_op = none;
};

// The write of each value id (none: not written), or nullopt when the check does not apply.
std::optional<std::vector<std::uint32_t>> writes_by_value(std::span<const CompiledOp> ops) {
  std::uint32_t max_id = 0;
  for (const CompiledOp& op : ops) max_id = std::max({max_id, op.argument, op.result});
  std::vector<std::uint32_t> write_of(std::size_t{max_id} + 1, none);
  for (std::uint32_t i = 0; i < ops.size(); ++i) {
    const CompiledOp& op = ops[i];
    if (op.kind == OpKind::read) continue;
    // A cas or an append reads the state: no reads-from mapping. A nil write or a value written
    // twice makes a read's value ambiguous.
    if (op.kind != OpKind::write || op.argument == 0 || write_of[op.argument] != none)
      return std::nullopt;
    write_of[op.argument] = i;
  }
  return write_of;
}

class GroupBuilder {
 public:
  GroupBuilder(std::span<const CompiledOp> ops, std::span<const std::int64_t> invoke_ns,
               std::span<const std::int64_t> return_ns, const std::vector<std::uint32_t>& write_of)
      : ops_(ops), invoke_ns_(invoke_ns), return_ns_(return_ns), write_of_(write_of) {
    groups_.push_back({initial_write, minus_infinity, initial_write, minus_infinity,
                       initial_write});  // group 0: the initial value, written at -infinity
    group_of_value_.assign(write_of.size(), none);
    group_of_value_[0] = 0;
  }

  // Groups every completed read with its write; the first read of an unwritten value, if any.
  std::optional<std::uint32_t> add_reads() {
    for (std::uint32_t i = 0; i < ops_.size(); ++i) {
      const CompiledOp& op = ops_[i];
      if (op.kind != OpKind::read || !op.completed) continue;
      if (op.result != 0 && write_of_[op.result] == none) return i;
      add(group_for(op.result), i);
    }
    return std::nullopt;
  }

  // Completed writes that no read saw are groups of their own; unknown-outcome ones are left out.
  void add_unread_writes() {
    for (std::uint32_t i = 0; i < ops_.size(); ++i)
      if (ops_[i].kind == OpKind::write && ops_[i].completed) group_for(ops_[i].argument);
  }

  std::vector<Group>& groups() { return groups_; }

 private:
  std::uint32_t group_for(std::uint32_t value) {
    if (group_of_value_[value] != none) return group_of_value_[value];
    const auto g = static_cast<std::uint32_t>(groups_.size());
    group_of_value_[value] = g;
    groups_.emplace_back();
    groups_.back().write = write_of_[value];
    add(g, write_of_[value]);
    return g;
  }
  void add(std::uint32_t g, std::uint32_t op) {
    Group& group = groups_[g];
    if (group.min_return_op == none || return_ns_[op] < group.min_return) {
      group.min_return = return_ns_[op];
      group.min_return_op = op;
    }
    if (group.max_invoke_op == none || group.max_invoke_op == initial_write ||
        invoke_ns_[op] > group.max_invoke) {
      group.max_invoke = invoke_ns_[op];
      group.max_invoke_op = op;
    }
  }

  std::span<const CompiledOp> ops_;
  std::span<const std::int64_t> invoke_ns_;
  std::span<const std::int64_t> return_ns_;
  const std::vector<std::uint32_t>& write_of_;
  std::vector<Group> groups_;
  std::vector<std::uint32_t> group_of_value_;
};

// A pair of groups that must each precede the other: A's earliest return is before B's latest
// invocation and B's earliest return before A's latest invocation. For each B, the groups A with
// max_invoke > B.min_return are a suffix of the groups sorted by max_invoke; the suffix's two
// smallest min_return values (from different groups) tell whether one of them has
// min_return < B.max_invoke.
std::optional<std::pair<std::uint32_t, std::uint32_t>> find_two_cycle(
    const std::vector<Group>& groups) {
  const std::size_t count = groups.size();
  std::vector<std::uint32_t> by_invoke(count);
  for (std::uint32_t g = 0; g < count; ++g) by_invoke[g] = g;
  std::stable_sort(by_invoke.begin(), by_invoke.end(), [&](std::uint32_t a, std::uint32_t b) {
    return groups[a].max_invoke < groups[b].max_invoke;
  });
  // best[p], second[p]: the groups with the two smallest min_return among by_invoke[p..].
  std::vector<std::uint32_t> best(count + 1, none), second(count + 1, none);
  auto less = [&](std::uint32_t a, std::uint32_t b) {
    return b == none || (a != none && groups[a].min_return < groups[b].min_return);
  };
  for (std::size_t p = count; p-- > 0;) {
    const std::uint32_t g = by_invoke[p];
    best[p] = best[p + 1];
    second[p] = second[p + 1];
    if (less(g, best[p])) {
      second[p] = best[p];
      best[p] = g;
    } else if (less(g, second[p])) {
      second[p] = g;
    }
  }
  for (std::uint32_t b = 0; b < count; ++b) {
    const auto first =
        std::upper_bound(by_invoke.begin(), by_invoke.end(), groups[b].min_return,
                         [&](std::int64_t t, std::uint32_t g) { return t < groups[g].max_invoke; });
    const auto p = static_cast<std::size_t>(first - by_invoke.begin());
    const std::uint32_t a = best[p] == b ? second[p] : best[p];
    if (a != none && groups[a].min_return < groups[b].max_invoke) return std::pair(a, b);
  }
  return std::nullopt;
}

}  // namespace

ReadsFromVerdict check_reads_from(std::span<const CompiledOp> ops,
                                  std::span<const std::int64_t> invoke_ns,
                                  std::span<const std::int64_t> return_ns) {
  FL_ASSERT(ops.size() < none, "operation indices must fit below the sentinels");
  ReadsFromVerdict verdict;
  const auto write_of = writes_by_value(ops);
  if (!write_of) return verdict;
  verdict.outcome = ReadsFromVerdict::Outcome::not_linearizable;
  using Kind = ReadsFromConflict::Kind;
  GroupBuilder builder(ops, invoke_ns, return_ns, *write_of);
  if (const auto unwritten = builder.add_reads()) {
    verdict.conflict = {Kind::never_written,
                        {*unwritten, initial_write, initial_write, initial_write}};
    return verdict;
  }
  builder.add_unread_writes();
  for (std::uint32_t i = 0; i < ops.size(); ++i) {
    if (ops[i].kind != OpKind::read || !ops[i].completed || ops[i].result == 0) continue;
    const std::uint32_t write = (*write_of)[ops[i].result];
    if (return_ns[i] < invoke_ns[write]) {
      verdict.conflict = {Kind::read_before_write, {i, write, initial_write, initial_write}};
      return verdict;
    }
  }
  const std::vector<Group>& groups = builder.groups();
  if (const auto cycle = find_two_cycle(groups)) {
    // The pair is symmetric; when the initial value's group is in it, name it first.
    const bool swap = cycle->second == 0;
    const Group& a = groups[swap ? cycle->second : cycle->first];
    const Group& b = groups[swap ? cycle->first : cycle->second];
    verdict.conflict = {Kind::cycle,
                        {a.min_return_op, b.max_invoke_op, b.min_return_op, a.max_invoke_op}};
    return verdict;
  }
  verdict.outcome = ReadsFromVerdict::Outcome::linearizable;
  return verdict;
}

}  // namespace faultline::lin
