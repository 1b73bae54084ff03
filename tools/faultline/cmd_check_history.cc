// `faultline check-history [--protocol P] FILE`: judges a history recorded by `faultline client
// --history` (or `faultline run --history`) by the protocol's history checks, as `run` judges a
// simulated one (history_entry.h). The protocol and its config come from the file's header;
// --protocol names it for a file without one.
#include <cstdio>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "checkers/linearizability/checker.h"
#include "sim/core/text.h"
#include "tools/faultline/commands.h"
#include "tools/faultline/entry.h"
#include "tools/faultline/history_entry.h"
#include "tools/faultline/report.h"

namespace faultline::cli {

int history_error(const Error& error) {
  std::cerr << "faultline check-history: " << error.to_string() << '\n';
  return exit_usage;
}

void add_history_verdict(HistoryVerdicts& out, const std::string& name, bool liveness,
                         const std::optional<CheckFailure>& failure) {
  CheckVerdict verdict{name, "history", true, ""};
  if (failure) {
    const std::string reason = (failure->inconclusive ? "inconclusive: " : "") + failure->reason;
    verdict.passed = false;
    verdict.detail = reason.substr(0, reason.find('\n'));
    const bool safety = !liveness && !failure->inconclusive;
    out.status =
        worse_of(out.status, safety ? RunStatus::safety_violation : RunStatus::liveness_violation);
    if (out.failure.empty()) out.failure = name + ": " + reason;
  }
  out.verdicts.push_back(std::move(verdict));
}

void add_not_evaluated(HistoryVerdicts& out, const std::string& name, const std::string& why) {
  out.verdicts.push_back(CheckVerdict{name, "history", false, "not evaluated: " + why, false});
}

void add_linearizable_verdict(HistoryVerdicts& out, const lin::ClientOperations& operations,
                              const LinBudgetArgs& budgets) {
  const lin::History& history = operations.history;
  if (history.operations.empty()) {
    add_not_evaluated(out, "linearizable", "the history holds no client operation");
    return;
  }
  auto report = lin::check_history(history, operations.model, lin_check_options(budgets));
  if (!report) {
    add_history_verdict(
        out, "linearizable", false,
        CheckFailure("the client operations are malformed: " + report.error().to_string()));
    return;
  }
  switch (report->verdict) {
    case lin::Verdict::linearizable:
      add_history_verdict(out, "linearizable", false, std::nullopt);
      out.verdicts.back().detail = format_count(history.operations.size()) + " operations on " +
                                   format_count(report->partitions.size()) + " keys (model " +
                                   std::string(lin::to_string(operations.model)) + ")";
      return;
    case lin::Verdict::not_linearizable:
      add_history_verdict(out, "linearizable", false, CheckFailure(lin::explain(history, *report)));
      return;
    case lin::Verdict::unknown:
      add_history_verdict(
          out, "linearizable", false,
          CheckFailure("linearizability unknown: " + lin_budget_reason(budgets, *report), true));
      return;
  }
}

namespace {

std::string clock_name(const HistorySummary& summary) {
  if (!summary.header) return "the history's clock";
  if (summary.header->clock == "monotonic") return "wall clock";
  if (summary.header->clock == "virtual") return "virtual time";
  return "the history's clock";
}

void print_history_text(const CheckHistoryArgs& args, const HistorySummary& s,
                        const HistoryVerdicts& v) {
  std::FILE* out = stdout;
  std::fprintf(out, "history      %s (%s, %zu nodes)\n", args.path.c_str(), s.protocol.c_str(),
               s.node_names.size());
  if (s.header)
    std::fprintf(out, "recorded by  %s\n", excerpt(s.header->recorded_by, 200).c_str());
  else
    std::fprintf(out, "header       none (a file recorded before headers): the default config\n");
  std::fprintf(out, "events       %s invocations, %s emissions over %s (%s)\n",
               format_count(s.invocations).c_str(), format_count(s.emissions).c_str(),
               format_duration(s.last - s.first).c_str(), clock_name(s).c_str());
  std::fprintf(out, "result       %s\n", result_text(v.status).c_str());
  print_checks_table(out, v.verdicts);
  print_metrics_table(out, v.metrics, clock_name(s));
  if (v.status != RunStatus::passed) std::fprintf(out, "failure      %s\n", v.failure.c_str());
}

nlohmann::json history_json(const CheckHistoryArgs& args, const HistorySummary& s,
                            const HistoryVerdicts& v) {
  nlohmann::json out = {{"path", args.path},
                        {"protocol", s.protocol},
                        {"nodes", s.node_names.size()},
                        {"header", s.header.has_value()},
                        {"invocations", s.invocations},
                        {"emissions", s.emissions},
                        {"status", std::string(to_string(v.status))},
                        {"exit_code", exit_code_for(v.status)},
                        {"failure", v.failure},
                        {"checks", checks_json(v.verdicts)},
                        {"metrics", metrics_json(v.metrics)}};
  if (s.header) out["recorded_by"] = s.header->recorded_by;
  return out;
}

int check_history_file(const CheckHistoryArgs& args) {
  auto lines = real::read_history_lines(args.path);
  if (!lines) return history_error(lines.error());
  // Nothing to check is an error, never a vacuous pass.
  if (lines->events.empty() && !lines->header)
    return history_error(Error{args.path, 0, "no events to check: the file is empty"});
  auto entry = recorded_protocol(args.path, *lines, args.protocol, /*for_lin=*/false);
  if (!entry) return history_error(entry.error());
  return (*entry)->check_history(args, std::move(*lines));
}

}  // namespace

int print_history_report(const CheckHistoryArgs& args, const HistorySummary& summary,
                         const HistoryVerdicts& verdicts) {
  if (args.json)
    std::cout << history_json(args, summary, verdicts).dump(2) << '\n';
  else
    print_history_text(args, summary, verdicts);
  std::fflush(stdout);
  return exit_code_for(verdicts.status);
}

void add_check_history_command(CLI::App& app) {
  auto args = std::make_shared<CheckHistoryArgs>();
  CLI::App* command = app.add_subcommand(
      "check-history",
      "Judge a recorded client history by the protocol's history checks (exit 0 held, 2 a "
      "safety check failed, 3 inconclusive, 1 error)");
  command
      ->add_option("FILE", args->path, "History recorded by `client --history` or `run --history`")
      ->required();
  command->add_option("--protocol", args->protocol,
                      "The history's protocol (default: the file's header; needed without one)");
  command->add_flag("--json", args->json, "Print the report as JSON");
  add_lin_budget_options(command, args->budgets);
  command->callback([args] { exit_code() = check_history_file(*args); });
}

}  // namespace faultline::cli
