// Append-only list per key (Jepsen/Knossos "append/get" KV logs): the state is the key's
// string; append concatenates, put (write) replaces, get (read) returns the whole string.
//
// State: the value id of the whole string in the partition's ValueTable. Interning is exact
// (equal ids <=> equal strings), so the memo table never merges two different strings, unlike a
// (length, hash) summary. Concatenations are cached per (state, argument) so a step allocates
// only the first time a new string is built.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "checkers/linearizability/model.h"

namespace faultline::lin {

class AppendListModel {
 public:
  using State = std::uint32_t;
  static constexpr std::string_view name = "append-list";

  explicit AppendListModel(ValueTable& values) : values_(&values) {}

  static Result<CompiledOp> compile(const Operation& op, ValueTable& values) {
    CompiledOp out;
    out.kind = op.kind;
    out.completed = op.completed();
    switch (op.kind) {
      case OpKind::read: out.result = intern_text(op.result, values); break;
      case OpKind::write:
      case OpKind::append: out.argument = intern_text(op.argument, values); break;
      case OpKind::cas: return unsupported_operation(name, op);
    }
    return out;
  }

  State initial() const { return 0; }  // the empty string

  bool step(State state, const CompiledOp& op, State& next) {
    switch (op.kind) {
      case OpKind::read: next = state; return state == op.result;
      case OpKind::write: next = op.argument; return true;
      case OpKind::append: next = concatenate(state, op.argument); return true;
      case OpKind::cas: break;
    }
    FL_UNREACHABLE("append-list step on an operation compile() rejects");
  }

  static std::uint64_t encode(State state) { return state; }
  static bool read_only(const CompiledOp& op) { return op.kind == OpKind::read; }
  static bool blind(const CompiledOp& op) { return op.kind == OpKind::write; }
  // Only a put (write) can shrink or change the string; appends extend it. So without a put in
  // between, a read can only become legal if the current string is a prefix of its result.
  static bool resets(const CompiledOp& op) { return op.kind == OpKind::write; }
  static State after_reset(const CompiledOp& reset) { return reset.argument; }
  bool may_grow_into(State state, const CompiledOp& read) const {
    const std::string& have = values_->text(state);
    const std::string& want = values_->text(read.result);
    return have.size() <= want.size() && std::equal(have.begin(), have.end(), want.begin());
  }

  std::string describe(State state) const { return "\"" + values_->text(state) + "\""; }

 private:
  static std::uint32_t intern_text(const Value& value, ValueTable& values) {
    if (std::holds_alternative<std::monostate>(value)) return 0;  // nil reads as ""
    if (const auto* n = std::get_if<std::int64_t>(&value)) return values.intern(std::to_string(*n));
    return values.intern(std::get<std::string>(value));
  }

  std::uint32_t concatenate(std::uint32_t state, std::uint32_t suffix) {
    if (suffix == 0) return state;
    const std::uint64_t key = (std::uint64_t{state} << 32) | suffix;
    if ((cached_ + 1) * 2 > cache_.size()) grow_cache();
    const std::size_t mask = cache_.size() - 1;
    std::size_t slot = cache_slot(key) & mask;
    for (; cache_[slot].key != 0; slot = (slot + 1) & mask)
      if (cache_[slot].key == key) return cache_[slot].id;
    const std::uint32_t id = values_->intern(values_->text(state) + values_->text(suffix));
    cache_[slot] = {key, id};
    ++cached_;
    return id;
  }

  ValueTable* values_;
  // Both halves of the key (state, suffix) reach the low bits the table uses.
  static std::uint64_t cache_slot(std::uint64_t key) {
    const std::uint64_t h = key * 0x9e3779b97f4a7c15ULL;
    return h ^ (h >> 32);
  }
  void grow_cache() {
    std::vector<CacheSlot> old(cache_.empty() ? 64 : cache_.size() * 2);
    old.swap(cache_);
    const std::size_t mask = cache_.size() - 1;
    for (const CacheSlot& c : old) {
      if (c.key == 0) continue;
      std::size_t slot = cache_slot(c.key) & mask;
      while (cache_[slot].key != 0) slot = (slot + 1) & mask;
      cache_[slot] = c;
    }
  }

  // (state << 32 | suffix) -> the concatenation's id, open addressing; key 0 (suffix 0, never
  // looked up) marks an empty slot.
  struct CacheSlot {
    std::uint64_t key = 0;
    std::uint32_t id = 0;
  };
  std::vector<CacheSlot> cache_;
  std::size_t cached_ = 0;
};

}  // namespace faultline::lin
