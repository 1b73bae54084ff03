// Read/write register and compare-and-set register (the etcd model); with per-key partitioning
// the cas register is also the key-value map model (one register per key).
//
// State: the value id of the current value (0 = nil, the initial value). Values are interned
// with a type tag ("i4", "s4") so the integer 4 and the string "4" stay different.
#pragma once

#include <cstdint>
#include <string>

#include "checkers/linearizability/model.h"

namespace faultline::lin {

inline std::uint32_t intern_tagged(const Value& value, ValueTable& values) {
  if (std::holds_alternative<std::monostate>(value)) return 0;
  if (const auto* n = std::get_if<std::int64_t>(&value)) return values.intern_tagged_integer(*n);
  return values.intern("s" + std::get<std::string>(value));
}

inline std::string describe_tagged(const ValueTable& values, std::uint32_t id) {
  const std::string& text = values.text(id);
  if (text.empty()) return "nil";
  if (text[0] == 'i') return text.substr(1);
  return "\"" + text.substr(1) + "\"";
}

template <bool AllowCas>
class RegisterModelT {
 public:
  using State = std::uint32_t;
  static constexpr std::string_view name = AllowCas ? "cas-register" : "register";

  explicit RegisterModelT(const ValueTable& values) : values_(&values) {}

  static Result<CompiledOp> compile(const Operation& op, ValueTable& values) {
    CompiledOp out;
    out.kind = op.kind;
    out.completed = op.completed();
    switch (op.kind) {
      case OpKind::read: out.result = intern_tagged(op.result, values); break;
      case OpKind::write: out.argument = intern_tagged(op.argument, values); break;
      case OpKind::cas:
        if (!AllowCas) return unsupported_operation(name, op);
        out.argument = intern_tagged(op.argument, values);
        out.argument2 = intern_tagged(op.argument2, values);
        break;
      case OpKind::append: return unsupported_operation(name, op);
    }
    return out;
  }

  State initial() const { return 0; }

  bool step(State state, const CompiledOp& op, State& next) const {
    switch (op.kind) {
      case OpKind::read: next = state; return state == op.result;
      case OpKind::write: next = op.argument; return true;
      case OpKind::cas:
        // An ok cas succeeded, so it needs state == from. A cas with unknown outcome that
        // fails has no effect, which is the same as leaving it out: only the success branch.
        next = op.argument2;
        return state == op.argument;
      case OpKind::append: break;
    }
    FL_UNREACHABLE("register step on an operation compile() rejects");
  }

  static std::uint64_t encode(State state) { return state; }
  static bool read_only(const CompiledOp& op) { return op.kind == OpKind::read; }
  static bool blind(const CompiledOp& op) { return op.kind == OpKind::write; }
  std::string describe(State state) const { return describe_tagged(*values_, state); }

 private:
  const ValueTable* values_;
};

using RegisterModel = RegisterModelT<false>;
using CasRegisterModel = RegisterModelT<true>;

}  // namespace faultline::lin
