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
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "checkers/linearizability/history.h"
#include "sim/core/assert.h"
#include "sim/core/result.h"

namespace faultline::lin {

// Dense ids for value texts within one partition. Id 0 is always "" (nil / the empty string).
// Ids are assigned in first-interned order, so they are deterministic for a deterministic search.
// The texts live in a deque (stable addresses, few allocations), found by id through a vector
// of pointers and by text through an open-addressing index of ids (hash, then exact compare).
class ValueTable {
 public:
  ValueTable() { intern(""); }
  ValueTable(const ValueTable&) = delete;
  ValueTable& operator=(const ValueTable&) = delete;

  std::uint32_t intern(std::string_view text) {
    if ((by_id_.size() + 1) * 2 > slots_.size()) grow();
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t slot = hash(text) & mask;; slot = (slot + 1) & mask) {
      const std::uint32_t id = slots_[slot];
      if (id == 0) {
        by_id_.push_back(&texts_.emplace_back(text));
        slots_[slot] = static_cast<std::uint32_t>(by_id_.size());
        return static_cast<std::uint32_t>(by_id_.size() - 1);
      }
      if (*by_id_[id - 1] == text) return id - 1;
    }
  }

  // intern("i" + decimal n), remembered per integer: a history repeats a few small integers, and
  // this skips building and hashing their text each time.
  std::uint32_t intern_tagged_integer(std::int64_t n) {
    for (const auto& [value, id] : integer_ids_)
      if (value == n) return id;
    const std::uint32_t id = intern("i" + std::to_string(n));
    if (integer_ids_.size() < 16) integer_ids_.emplace_back(n, id);
    return id;
  }

  const std::string& text(std::uint32_t id) const {
    FL_ASSERT(id < by_id_.size(), "value id out of range");
    return *by_id_[id];
  }
  std::size_t size() const { return by_id_.size(); }

 private:
  static std::size_t hash(std::string_view text) { return std::hash<std::string_view>()(text); }
  void grow() {
    std::vector<std::uint32_t> slots(slots_.empty() ? 16 : slots_.size() * 2, 0);
    const std::size_t mask = slots.size() - 1;
    for (std::uint32_t id = 1; id <= by_id_.size(); ++id) {
      std::size_t slot = hash(*by_id_[id - 1]) & mask;
      while (slots[slot] != 0) slot = (slot + 1) & mask;
      slots[slot] = id;
    }
    slots_.swap(slots);
  }

  std::deque<std::string> texts_;          // stable addresses
  std::vector<const std::string*> by_id_;  // id -> text, without the deque's arithmetic
  std::vector<std::uint32_t> slots_;       // id + 1; 0: empty
  std::vector<std::pair<std::int64_t, std::uint32_t>> integer_ids_;  // the first 16 integers seen
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
