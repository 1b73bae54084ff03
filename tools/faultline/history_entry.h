// `faultline check-history` and `faultline lin` on a recorded history, for one protocol binding
// B: the history file (sim/real/history_io.h) decoded as B's protocol, judged by the history
// checks of B's suite (built from the header's config), and its client operations for the
// linearizability checker.
//
// A recorded history is what a client saw and nothing more: no node states, no fault log. A
// history check that reads more (HistoryCheck::needs_beyond_history) is listed as not
// evaluated, with its reason, and never fails the verdict. A check named `linearizable` runs
// through the binding's client_operations() when it offers them (the same mapping and model as
// the suite's check) under lin's budgets, so a runaway search ends `unknown` and the explanation
// names the file's lines. The suite's metrics over the history (latencies) are reported on the
// history's clock. Exit codes as `run`'s: 0 every evaluated check held, 2 a safety check failed,
// 3 a liveness check failed or a check was inconclusive, 1 an unreadable or malformed file.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "checkers/linearizability/simulation_bridge.h"
#include "sim/core/check_suite.h"
#include "sim/engine/run_outcome.h"
#include "sim/real/history_io.h"
#include "tools/faultline/binding.h"
#include "tools/faultline/command_args.h"

namespace faultline::cli {

// Every check's verdict over one history, the outcome, and the metrics.
struct HistoryVerdicts {
  std::vector<CheckVerdict> verdicts;
  RunStatus status = RunStatus::passed;
  std::string failure;  // the first failure in full: "linearizable: not linearizable ..."
  Metrics metrics;
};

// What the report says about the file itself.
struct HistorySummary {
  std::string protocol;
  std::vector<std::string> node_names;
  std::optional<real::HistoryHeader> header;
  std::size_t invocations = 0;
  std::size_t emissions = 0;
  Time first;
  Time last;
};

// Prints "faultline check-history: <error>" to stderr; returns exit_usage.
int history_error(const Error& error);

// Adds one check's verdict: held, or failed (a safety failure unless `liveness` or
// inconclusive). The table shows a failure's first line; `failure` keeps it whole.
void add_history_verdict(HistoryVerdicts& out, const std::string& name, bool liveness,
                         const std::optional<CheckFailure>& failure);
void add_not_evaluated(HistoryVerdicts& out, const std::string& name, const std::string& why);
// The linearizable check over client operations, under the --budget-* and --timeout-ms limits.
void add_linearizable_verdict(HistoryVerdicts& out, const lin::ClientOperations& operations,
                              const LinBudgetArgs& budgets);

// Prints the report (or --json); returns the exit code.
int print_history_report(const CheckHistoryArgs& args, const HistorySummary& summary,
                         const HistoryVerdicts& verdicts);

template <Protocol P>
Result<typename P::Config> recorded_config(const std::string& path,
                                           const real::RecordedHistory<P>& recorded) {
  const ConfigTree tree = recorded.header ? recorded.header->config : ConfigTree{};
  auto config =
      decode_protocol_config<P>(tree, static_cast<std::uint32_t>(recorded.node_names.size()));
  if (!config) return fail(path, recorded.header_line, "header: " + config.error().to_string());
  return config;
}

template <Protocol P>
HistorySummary summarize_recorded(const real::RecordedHistory<P>& recorded) {
  HistorySummary summary;
  summary.protocol = std::string(P::name);
  summary.node_names = recorded.node_names;
  summary.header = recorded.header;
  const History<P>& h = recorded.history;
  summary.invocations = h.invocations.size();
  summary.emissions = h.emissions.size();
  const auto widen = [&](Time t, bool first) {
    summary.first = first ? t : std::min(summary.first, t);
    summary.last = first ? t : std::max(summary.last, t);
  };
  bool first = true;
  for (const auto& inv : h.invocations) widen(inv.time, std::exchange(first, false));
  for (const auto& em : h.emissions) widen(em.time, std::exchange(first, false));
  return summary;
}

template <ProtocolBinding B>
HistoryVerdicts judge_recorded(const CheckHistoryArgs& args,
                               const real::RecordedHistory<typename B::ProtocolTag>& recorded,
                               const CheckSuite<typename B::ProtocolTag>& suite) {
  using P = typename B::ProtocolTag;
  const std::vector<FaultRecord> no_faults;  // a client sees no fault injector
  const Time end = summarize_recorded(recorded).last;
  const RunRecord<P> record{
      recorded.history, ClusterView<P>{{}, {}, end}, no_faults, recorded.node_names, end, end};
  HistoryVerdicts out;
  for (const HistoryCheck<P>& check : suite.history_checks) {
    if (!check.needs_beyond_history.empty()) {
      add_not_evaluated(out, check.name, check.needs_beyond_history);
      continue;
    }
    if (check.name == "linearizable")
      if (auto ops = B::client_operations(recorded.history, recorded.invocation_lines)) {
        add_linearizable_verdict(out, *ops, args.budgets);
        continue;
      }
    add_history_verdict(out, check.name, check.liveness, check.check(record));
  }
  if (suite.metrics) out.metrics = suite.metrics(record);
  return out;
}

template <ProtocolBinding B>
int run_check_history(const CheckHistoryArgs& args, real::HistoryLines lines) {
  using P = typename B::ProtocolTag;
  auto recorded = real::decode_history<P>(args.path, std::move(lines));
  if (!recorded) return history_error(recorded.error());
  auto config = recorded_config<P>(args.path, *recorded);
  if (!config) return history_error(config.error());
  const CheckSuite<P> suite = B::check_suite(*config);
  // Nothing to judge is an error, never a vacuous pass.
  const bool judgeable = std::ranges::any_of(
      suite.history_checks, [](const auto& check) { return check.needs_beyond_history.empty(); });
  if (!judgeable)
    return history_error(Error{
        args.path, 0,
        "the protocol " + std::string(P::name) +
            (suite.history_checks.empty() ? " has no history checks"
                                          : " has no history check a client history can decide") +
            ", so a recorded history cannot be judged (its checks read the nodes' states)"});
  if (recorded->history.invocations.empty() && recorded->history.emissions.empty())
    return history_error(Error{args.path, 0, "no events to check: the file holds only its header"});
  const HistoryVerdicts verdicts = judge_recorded<B>(args, *recorded, suite);
  return print_history_report(args, summarize_recorded(*recorded), verdicts);
}

template <ProtocolBinding B>
Result<lin::ClientOperations> recorded_client_operations(const std::string& path,
                                                         real::HistoryLines lines) {
  using P = typename B::ProtocolTag;
  auto recorded = real::decode_history<P>(path, std::move(lines));
  if (!recorded) return std::unexpected(recorded.error());
  auto operations = B::client_operations(recorded->history, recorded->invocation_lines);
  if (!operations)
    return fail(path, 0,
                "a " + std::string(P::name) +
                    " history holds no register operations for the linearizability checker; "
                    "judge it with `faultline check-history`");
  return std::move(*operations);
}

}  // namespace faultline::cli
