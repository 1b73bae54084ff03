// `faultline lin FILE`: check a history file for linearizability.
//
// Exit codes: 0 linearizable, 2 not linearizable, 3 unknown (budget exhausted), 1 usage, read
// or parse error (the message names the file and line).
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "checkers/linearizability/checker.h"
#include "checkers/linearizability/html.h"
#include "checkers/linearizability/readers.h"
#include "tools/faultline/commands.h"

namespace faultline::cli {
namespace {

struct LinOptions {
  std::string file;
  std::string format = "auto";
  std::string model = "auto";
  std::string html;
  bool json = false;
  std::uint64_t budget_states = lin::CheckOptions{}.max_states;
  std::uint64_t timeout_ms = 0;  // 0: no deadline
};

nlohmann::ordered_json report_json(const lin::History& history, const lin::Report& report) {
  nlohmann::ordered_json j;
  j["verdict"] = std::string(lin::to_string(report.verdict));
  j["model"] = std::string(lin::to_string(report.model));
  j["operations"] = history.operations.size();
  j["keys_checked"] = report.partitions.size();
  j["states"] = report.states;
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
    j["failing_key"] = failing;
  }
  return j;
}

int run_lin(const LinOptions& options) {
  auto format = lin::parse_history_format(options.format);
  if (!format) {
    std::cerr << "faultline lin: " << format.error().to_string() << '\n';
    return exit_usage;
  }
  auto history = lin::read_history_file(options.file, *format);
  if (!history) {
    std::cerr << "faultline lin: " << history.error().to_string() << '\n';
    return exit_usage;
  }
  lin::ModelKind model = lin::infer_model(*history);
  if (options.model != "auto") {
    auto parsed = lin::parse_model_kind(options.model);
    if (!parsed) {
      std::cerr << "faultline lin: " << parsed.error().to_string() << '\n';
      return exit_usage;
    }
    model = *parsed;
  }
  lin::CheckOptions check;
  check.max_states = options.budget_states;
  // The deadline can only turn a verdict into "unknown" (see checker.h).
  if (options.timeout_ms > 0)
    check.deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options.timeout_ms);
  auto report = lin::check_history(*history, model, check);
  if (!report) {
    std::cerr << "faultline lin: " << options.file << ": " << report.error().to_string() << '\n';
    return exit_usage;
  }
  if (options.json)
    std::cout << report_json(*history, *report).dump(2) << '\n';
  else
    std::cout << options.file << ": " << lin::explain(*history, *report);
  if (!options.html.empty()) {
    std::ofstream out(options.html, std::ios::binary);
    out << lin::render_html(*history, *report, options.file);
    if (!out) {
      std::cerr << "faultline lin: cannot write " << options.html << '\n';
      return exit_usage;
    }
  }
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
  lin->add_option("--budget-states", options->budget_states,
                  "Give up with 'unknown' after this many search states (deterministic)");
  lin->add_option(
      "--timeout-ms", options->timeout_ms,
      "Give up with 'unknown' after this wall-clock time (0: none); never changes a verdict");
  lin->callback([options] { exit_code() = run_lin(*options); });
}

}  // namespace faultline::cli
