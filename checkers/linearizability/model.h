// What a sequential specification (a "model") looks like to the checker.
//
// A model is a small value type with a State that the memo table can store exactly:
//   * `State` is trivially copyable and `encode(State)` maps it INJECTIVELY to one uint64 word;
//     the memo table compares these words exactly, so an encoding that merges two states would
//     make the checker skip a branch and could produce a false "not linearizable".
//   * `compile(op, values)` turns a history Operation into a CompiledOp once, before the search
//     (rejecting operation kinds the model does not support); values are interned into a
//     per-partition ValueTable so the search compares small integers, never strings.
//   * `step(state, op, next)` returns whether `op` may take effect in `state` with the recorded
//     result and, if so, the state after it. For an operation that did not complete (outcome
//     unknown) step must accept every outcome the operation could have had *when it took effect*;
//     the checker itself handles "did not take effect" by never placing it.
//   * `read_only(op)` is true only for operations that leave EVERY state unchanged; the search
//     places a legal read-only candidate without trying alternatives (always safe, see
//     checker.cc), so a wrong `true` would make the checker miss linearizations.
//   * `blind(op)`: the op is legal in every state and its next state does not depend on the
//     state (a register write, a put). Again a wrong `true` could hide linearizations.
//   * optional, for models whose state only grows except through "reset" ops:
//     `resets(op)` and `may_grow_into(state, read)` (false only if no sequence of non-reset
//     ops leads from state to one where read is legal). See model_append_list.h.
// Adding a model is one small header (see model_register.h) plus a line in checker.cc.
#pragma once

#include <concepts>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "checkers/linearizability/history.h"
#include "sim/core/assert.h"
#include "sim/core/result.h"

namespace faultline::lin {

// Dense ids for value texts within one partition. Id 0 is always "" (nil / the empty string).
// Ids are assigned in first-interned order, so they are deterministic for a deterministic search;
// lookups go through a hash map but nothing iterates it.
class ValueTable {
 public:
  ValueTable() { intern(""); }
  ValueTable(const ValueTable&) = delete;
  ValueTable& operator=(const ValueTable&) = delete;

  std::uint32_t intern(std::string_view text) {
    if (auto it = ids_.find(text); it != ids_.end()) return it->second;  // no string built
    auto [it, inserted] =
        ids_.try_emplace(std::string(text), static_cast<std::uint32_t>(texts_.size()));
    texts_.push_back(&it->first);  // node-based map: the key's address is stable
    return it->second;
  }
  // intern("i" + decimal n), remembered per integer: a history repeats a few small integers, and
  // this skips building and hashing their text each time.
  std::uint32_t intern_tagged_integer(std::int64_t n) {
    if (auto it = integer_ids_.find(n); it != integer_ids_.end()) return it->second;
    const std::uint32_t id = intern("i" + std::to_string(n));
    integer_ids_.emplace(n, id);
    return id;
  }

  const std::string& text(std::uint32_t id) const {
    FL_ASSERT(id < texts_.size(), "value id out of range");
    return *texts_[id];
  }
  std::size_t size() const { return texts_.size(); }

 private:
  // Looked up by string_view without building a std::string (heterogeneous lookup).
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>()(text);
    }
  };
  std::unordered_map<std::string, std::uint32_t, Hash, std::equal_to<>> ids_;
  std::vector<const std::string*> texts_;
  std::unordered_map<std::int64_t, std::uint32_t> integer_ids_;
};

// One operation as the search sees it: value ids instead of values.
struct CompiledOp {
  OpKind kind = OpKind::read;
  bool completed = true;  // false: outcome unknown, may be left out
  std::uint32_t argument = 0;
  std::uint32_t argument2 = 0;
  std::uint32_t result = 0;
};

template <class M>
concept Model = requires(M& model, const M& const_model, typename M::State state,
                         typename M::State& next, const CompiledOp& op, const Operation& operation,
                         ValueTable& values) {
  { M::name } -> std::convertible_to<std::string_view>;
  { M::compile(operation, values) } -> std::same_as<Result<CompiledOp>>;
  { const_model.initial() } -> std::same_as<typename M::State>;
  { model.step(state, op, next) } -> std::same_as<bool>;
  { M::encode(state) } -> std::same_as<std::uint64_t>;
  { M::read_only(op) } -> std::same_as<bool>;
  { M::blind(op) } -> std::same_as<bool>;
  { const_model.describe(state) } -> std::same_as<std::string>;
};

// The error every model gives for an operation kind it does not support.
inline std::unexpected<Error> unsupported_operation(std::string_view model, const Operation& op) {
  return fail("operation", op.source_line,
              std::string("the ") + std::string(model) + " model has no '" +
                  std::string(to_string(op.kind)) + "' operation (choose another --model)");
}

}  // namespace faultline::lin
