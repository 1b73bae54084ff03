// `faultline lin FILE`: check a history file for linearizability.
//
// Reads lin's own formats (checkers/linearizability/readers.h) and histories recorded by
// `faultline client --history` or `run --history` (sim/real/history_io.h), whose protocol's
// binding turns them into operations (Raft's key-value requests as a kv model).
//
// Exit codes: 0 linearizable, 2 not linearizable, 3 unknown (a budget ran out: states, memory
// or the default 10 s time limit), 1 usage, read or parse error (the message names the file and
// line), a directory, or a file with no operations.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "checkers/linearizability/checker.h"
#include "checkers/linearizability/html.h"
#include "checkers/linearizability/readers.h"
#include "sim/real/history_io.h"
#include "tools/faultline/commands.h"
#include "tools/faultline/entry.h"
#include "tools/faultline/lin_options.h"

namespace faultline::cli {
namespace {

struct LinOptions {
  std::string file;
  std::string format = "auto";
  std::string model = "auto";
  std::string protocol;  // a recorded history without a header: whose it is
  std::string html;
  bool json = false;
  LinBudgetArgs budgets;
};

nlohmann::ordered_json report_json(const lin::History& history, const lin::Report& report) {
  nlohmann::ordered_json j;
  j["verdict"] = std::string(lin::to_string(report.verdict));
  j["model"] = std::string(lin::to_string(report.model));
  j["operations"] = history.operations.size();
  j["keys_checked"] = report.partitions.size();
  j["states"] = report.states;
  j["keys_by_reads_from"] = std::count_if(report.partitions.begin(), report.partitions.end(),
                                          [](const auto& part) { return part.by_reads_from; });
  j["memo_peak_bytes"] = report.memo_peak_bytes;
  if (!report.unknown_reason.empty()) j["unknown_reason"] = report.unknown_reason;
  if (report.failing) {
    const lin::PartitionReport& part = report.partitions[*report.failing];
    auto lines = [&](const std::vector<std::size_t>& ops) {
      nlohmann::ordered_json out = nlohmann::ordered_json::array();
      for (std::size_t i : ops) out.push_back(lin::describe_operation(history.operations[i]));
      return out;
    };
    nlohmann::ordered_json failing;
    failing["key"] = part.key;
    failing["operations"] = part.operations.size();
    failing["longest_prefix"] = lines(part.longest_prefix);
    failing["state_after_prefix"] = part.state_after_prefix;
    nlohmann::ordered_json candidates = nlohmann::ordered_json::array();
    for (const lin::Candidate& c : part.candidates)
      candidates.push_back({{"operation", lin::describe_operation(history.operations[c.operation])},
                            {"legal_here", c.legal_here}});
    failing["could_not_place"] = candidates;
    if (!part.reason.empty()) failing["reads_from_check"] = part.reason;
    j["failing_key"] = failing;
  }
  return j;
}

// Empty input is an error, not a vacuous pass: an empty file, or one whose every operation
// failed (dropped: it did not take effect), most likely means the wrong file or a recording that
// went wrong.
Result<void> check_not_empty(const LinOptions& options, const lin::History& history) {
  if (!history.operations.empty()) return {};
  std::error_code ec;
  if (std::filesystem::file_size(options.file, ec) == 0 && !ec)
    return fail(options.file, 0, "no operations to check: the file is empty");
  return fail(options.file, 0,
              "no operations to check: the file holds no operation that took effect or may have "
              "(blank lines and failed operations are skipped)");
}

Result<lin::Report> check(const LinOptions& options, const lin::History& history,
                          lin::ModelKind model) {
  if (options.model != "auto") {
    auto parsed = lin::parse_model_kind(options.model);
    if (!parsed) return std::unexpected(parsed.error());
    model = *parsed;
  }
  auto report = lin::check_history(history, model, lin_check_options(options.budgets));
  if (!report) return fail(options.file, 0, report.error().to_string());
  if (report->partitions.empty())
    return fail(options.file, 0,
                history.operations.size() == 1
                    ? "no operations to check: its only operation is a read whose outcome is "
                      "unknown, which constrains nothing"
                    : fmt::format("no operations to check: all {} operations are reads whose "
                                  "outcome is unknown, which constrain nothing",
                                  history.operations.size()));
  if (report->verdict == lin::Verdict::unknown)
    report->unknown_reason = lin_budget_reason(options.budgets, *report);
  return report;
}

Result<void> write_html(const LinOptions& options, const lin::History& history,
                        const lin::Report& report) {
  std::ofstream out(options.html, std::ios::binary);
  out << lin::render_html(history, report, options.file);
  if (!out) return fail(options.html, 0, "cannot write the file");
  return {};
}

// A history recorded by `faultline client` or `run --history` (sim/real/history_io.h): its
// protocol's binding turns it into operations and names their model.
Result<lin::ClientOperations> read_recorded(const LinOptions& options) {
  auto lines = real::read_history_lines(options.file);
  if (!lines) return std::unexpected(lines.error());
  if (lines->events.empty())
    return fail(options.file, 0,
                lines->header ? "no operations to check: the file holds only its header"
                              : "no operations to check: the file is empty");
  auto entry = recorded_protocol(options.file, *lines, options.protocol, /*for_lin=*/true);
  if (!entry) return std::unexpected(entry.error());
  return (*entry)->client_operations(options.file, std::move(*lines));
}

// The operations and their model (inferred, for a file of operations) from any format.
Result<lin::ClientOperations> read_operations(const LinOptions& options) {
  auto format = lin::parse_history_format(options.format);
  if (!format) return std::unexpected(format.error());
  const bool jsonl =
      *format == lin::HistoryFormat::automatic || *format == lin::HistoryFormat::jsonl;
  if (jsonl && real::is_recorded_history(options.file)) return read_recorded(options);
  if (!options.protocol.empty())
    return fail("--protocol", 0,
                "names the protocol of a recorded history, and " + options.file +
                    " is a history of operations");
  auto history = lin::read_history_file(options.file, *format);
  if (!history) return std::unexpected(history.error());
  const lin::ModelKind model = lin::infer_model(*history);
  return lin::ClientOperations{model, std::move(*history)};
}

int run_lin(const LinOptions& options) {
  auto fail_with = [](const Error& error) {
    std::cerr << "faultline lin: " << error.to_string() << '\n';
    return exit_usage;
  };
  std::error_code ec;
  if (!options.html.empty() && std::filesystem::is_directory(options.html, ec))
    return fail_with(Error{options.html, 0, "is a directory; --html expects a file name"});
  auto operations = read_operations(options);
  if (!operations) return fail_with(operations.error());
  const lin::History* history = &operations->history;
  if (auto nonempty = check_not_empty(options, *history); !nonempty)
    return fail_with(nonempty.error());
  auto report = check(options, *history, operations->model);
  if (!report) return fail_with(report.error());
  if (options.json)
    std::cout << report_json(*history, *report).dump(2) << '\n';
  else
    std::cout << options.file << ": " << lin::explain(*history, *report);
  if (!options.html.empty())
    if (auto written = write_html(options, *history, *report); !written)
      return fail_with(written.error());
  switch (report->verdict) {
    case lin::Verdict::linearizable: return exit_ok;
    case lin::Verdict::not_linearizable: return exit_safety;
    case lin::Verdict::unknown: return exit_liveness;
  }
  return exit_usage;
}

}  // namespace

void add_lin_command(CLI::App& app) {
  auto options = std::make_shared<LinOptions>();
  CLI::App* lin = app.add_subcommand(
      "lin",
      "Check a history file for linearizability (exit 0 linearizable, 2 not, 3 unknown, 1 error)");
  lin->add_option("FILE", options->file,
                  "History: faultline JSON lines, a Jepsen etcd log or Jepsen EDN maps")
      ->required();
  lin->add_option("--format", options->format,
                  "auto|jsonl|jepsen|edn (default auto: from the first line)")
      ->check(CLI::IsMember({"auto", "jsonl", "jepsen", "edn"}));
  lin->add_option("--model", options->model,
                  "auto|register|cas-register|kv|append-list (default auto: from the operations)")
      ->check(CLI::IsMember({"auto", "register", "cas-register", "kv", "append-list"}));
  lin->add_option("--html", options->html,
                  "Also write a self-contained HTML timeline of the failing key");
  lin->add_flag("--json", options->json, "Print the report as JSON");
  lin->add_option("--protocol", options->protocol,
                  "A history recorded by `faultline client` without a header line: its protocol "
                  "(default: the header's, else the one protocol lin can read)");
  add_lin_budget_options(lin, options->budgets);
  lin->callback([options] { exit_code() = run_lin(*options); });
}

void add_lin_budget_options(CLI::App* command, LinBudgetArgs& budgets) {
  command->add_option("--budget-states", budgets.states,
                      "Give up with 'unknown' after this many search states (deterministic)");
  command
      ->add_option("--budget-memory-mb", budgets.memory_mb,
                   "Give up with 'unknown' when the search's memo table passes this many MiB "
                   "(default 2048; deterministic)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40));
  command->add_option("--timeout-ms", budgets.timeout_ms,
                      "Give up with 'unknown' after this wall-clock time (default 10000; 0: "
                      "none); never changes a verdict");
}

lin::CheckOptions lin_check_options(const LinBudgetArgs& budgets) {
  lin::CheckOptions check;
  check.max_states = budgets.states;
  check.max_memory_bytes = budgets.memory_mb << 20;
  if (budgets.timeout_ms > 0)
    check.deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(budgets.timeout_ms);
  return check;
}

std::string lin_budget_reason(const LinBudgetArgs& budgets, const lin::Report& report) {
  switch (report.budget) {
    case lin::Budget::deadline:
      return fmt::format("the time limit of {} ms passed (--timeout-ms; 0: no limit)",
                         budgets.timeout_ms);
    case lin::Budget::memory:
      return fmt::format("the memory budget of {} MiB was exhausted (--budget-memory-mb)",
                         budgets.memory_mb);
    case lin::Budget::states:
      return fmt::format("the state budget of {} was exhausted (--budget-states)", budgets.states);
    case lin::Budget::none: break;
  }
  return report.unknown_reason;
}

}  // namespace faultline::cli
