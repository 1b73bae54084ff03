// From a simulation's client history to a linearizability verdict.
//
// The simulator records every Input a node received (with its client) and every Output a node
// emitted (sim/core/history.h). A register-like protocol says which of those are client
// operations with a small mapping type M:
//
//   std::optional<lin::Call>  M::call(const P::Input&)    // a client operation, else none
//   std::optional<lin::Reply> M::reply(const P::Output&)  // the reply to a request, else none
//
// history_from_simulation() pairs calls and replies by request id: an ok reply completes the
// operation at the reply's time; a failed reply (the operation definitely did not happen)
// removes it; no reply, or an unknown one (timeout), leaves it "may or may not have taken
// effect". Invocations lost at a down node are kept as unknown: the client could not tell.
// linearizable_check() turns that into the `linearizable` history check of a CheckSuite: a
// violation is a safety failure; a search that ran out of budget is inconclusive, never a pass
// and never a violation.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>

#include "checkers/linearizability/checker.h"
#include "checkers/linearizability/history.h"
#include "sim/core/check_suite.h"

namespace faultline::lin {

struct Call {
  std::uint64_t request_id = 0;
  std::string key;
  OpKind kind = OpKind::read;
  Value argument;
  Value argument2;
};

struct Reply {
  enum class Status { ok, failed, unknown };
  std::uint64_t request_id = 0;
  Status status = Status::ok;
  Value result;
};

// A client history as operations for the checker, with the model they follow: what a protocol's
// binding gives `faultline lin` and `faultline check-history` for a recorded history.
struct ClientOperations {
  ModelKind model = ModelKind::kv;
  History history;
};

// `invocation_lines`, when given, holds each invocation's line in the file it was read from
// (parallel to recorded.invocations), so explanations name the line of each operation.
template <class P, class Mapping>
History history_from_simulation(const faultline::History<P>& recorded, const Mapping& mapping,
                                std::span<const int> invocation_lines = {}) {
  History history;
  std::map<std::uint64_t, std::size_t> index_by_request;  // request id -> operation index
  for (std::size_t i = 0; i < recorded.invocations.size(); ++i) {
    const auto& invocation = recorded.invocations[i];
    const std::optional<Call> call = mapping.call(invocation.input);
    if (!call || index_by_request.contains(call->request_id)) continue;  // a retry: same call
    Operation op;
    if (i < invocation_lines.size()) op.source_line = invocation_lines[i];
    op.client = invocation.client.value;
    op.invoke_ns = invocation.time.nanoseconds;
    op.key = call->key;
    op.kind = call->kind;
    op.argument = call->argument;
    op.argument2 = call->argument2;
    index_by_request.emplace(call->request_id, history.operations.size());
    history.operations.push_back(std::move(op));
  }
  std::vector<bool> failed(history.operations.size(), false);
  for (const auto& emission : recorded.emissions) {
    const std::optional<Reply> reply = mapping.reply(emission.output);
    if (!reply) continue;
    const auto it = index_by_request.find(reply->request_id);
    if (it == index_by_request.end()) continue;  // a reply to nothing we invoked: not a client op
    Operation& op = history.operations[it->second];
    if (op.return_ns || failed[it->second]) continue;  // duplicate replies: the first one counts
    switch (reply->status) {
      case Reply::Status::ok:
        op.return_ns = emission.time.nanoseconds;
        op.result = reply->result;
        break;
      case Reply::Status::failed: failed[it->second] = true; break;
      case Reply::Status::unknown: break;
    }
  }
  History kept;
  for (std::size_t i = 0; i < history.operations.size(); ++i)
    if (!failed[i]) kept.operations.push_back(std::move(history.operations[i]));
  return kept;
}

template <class P, class Mapping>
HistoryCheck<P> linearizable_check(ModelKind model, Mapping mapping, CheckOptions options = {}) {
  HistoryCheck<P> check;
  check.name = "linearizable";
  check.liveness = false;
  check.check = [model, mapping,
                 options](const RunRecord<P>& record) -> std::optional<CheckFailure> {
    const History history = history_from_simulation<P>(record.history, mapping);
    const auto report = check_history(history, model, options);
    if (!report)
      return CheckFailure("the client history is malformed: " + report.error().to_string());
    switch (report->verdict) {
      case Verdict::linearizable: return std::nullopt;
      case Verdict::not_linearizable: return CheckFailure(explain(history, *report));
      case Verdict::unknown:
        return CheckFailure("linearizability unknown: " + report->unknown_reason, true);
    }
    return CheckFailure("unreachable verdict");
  };
  return check;
}

}  // namespace faultline::lin
