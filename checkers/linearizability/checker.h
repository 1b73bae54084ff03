// The linearizability checker: Wing & Gong search with Lowe's memoization, as in Porcupine,
// run separately on each key (P-compositionality: a history is linearizable iff each key's
// sub-history is). A register key whose writes all have distinct values is decided instead by
// the polynomial reads-from check (reads_from.h), exact as well.
//
// Verdicts are exact. `linearizable` means a linearization was found; `not_linearizable` means
// the search was exhausted; `unknown` means a budget ran out first. Budgets:
//   * max_states: memo entries (distinct (linearized set, model state) pairs) over the whole
//     check; deterministic, and what tests use;
//   * max_memory_bytes: memo-table bytes at any moment; deterministic too;
//   * deadline (optional, wall clock): checked every few thousand search steps. It can only
//     turn an answer into `unknown`; it never flips one, because a verdict is only ever given
//     when the search itself concludes.
// The search is single-threaded and visits candidates in a fixed order (entries sorted by time,
// then call-before-return, then operation index), so verdict, explanation and state counts are
// the same on every run with the same budgets.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checkers/linearizability/history.h"
#include "sim/core/result.h"

namespace faultline::lin {

enum class ModelKind {
  register_rw,   // "register": read/write
  cas_register,  // "cas-register": read/write/cas (etcd)
  kv,            // "kv": a map of cas registers, one per key (the same search, named for users)
  append_list,   // "append-list": append/get/put strings per key
};

std::string_view to_string(ModelKind kind);
Result<ModelKind> parse_model_kind(std::string_view name);
// The model a history's operation kinds call for: append-list if any append, else kv when keys
// are used, else cas-register.
ModelKind infer_model(const History& history);

enum class Verdict { linearizable, not_linearizable, unknown };
std::string_view to_string(
    Verdict verdict);  // "linearizable", "not linearizable", "unknown (budget exhausted)"

struct CheckOptions {
  std::uint64_t max_states = 50'000'000;
  std::uint64_t max_memory_bytes = std::uint64_t{2} << 30;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  bool stop_at_first_violation = true;  // false: check every key (slower, reports them all)
  // Keys whose writes all have distinct values are decided by the reads-from check
  // (reads_from.h) in O(n log n); false forces the search everywhere (tests compare the two).
  bool reads_from_check = true;
  // When the reads-from check finds a violation, the search is also run on that key, with at
  // most this many states, for the usual explanation (longest prefix, candidates); beyond it the
  // explanation is the reads-from check's own. It never changes the verdict.
  std::uint64_t explanation_states = 20'000;
};

// The budget that ended a check with `unknown` (none for a verdict).
enum class Budget { none, states, memory, deadline };

// The ops that were candidates at the longest prefix and why they could not be placed.
struct Candidate {
  std::size_t operation = 0;  // index into History::operations
  bool legal_here = false;    // the model accepts it after the prefix (but no completion follows)
};

struct PartitionReport {
  std::string key;
  Verdict verdict = Verdict::linearizable;
  std::vector<std::size_t> operations;  // history indices checked (crashed reads are skipped)
  std::uint64_t states = 0;             // memo entries this key used
  // Filled when the key is not linearizable or unknown:
  std::vector<std::size_t> longest_prefix;  // history indices in the linearization order found
  std::string state_after_prefix;           // the model state after it
  std::vector<Candidate> candidates;        // ops that could come next, none of which led on
  std::optional<std::size_t> deadline_op;   // the completed op whose return closed the window
  bool by_reads_from = false;  // decided by the reads-from check (distinct written values)
  std::string reason;          // its account of a violation: the operations that prove it
  // longest_prefix, state_after_prefix and deadline_op come from a search (always, unless the
  // key was decided by the reads-from check and the search for its explanation ran out).
  bool prefix_searched = true;
};

struct Report {
  Verdict verdict = Verdict::linearizable;
  ModelKind model = ModelKind::cas_register;
  std::vector<PartitionReport> partitions;  // in key order; the ones checked
  std::optional<std::size_t> failing;  // index into partitions: first violation, else first unknown
  std::string unknown_reason;          // "state budget of N exhausted", ...
  Budget budget = Budget::none;        // the budget that made the verdict unknown
  std::uint64_t states = 0;
  std::uint64_t memo_peak_bytes = 0;  // largest memo table (arena + index) of any key
};

// Errors only for operations the model does not support or histories breaking history.h.
Result<Report> check_history(const History& history, ModelKind model,
                             const CheckOptions& options = {});

// A person-readable account: verdict, key, longest prefix, ops that could not be placed.
std::string explain(const History& history, const Report& report);

}  // namespace faultline::lin
