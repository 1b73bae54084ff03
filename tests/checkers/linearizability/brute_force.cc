#include "brute_force.h"

#include <algorithm>
#include <limits>
#include <map>
#include <numeric>

#include "sim/core/assert.h"

namespace faultline::lin::testing {
namespace {

std::string as_text(const Value& v) {
  if (std::holds_alternative<std::monostate>(v)) return "";
  if (const auto* n = std::get_if<std::int64_t>(&v)) return std::to_string(*n);
  return std::get<std::string>(v);
}

// Replays ops in order; false if some op's recorded result is impossible.
bool legal_sequence(const History& h, const std::vector<std::size_t>& order, ModelKind model) {
  std::map<std::string, Value> registers;    // missing = nil
  std::map<std::string, std::string> lists;  // missing = ""
  for (std::size_t i : order) {
    const Operation& op = h.operations[i];
    if (model == ModelKind::append_list) {
      std::string& list = lists[op.key];
      switch (op.kind) {
        case OpKind::read:
          if (op.completed() && list != as_text(op.result)) return false;
          break;
        case OpKind::write: list = as_text(op.argument); break;
        case OpKind::append: list += as_text(op.argument); break;
        case OpKind::cas: return false;
      }
      continue;
    }
    Value& value = registers[op.key];
    switch (op.kind) {
      case OpKind::read:
        if (op.completed() && value != op.result) return false;
        break;
      case OpKind::write: value = op.argument; break;
      case OpKind::cas:
        if (value == op.argument)
          value = op.argument2;
        else if (op.completed())
          return false;  // an ok cas succeeded; an unknown one may have failed
        break;
      case OpKind::append: return false;
    }
  }
  return true;
}

bool respects_real_time(const History& h, const std::vector<std::size_t>& order) {
  constexpr std::int64_t never = std::numeric_limits<std::int64_t>::max();
  for (std::size_t a = 0; a < order.size(); ++a)
    for (std::size_t b = a + 1; b < order.size(); ++b) {
      // b placed after a: wrong if b returned strictly before a was invoked.
      const Operation& first = h.operations[order[a]];
      const Operation& second = h.operations[order[b]];
      if (second.return_ns.value_or(never) < first.invoke_ns) return false;
    }
  return true;
}

}  // namespace

bool brute_force_linearizable(const History& h, ModelKind model) {
  std::vector<std::size_t> required, optional;
  for (std::size_t i = 0; i < h.operations.size(); ++i)
    (h.operations[i].completed() ? required : optional).push_back(i);
  FL_ASSERT(h.operations.size() <= 9, "brute force is for tiny histories");
  for (std::uint32_t subset = 0; subset < (1u << optional.size()); ++subset) {
    std::vector<std::size_t> order = required;
    for (std::size_t k = 0; k < optional.size(); ++k)
      if ((subset >> k) & 1) order.push_back(optional[k]);
    std::sort(order.begin(), order.end());
    do {
      if (respects_real_time(h, order) && legal_sequence(h, order, model)) return true;
    } while (std::next_permutation(order.begin(), order.end()));
  }
  return false;
}

}  // namespace faultline::lin::testing
