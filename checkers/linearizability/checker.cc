#include "checkers/linearizability/checker.h"

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <tuple>
#include <unordered_map>

#include <fmt/format.h>

#include "checkers/linearizability/memo_table.h"
#include "checkers/linearizability/model_append_list.h"
#include "checkers/linearizability/model_register.h"
#include "checkers/linearizability/reads_from.h"

namespace faultline::lin {

std::string_view to_string(ModelKind kind) {
  switch (kind) {
    case ModelKind::register_rw: return "register";
    case ModelKind::cas_register: return "cas-register";
    case ModelKind::kv: return "kv";
    case ModelKind::append_list: return "append-list";
  }
  return "";
}

Result<ModelKind> parse_model_kind(std::string_view name) {
  for (ModelKind kind :
       {ModelKind::register_rw, ModelKind::cas_register, ModelKind::kv, ModelKind::append_list})
    if (name == to_string(kind)) return kind;
  return fail(
      "--model", 0,
      fmt::format("unknown model '{}' (expected register, cas-register, kv or append-list)", name));
}

ModelKind infer_model(const History& history) {
  bool keys = false;
  for (const Operation& op : history.operations) {
    if (op.kind == OpKind::append) return ModelKind::append_list;
    keys = keys || !op.key.empty();
  }
  return keys ? ModelKind::kv : ModelKind::cas_register;
}

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::linearizable: return "linearizable";
    case Verdict::not_linearizable: return "not linearizable";
    case Verdict::unknown: return "unknown (budget exhausted)";
  }
  return "";
}

namespace {

constexpr std::int64_t infinite_ns = std::numeric_limits<std::int64_t>::max();
constexpr std::int32_t no_entry = -1;
constexpr std::uint32_t no_twin = std::numeric_limits<std::uint32_t>::max();

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

struct SearchOutcome {
  std::vector<std::uint32_t> prefix;  // partition-local indices
  std::string state_after_prefix;
  std::vector<std::pair<std::uint32_t, bool>> candidates;
  std::optional<std::uint32_t> deadline_op;
};

// The call/return entries of one key as Porcupine's doubly linked list, in index arrays.
// Entry 0 is the head sentinel. Lifting an operation unlinks its call and return entries;
// the unlinked entries keep their own links, so unlifting in LIFO order relinks them in O(1).
class EntryList {
 public:
  EntryList(const std::vector<CompiledOp>& ops, const std::vector<std::int64_t>& invoke_ns,
            const std::vector<std::int64_t>& return_ns) {
    struct Event {
      std::int64_t time_ns;
      bool is_return;
      std::uint32_t op;
    };
    std::vector<Event> events;
    events.reserve(ops.size() * 2);
    for (std::uint32_t i = 0; i < ops.size(); ++i) {
      events.push_back({invoke_ns[i], false, i});
      // An operation with unknown outcome has no return entry: it never forces a backtrack and
      // the search ends as soon as every completed operation is placed.
      if (ops[i].completed) events.push_back({return_ns[i], true, i});
    }
    // Equal times: calls first, i.e. treated as concurrent (never a false violation).
    std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
      if (a.time_ns != b.time_ns) return a.time_ns < b.time_ns;
      if (a.is_return != b.is_return) return !a.is_return;
      return a.op < b.op;
    });
    const std::size_t count = events.size();
    data_.assign(4 * (count + 1), 0);
    next_ = data_.data();
    prev_ = next_ + count + 1;
    op_ = prev_ + count + 1;
    match_ = op_ + count + 1;
    std::vector<std::int32_t> call_of_op(ops.size(), 0);
    for (std::size_t k = 0; k < count; ++k) {
      const auto e = static_cast<std::int32_t>(k + 1);
      op_[e] = static_cast<std::int32_t>(events[k].op);
      if (!events[k].is_return) {
        call_of_op[events[k].op] = e;
      } else {
        FL_ASSERT(call_of_op[events[k].op] != 0, "return entry sorted before its call");
        match_[call_of_op[events[k].op]] = e;
        match_[e] = -1;  // a return entry
      }
      prev_[e] = e - 1;
      next_[e] = k + 1 < count ? e + 1 : no_entry;
    }
    next_[0] = count > 0 ? 1 : no_entry;
    prev_[0] = no_entry;
  }
  EntryList(const EntryList&) = delete;
  EntryList& operator=(const EntryList&) = delete;

  std::int32_t first() const { return next_[0]; }
  std::int32_t next(std::int32_t e) const { return next_[e]; }
  bool is_call(std::int32_t e) const { return match_[e] >= 0; }
  std::uint32_t op(std::int32_t e) const { return static_cast<std::uint32_t>(op_[e]); }
  std::int32_t return_entry(std::int32_t call) const { return match_[call]; }  // 0: none

  void lift(std::int32_t call) {
    unlink(call);
    if (match_[call] != 0) unlink(match_[call]);
  }
  void unlift(std::int32_t call) {
    if (match_[call] != 0) relink(match_[call]);
    relink(call);
  }

 private:
  void unlink(std::int32_t e) {
    next_[prev_[e]] = next_[e];
    if (next_[e] != no_entry) prev_[next_[e]] = prev_[e];
  }
  void relink(std::int32_t e) {
    next_[prev_[e]] = e;
    if (next_[e] != no_entry) prev_[next_[e]] = e;
  }

  // Four arrays in one allocation: the scans read next, op and match, densely packed.
  std::vector<std::int32_t> data_;
  std::int32_t* next_ = nullptr;
  std::int32_t* prev_ = nullptr;
  std::int32_t* op_ = nullptr;
  std::int32_t* match_ = nullptr;  // a call's return entry (0: none); -1: a return entry
};

enum class SearchStatus { running, found, exhausted, budget };

// One key's search, resumable so that keys can be advanced round-robin: a violation in any
// key settles the whole history, so no single hard key may starve the others (Porcupine gets
// the same effect by checking keys in parallel and stopping at the first violation).
class PartitionSearch {
 public:
  virtual ~PartitionSearch() = default;
  // Runs until a verdict, or until `new_states` more memo entries were added (status running),
  // or until the memo exceeds `memory_bytes` or the deadline passes (status budget).
  virtual SearchStatus advance(
      std::uint64_t new_states, std::uint64_t memory_bytes,
      const std::optional<std::chrono::steady_clock::time_point>& deadline) = 0;
  virtual std::uint64_t states() const = 0;
  virtual std::uint64_t memo_bytes() const = 0;
  virtual void release_memory() = 0;
  virtual void record_stop() = 0;  // remember where the search stood when a budget stopped it
  // The reads-from check's verdict when it decided this key instead of a search.
  virtual const ReadsFromVerdict* reads_from() const { return nullptr; }
  SearchOutcome outcome;
};

// A key whose operations do not overlap (each returned before the next was invoked, all of them
// completed) has one order that respects real time; if the model accepts every operation in
// that order the key is linearizable, with no search. The search would place each operation
// once, so the state count is the number of operations, as the search reports it.
class SequentialDecision final : public PartitionSearch {
 public:
  explicit SequentialDecision(std::uint64_t operations) : operations_(operations) {}
  SearchStatus advance(std::uint64_t, std::uint64_t,
                       const std::optional<std::chrono::steady_clock::time_point>&) override {
    return SearchStatus::found;
  }
  std::uint64_t states() const override { return operations_; }
  std::uint64_t memo_bytes() const override { return 0; }
  void release_memory() override {}
  void record_stop() override {}

 private:
  std::uint64_t operations_;
};

// True when the operations, in index order, are sequential in real time and the model accepts
// them in that order. False decides nothing (overlap, unknown outcome, or a rejected step: the
// search then runs and explains).
template <Model M>
bool replays_sequentially(const std::vector<CompiledOp>& ops,
                          const std::vector<std::int64_t>& invoke_ns,
                          const std::vector<std::int64_t>& return_ns, ValueTable& values) {
  for (std::size_t i = 0; i < ops.size(); ++i)
    if (!ops[i].completed || (i + 1 < ops.size() && return_ns[i] >= invoke_ns[i + 1]))
      return false;  // equal times count as concurrent
  M model(values);
  typename M::State state = model.initial();
  for (const CompiledOp& op : ops) {
    typename M::State next{};
    if (!model.step(state, op, next)) return false;
    state = next;
  }
  return true;
}

// A key decided by the reads-from check: settled on the first advance, no memo, no states. On a
// violation the operations that prove it are the candidates (shown in red in the HTML).
class ReadsFromDecision final : public PartitionSearch {
 public:
  explicit ReadsFromDecision(ReadsFromVerdict verdict) : verdict_(verdict) {
    if (verdict_.outcome != ReadsFromVerdict::Outcome::not_linearizable) return;
    for (std::uint32_t op : verdict_.conflict.ops)
      if (op != initial_write && std::none_of(outcome.candidates.begin(), outcome.candidates.end(),
                                              [&](const auto& c) { return c.first == op; }))
        outcome.candidates.emplace_back(op, false);
  }
  SearchStatus advance(std::uint64_t, std::uint64_t,
                       const std::optional<std::chrono::steady_clock::time_point>&) override {
    return verdict_.outcome == ReadsFromVerdict::Outcome::linearizable ? SearchStatus::found
                                                                       : SearchStatus::exhausted;
  }
  std::uint64_t states() const override { return 0; }
  std::uint64_t memo_bytes() const override { return 0; }
  void release_memory() override {}
  void record_stop() override {}
  const ReadsFromVerdict* reads_from() const override { return &verdict_; }

 private:
  ReadsFromVerdict verdict_;
};

template <Model M>
class Search final : public PartitionSearch {
 public:
  using State = typename M::State;

  Search(std::vector<CompiledOp> ops, const std::vector<std::int64_t>& invoke_ns,
         const std::vector<std::int64_t>& return_ns, std::unique_ptr<ValueTable> values)
      : values_(std::move(values)),
        model_(*values_),
        ops_(std::move(ops)),
        list_(ops_, invoke_ns, return_ns),
        bit_of_(ranks_by_invocation(invoke_ns)),
        linearized_(completed_by_rank(ops_, bit_of_)),
        state_(model_.initial()) {
    for (const CompiledOp& op : ops_) completed_left_ += op.completed ? 1 : 0;
    find_twins(invoke_ns);
    stack_.reserve(ops_.size());
    entry_ = list_.first();
  }

  std::uint64_t states() const override { return states_; }
  std::uint64_t memo_bytes() const override { return memo_.bytes() + linearized_.bytes(); }
  void release_memory() override { memo_ = MemoTable(); }
  void record_stop() override { record_if_deeper(); }

  SearchStatus advance(
      std::uint64_t new_states, std::uint64_t memory_bytes,
      const std::optional<std::chrono::steady_clock::time_point>& deadline) override {
    const std::uint64_t states_limit = memo_.size() + new_states;
    std::uint64_t steps = 0;
    for (;;) {
      if (completed_left_ == 0) return SearchStatus::found;
      if (deadline && (++steps & 4095) == 0 && std::chrono::steady_clock::now() > *deadline) {
        record_if_deeper();
        return SearchStatus::budget;
      }
      if (entry_ != no_entry && list_.is_call(entry_)) {
        const std::uint32_t op = list_.op(entry_);
        State next_state{};
        if (!model_.step(state_, ops_[op], next_state) || dominated(op, next_state)) {
          entry_ = list_.next(entry_);
          continue;
        }
        const bool read_only = M::read_only(ops_[op]);
        if (memo_.size() >= states_limit) return SearchStatus::running;  // resumes right here
        if (memo_.bytes() > memory_bytes) {
          record_if_deeper();
          return SearchStatus::budget;
        }
        linearized_.set(bit_of_[op]);
        const std::uint64_t next_bits_hash = bits_hash_ ^ zobrist(op);
        const std::uint64_t word = M::encode(next_state);
        if (memo_.insert(next_bits_hash ^ splitmix64(word), word, linearized_)) {
          states_ = memo_.size();
          stack_.push_back({entry_, state_, read_only});
          state_ = next_state;
          bits_hash_ = next_bits_hash;
          list_.lift(entry_);
          if (ops_[op].completed) --completed_left_;
          entry_ = list_.first();
          guard_valid_ = false;
          continue;
        }
        linearized_.reset(bit_of_[op]);
        // A legal read-only candidate can always go first (see backtrack()): if placing it
        // leads to a configuration already known dead, so is this one.
        if (!read_only) {
          entry_ = list_.next(entry_);
          continue;
        }
      }
      if (!backtrack()) return SearchStatus::exhausted;
    }
  }

 private:
  struct Frame {
    std::int32_t entry;
    State state;
    bool read_only;
  };

  // Dead end: a completed operation's return was reached unplaced, or no candidate led on.
  // Pops frames until one has an untried alternative; false when the search space is exhausted.
  //
  // A frame that placed a legal read-only operation has no alternatives worth trying: if a
  // linearization exists from the configuration before it, moving that read to the front of it
  // is still one (the read was a candidate, so everything that must precede it is placed; it
  // changes no state, so nothing after it changes).
  bool backtrack() {
    record_if_deeper();
    for (;;) {
      if (stack_.empty()) return false;
      const Frame frame = stack_.back();
      stack_.pop_back();
      prefix_low_water_ = std::min(prefix_low_water_, stack_.size());
      const std::uint32_t op = list_.op(frame.entry);
      state_ = frame.state;
      linearized_.reset(bit_of_[op]);
      bits_hash_ ^= zobrist(op);
      list_.unlift(frame.entry);
      if (ops_[op].completed) ++completed_left_;
      guard_valid_ = false;
      if (!frame.read_only) {
        entry_ = list_.next(frame.entry);
        return true;
      }
    }
  }

  // Pruning rules that skip a legal candidate because another branch covers it. Each is a
  // dominance argument; none can hide a linearization.
  bool dominated(std::uint32_t op, const State& next_state) {
    const CompiledOp& candidate = ops_[op];
    if (!candidate.completed) {
      // An outcome-unknown op that changes nothing: leaving it unplaced keeps strictly more
      // options.
      if (M::encode(next_state) == M::encode(state_)) return true;
      // Interchangeable twins (same op, both invoked, no return): place them in invoke order only.
      if (!twin_before_.empty() && twin_before_[op] != no_twin && !is_linearized(twin_before_[op]))
        return true;
    }
    // After an outcome-unknown op, a blind op (whose result ignores the state) makes it invisible:
    // the configuration with the unknown op still unplaced is reached from the frame below and
    // dominates this one.
    if (M::blind(candidate) && !stack_.empty() && !ops_[list_.op(stack_.back().entry)].completed)
      return true;
    if constexpr (requires(M & m, State s) {
                    m.may_grow_into(s, candidate);
                    M::resets(candidate);
                    M::after_reset(candidate);
                  }) {
      if (!M::read_only(candidate) && !M::resets(candidate)) {
        const std::uint32_t read = guard_read();
        if (read != no_twin && !model_.may_grow_into(next_state, ops_[read])) return true;
      }
    }
    return false;
  }

  // For monotone models: an unplaced completed read r that no unplaced reset can "feed", i.e.
  // every reset invoked before r returns has a value that cannot grow into r's result. Then the
  // state after the candidate must itself grow into r's result (the last reset before r, if
  // any, would have to be one of those). Scans a bounded window from the head for the first
  // such read; cached per configuration.
  std::uint32_t guard_read() {
    if (guard_valid_) return guard_read_;
    guard_valid_ = true;
    guard_read_ = no_twin;
    if constexpr (requires(const CompiledOp& op) {
                    M::resets(op);
                    M::after_reset(op);
                  }) {
      constexpr int window_entries = 256;
      resets_seen_.clear();
      int scanned = 0;
      for (std::int32_t e = list_.first(); e != no_entry && scanned < window_entries;
           e = list_.next(e), ++scanned) {
        const std::uint32_t op = list_.op(e);
        if (list_.is_call(e)) {
          if (M::resets(ops_[op])) resets_seen_.push_back(op);
          continue;
        }
        if (!M::read_only(ops_[op])) continue;
        bool fed = false;
        for (std::uint32_t reset : resets_seen_)
          fed = fed || model_.may_grow_into(M::after_reset(ops_[reset]), ops_[op]);
        if (!fed) {
          guard_read_ = op;
          break;
        }
      }
    }
    return guard_read_;
  }

  bool is_linearized(std::uint32_t op) const { return linearized_.test(bit_of_[op]); }
  // The set's hash is the xor of its operations' random words (Zobrist), computed when needed.
  static std::uint64_t zobrist(std::uint32_t op) { return splitmix64(std::uint64_t{op} * 2 + 1); }

  // Each operation's bit: its rank in invocation order (ties by index), so that the linearized
  // set is nearly a prefix and the memo table stores it compactly (memo_table.h). Only the
  // memo's layout depends on it, never the order in which the search tries candidates.
  static std::vector<std::uint32_t> ranks_by_invocation(const std::vector<std::int64_t>& invoke) {
    std::vector<std::uint32_t> order(invoke.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    if (std::is_sorted(invoke.begin(), invoke.end())) return order;  // logs: already in order
    std::stable_sort(order.begin(), order.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return invoke[a] < invoke[b]; });
    std::vector<std::uint32_t> rank(invoke.size());
    for (std::uint32_t r = 0; r < order.size(); ++r) rank[order[r]] = r;
    return rank;
  }
  static std::vector<std::uint64_t> completed_by_rank(const std::vector<CompiledOp>& ops,
                                                      const std::vector<std::uint32_t>& rank) {
    std::vector<std::uint64_t> completed(LinearizedSet::words_for(ops.size()), 0);
    completed.reserve(LinearizedSet::storage_words(completed.size()));  // no second allocation
    for (std::size_t i = 0; i < ops.size(); ++i)
      if (ops[i].completed) completed[rank[i] >> 6] |= std::uint64_t{1} << (rank[i] & 63);
    return completed;
  }

  // twin_before_[c]: the latest earlier-invoked outcome-unknown op identical to c, or no_twin;
  // empty when no two operations have unknown outcomes.
  void find_twins(const std::vector<std::int64_t>& invoke_ns) {
    std::map<std::tuple<OpKind, std::uint32_t, std::uint32_t>, std::uint32_t> last;
    std::vector<std::uint32_t> order;
    for (std::uint32_t i = 0; i < ops_.size(); ++i)
      if (!ops_[i].completed) order.push_back(i);
    if (order.size() < 2) return;
    twin_before_.assign(ops_.size(), no_twin);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return invoke_ns[a] < invoke_ns[b]; });
    for (std::uint32_t i : order) {
      const auto key = std::make_tuple(ops_[i].kind, ops_[i].argument, ops_[i].argument2);
      auto it = last.find(key);
      if (it != last.end()) twin_before_[i] = it->second;
      last[key] = i;
    }
  }

  // Remembers the deepest point reached, for the explanation.
  void record_if_deeper() {
    if (static_cast<std::int64_t>(stack_.size()) <= best_depth_) return;
    best_depth_ = static_cast<std::int64_t>(stack_.size());
    // Only the part of the stack popped since the last record can differ: copy just that, so
    // recording stays linear overall even on long histories.
    outcome.prefix.resize(std::min(prefix_low_water_, outcome.prefix.size()));
    for (std::size_t i = outcome.prefix.size(); i < stack_.size(); ++i)
      outcome.prefix.push_back(list_.op(stack_[i].entry));
    prefix_low_water_ = stack_.size();
    outcome.state_after_prefix = model_.describe(state_);
    outcome.candidates.clear();
    std::int32_t e = list_.first();
    for (; e != no_entry && list_.is_call(e); e = list_.next(e)) {
      State ignored{};
      outcome.candidates.emplace_back(list_.op(e), model_.step(state_, ops_[list_.op(e)], ignored));
    }
    outcome.deadline_op = e != no_entry ? std::optional<std::uint32_t>(list_.op(e)) : std::nullopt;
  }

  std::unique_ptr<ValueTable> values_;  // owned here: the model refers to it
  M model_;
  std::vector<CompiledOp> ops_;
  EntryList list_;
  std::vector<std::uint32_t> bit_of_;  // op -> its rank by invocation time
  LinearizedSet linearized_;           // bit bit_of_[op] set: op is placed
  MemoTable memo_;
  std::vector<Frame> stack_;
  State state_;
  std::uint64_t bits_hash_ = 0;
  std::int32_t entry_ = no_entry;
  std::size_t completed_left_ = 0;
  std::uint64_t states_ = 0;
  std::int64_t best_depth_ = -1;
  std::vector<std::uint32_t> twin_before_;
  bool guard_valid_ = false;
  std::uint32_t guard_read_ = no_twin;
  std::vector<std::uint32_t> resets_seen_;
  std::size_t prefix_low_water_ = 0;  // stack_[0, this) still equals outcome.prefix's start
};

// The key's search, or its reads-from decision when `reads_from_check` and the check applies.
template <Model M>
Result<std::unique_ptr<PartitionSearch>> make_search(const History& history,
                                                     const std::vector<std::size_t>& indices,
                                                     bool reads_from_check) {
  auto values = std::make_unique<ValueTable>();
  std::vector<CompiledOp> ops;
  std::vector<std::int64_t> invoke_ns, return_ns;
  ops.reserve(indices.size());
  invoke_ns.reserve(indices.size());
  return_ns.reserve(indices.size());
  for (std::size_t index : indices) {
    const Operation& op = history.operations[index];
    auto compiled = M::compile(op, *values);
    if (!compiled) return std::unexpected(compiled.error());
    ops.push_back(*compiled);
    invoke_ns.push_back(op.invoke_ns);
    return_ns.push_back(op.return_ns.value_or(infinite_ns));
  }
  if constexpr (std::is_same_v<M, RegisterModel> || std::is_same_v<M, CasRegisterModel>) {
    if (reads_from_check) {
      const ReadsFromVerdict verdict = check_reads_from(ops, invoke_ns, return_ns);
      if (verdict.outcome != ReadsFromVerdict::Outcome::not_applicable)
        return std::make_unique<ReadsFromDecision>(verdict);
    }
  }
  if (replays_sequentially<M>(ops, invoke_ns, return_ns, *values))
    return std::make_unique<SequentialDecision>(ops.size());
  return std::make_unique<Search<M>>(std::move(ops), invoke_ns, return_ns, std::move(values));
}

Result<std::unique_ptr<PartitionSearch>> make_search(ModelKind kind, const History& history,
                                                     const std::vector<std::size_t>& indices,
                                                     bool reads_from_check) {
  switch (kind) {
    case ModelKind::register_rw:
      return make_search<RegisterModel>(history, indices, reads_from_check);
    case ModelKind::cas_register:
    case ModelKind::kv: return make_search<CasRegisterModel>(history, indices, reads_from_check);
    case ModelKind::append_list:
      return make_search<AppendListModel>(history, indices, reads_from_check);
  }
  FL_UNREACHABLE("unknown model kind");
}

using Searches = std::vector<std::unique_ptr<PartitionSearch>>;

// P-compositionality: one search per key, and its PartitionReport (key and operations) in
// `report`. A read whose outcome is unknown neither changes state nor constrains it, so it is
// left out.
Result<Searches> partition_by_key(const History& history, ModelKind model,
                                  const CheckOptions& options, Report& report) {
  // Operations by key, in first-seen order; then the keys in sorted order (hashing, then one
  // sort of the distinct keys, costs less than a tree keyed by strings).
  std::unordered_map<std::string_view, std::size_t> key_index;
  std::vector<std::pair<std::string_view, std::vector<std::size_t>>> keys;
  for (std::size_t i = 0; i < history.operations.size(); ++i) {
    const Operation& op = history.operations[i];
    if (op.kind == OpKind::read && !op.completed()) continue;
    const auto [it, inserted] = key_index.try_emplace(op.key, keys.size());
    if (inserted) keys.emplace_back(op.key, std::vector<std::size_t>());
    keys[it->second].second.push_back(i);
  }
  std::sort(keys.begin(), keys.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  Searches searches;
  for (auto& [key, indices] : keys) {
    auto search = make_search(model, history, indices, options.reads_from_check);
    if (!search) return std::unexpected(search.error());
    searches.push_back(std::move(*search));
    PartitionReport part;
    part.key = std::string(key);
    part.operations = std::move(indices);
    report.partitions.push_back(std::move(part));
  }
  return searches;
}

// Round-robin in key order with a doubling quantum of new states: deterministic, and a key
// that fails fast is found even when another key needs millions of states. Returns each key's
// final status; sets the report's budget reason and peak memo size.
std::vector<SearchStatus> run_searches(Searches& searches, const CheckOptions& options,
                                       Report& report) {
  std::vector<SearchStatus> status(searches.size(), SearchStatus::running);
  std::uint64_t states_used = 0;
  std::uint64_t quantum = 4096;
  bool running = !searches.empty();
  bool stop = false;
  while (running && !stop) {
    running = false;
    for (std::size_t k = 0; k < searches.size() && !stop; ++k) {
      if (status[k] != SearchStatus::running) continue;
      std::uint64_t other_bytes = 0;
      for (std::size_t j = 0; j < searches.size(); ++j)
        if (j != k && status[j] == SearchStatus::running) other_bytes += searches[j]->memo_bytes();
      const std::uint64_t states_left =
          options.max_states - std::min(options.max_states, states_used);
      const std::uint64_t memory_left =
          options.max_memory_bytes - std::min(options.max_memory_bytes, other_bytes);
      const std::uint64_t before = searches[k]->states();
      if (states_left == 0) {
        status[k] = SearchStatus::budget;
        searches[k]->record_stop();
        report.budget = Budget::states;
        report.unknown_reason =
            fmt::format("the state budget of {} was exhausted", options.max_states);
      } else {
        status[k] =
            searches[k]->advance(std::min(quantum, states_left), memory_left, options.deadline);
      }
      states_used += searches[k]->states() - before;
      report.memo_peak_bytes =
          std::max(report.memo_peak_bytes, searches[k]->memo_bytes() + other_bytes);
      if (status[k] == SearchStatus::running) {
        running = true;
        continue;
      }
      if (status[k] == SearchStatus::budget && report.budget == Budget::none) {
        const bool late = options.deadline && std::chrono::steady_clock::now() > *options.deadline;
        report.budget = late ? Budget::deadline : Budget::memory;
        report.unknown_reason = late ? "the deadline passed"
                                     : fmt::format("the memory budget of {} bytes was exhausted",
                                                   options.max_memory_bytes);
      }
      if (status[k] == SearchStatus::exhausted && options.stop_at_first_violation) stop = true;
      if (status[k] != SearchStatus::budget) searches[k]->release_memory();
    }
    quantum *= 2;
  }
  return status;
}

// The value a write wrote or a read returned, as the explanation names it.
std::string value_of(const Operation& op) {
  return format_value(op.kind == OpKind::read ? op.result : op.argument);
}

// The reads-from check's account of a violation; `local` maps its indices to history indices.
std::string describe_conflict(const History& history, const std::vector<std::size_t>& local,
                              const ReadsFromConflict& conflict) {
  auto op = [&](int i) { return describe_operation(history.operations[local[conflict.ops[i]]]); };
  using Kind = ReadsFromConflict::Kind;
  switch (conflict.kind) {
    case Kind::never_written: return fmt::format("{} returns a value no write wrote\n", op(0));
    case Kind::read_before_write:
      return fmt::format("{}\n  returned before the only write of its value was invoked: {}\n",
                         op(0), op(1));
    case Kind::cycle: break;
  }
  std::string text =
      "every write has its own value, so a write and the reads of its value take effect "
      "together, as one block; no order of the blocks fits:\n";
  const std::string first = conflict.ops[0] == initial_write
                                ? std::string("nil")
                                : value_of(history.operations[local[conflict.ops[0]]]);
  const std::string second = value_of(history.operations[local[conflict.ops[1]]]);
  if (conflict.ops[0] == initial_write)
    text += fmt::format(
        "  nil is the initial value: the block of nil comes before the block of {}\n", second);
  else
    text += fmt::format(
        "  {} returned before\n  {} was invoked: the block of {} comes before the "
        "block of {}\n",
        op(0), op(1), first, second);
  text += fmt::format(
      "  {} returned before\n  {} was invoked: the block of {} comes before the block of {}\n",
      op(2), op(3), second, first);
  return text;
}

// A search's longest prefix, state and candidates, as history indices.
void copy_outcome(const SearchOutcome& outcome, PartitionReport& part) {
  part.longest_prefix.clear();
  part.candidates.clear();
  for (std::uint32_t local : outcome.prefix) part.longest_prefix.push_back(part.operations[local]);
  part.state_after_prefix = outcome.state_after_prefix;
  for (auto [local, legal] : outcome.candidates)
    part.candidates.push_back({part.operations[local], legal});
  if (outcome.deadline_op) part.deadline_op = part.operations[*outcome.deadline_op];
}

// Each partition's states, verdict, longest prefix and candidates, and the history's verdict:
// the first key that is not linearizable, else the first unknown one.
void collect_verdicts(const History& history, const Searches& searches,
                      const std::vector<SearchStatus>& status, Report& report) {
  std::optional<std::size_t> first_unknown;
  for (std::size_t k = 0; k < searches.size(); ++k) {
    PartitionReport& part = report.partitions[k];
    part.states = searches[k]->states();
    report.states += part.states;
    const ReadsFromVerdict* decided = searches[k]->reads_from();
    part.by_reads_from = decided != nullptr;
    if (status[k] == SearchStatus::found) continue;
    part.verdict =
        status[k] == SearchStatus::exhausted ? Verdict::not_linearizable : Verdict::unknown;
    copy_outcome(searches[k]->outcome, part);
    if (decided) {
      part.reason = describe_conflict(history, part.operations, decided->conflict);
      part.prefix_searched = false;
    }
    if (part.verdict == Verdict::not_linearizable && !report.failing) {
      report.verdict = Verdict::not_linearizable;
      report.failing = k;
    }
    if (part.verdict == Verdict::unknown && !first_unknown) first_unknown = k;
  }
  if (report.verdict != Verdict::not_linearizable && first_unknown) {
    report.verdict = Verdict::unknown;
    report.failing = first_unknown;
  }
  if (report.verdict != Verdict::unknown) {
    report.unknown_reason.clear();
    report.budget = Budget::none;
  }
}

// The reads-from check proved the failing key not linearizable; the search, within
// `explanation_states`, adds the usual explanation (longest prefix and what could not follow).
// When it runs out, the reads-from check's operations stay the candidates and no prefix is shown.
void explain_by_search(const History& history, const CheckOptions& options, Report& report) {
  PartitionReport& part = report.partitions[*report.failing];
  auto search = make_search(report.model, history, part.operations, false);
  FL_ASSERT(search.has_value(), "the key compiled once already");
  const std::uint64_t states = std::min(options.explanation_states, options.max_states);
  const SearchStatus status =
      (*search)->advance(states, options.max_memory_bytes, options.deadline);
  FL_ASSERT(status != SearchStatus::found, "the reads-from check and the search disagree");
  part.states += (*search)->states();
  report.states += (*search)->states();
  if (status != SearchStatus::exhausted) return;
  part.prefix_searched = true;
  copy_outcome((*search)->outcome, part);
}

}  // namespace

Result<Report> check_history(const History& history, ModelKind model, const CheckOptions& options) {
  if (auto valid = validate_history(history); !valid) return std::unexpected(valid.error());
  Report report;
  report.model = model;
  auto searches = partition_by_key(history, model, options, report);
  if (!searches) return std::unexpected(searches.error());
  const std::vector<SearchStatus> status = run_searches(*searches, options, report);
  collect_verdicts(history, *searches, status, report);
  if (report.verdict == Verdict::not_linearizable &&
      report.partitions[*report.failing].by_reads_from)
    explain_by_search(history, options, report);
  return report;
}

namespace {

// The longest prefix, the state after it and the candidates that could not follow.
std::string explain_prefix(const History& history, const Report& report,
                           const PartitionReport& part) {
  std::string text = fmt::format("longest linearizable prefix found: {} of {} operations\n",
                                 part.longest_prefix.size(), part.operations.size());
  constexpr std::size_t shown = 12;
  const std::size_t skip =
      part.longest_prefix.size() > shown ? part.longest_prefix.size() - shown : 0;
  if (skip > 0) text += fmt::format("  ... {} earlier operations\n", skip);
  for (std::size_t i = skip; i < part.longest_prefix.size(); ++i)
    text += fmt::format("  {:>4}. {}\n", i + 1,
                        describe_operation(history.operations[part.longest_prefix[i]]));
  text += fmt::format("state after the prefix: {}\n", part.state_after_prefix);
  text += report.verdict == Verdict::unknown ? "candidates at that point (search unfinished):\n"
                                             : "operations that could not be placed next:\n";
  for (const Candidate& c : part.candidates)
    text += fmt::format("  {}  [{}]\n", describe_operation(history.operations[c.operation]),
                        c.legal_here ? "legal here, but no linearization continues from it"
                                     : "the model rejects it in this state");
  if (part.deadline_op)
    text += fmt::format("the first of them had to take effect before it returned: {}\n",
                        describe_operation(history.operations[*part.deadline_op]));
  return text;
}

}  // namespace

std::string explain(const History& history, const Report& report) {
  std::string text = fmt::format(
      "{} (model {}, {} operations, {} keys checked, {} states)\n", to_string(report.verdict),
      to_string(report.model), history.operations.size(), report.partitions.size(), report.states);
  if (!report.failing) return text;
  const PartitionReport& part = report.partitions[*report.failing];
  if (report.verdict == Verdict::unknown)
    text += fmt::format("gave up: {}\n", report.unknown_reason);
  text += fmt::format("key \"{}\": {} operations\n", part.key, part.operations.size());
  if (!part.reason.empty()) text += "reads-from check: " + part.reason;
  if (part.prefix_searched) text += explain_prefix(history, report, part);
  return text;
}

}  // namespace faultline::lin
