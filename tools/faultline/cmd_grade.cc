// `faultline grade CONFIG`: an incident exercise graded by simulation (issue 14: the CloudCart
// mini-project of the quorum key-value store's seed). A folder of incident scenarios carries a
// grading.json: the table's rows (an incident, its points, the scenario files that must all
// pass for them), the configuration keys a student's file may set (and in which unit), and the
// justification fields it should fill. Each scenario runs with the student's values as --set
// overrides, for seeds 1..N; a row scores its points only when every seed of every file passes.
// A lost row prints the first failing check and the command that reproduces it.
//
// Deterministic: the seeds and the order are fixed, results are stored by index, and nothing
// printed depends on the wall clock or the number of workers.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/faultline/budget_options.h"
#include "tools/faultline/commands.h"
#include "tools/faultline/entry.h"
#include "tools/faultline/report.h"
#include "tools/faultline/seed_runner.h"

namespace faultline::cli {

namespace {

struct GradeArgs {
  std::string config_path;
  std::string incidents = "scenarios/quorum_kv/incidents";
  std::uint64_t seeds = 5;
  unsigned jobs = 0;
};

struct GradeRow {
  std::string incident;
  std::string title;
  int points = 0;
  std::vector<std::string> scenarios;
};

struct Grading {
  std::vector<GradeRow> rows;
  std::vector<std::pair<std::string, std::string>> keys;  // key -> "count" or "seconds"
  std::vector<std::string> justifications;
};

Result<nlohmann::json> read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fail(path, 0, "cannot be opened");
  std::stringstream text;
  text << in.rdbuf();
  auto json = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return fail(path, 0, "is not valid JSON");
  if (!json.is_object()) return fail(path, 0, "must hold a JSON object");
  return json;
}

Result<Grading> read_grading(const std::string& folder) {
  const std::string path = folder + "/grading.json";
  auto json = read_json(path);
  if (!json) return std::unexpected(json.error());
  Grading grading;
  try {
    for (const auto& row : json->at("rows"))
      grading.rows.push_back(
          GradeRow{row.at("incident"), row.at("title"), row.at("points"), row.at("scenarios")});
    for (const auto& [key, unit] : json->at("keys").items())
      grading.keys.emplace_back(key, unit.get<std::string>());
    grading.justifications = json->at("justifications").get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    return fail(path, 0, std::string("is not a grading table: ") + e.what());
  }
  return grading;
}

// A number of seconds as an exact duration ("0.1" -> "100ms", "60" -> "60000ms").
Result<std::string> seconds_text(const std::string& key, const nlohmann::json& value) {
  if (!value.is_number() || value.get<double>() < 0 || value.get<double>() > 86'400)
    return fail(key, 0, "must be a number of seconds from 0 to 86400");
  const double microseconds = std::round(value.get<double>() * 1e6);
  const auto whole = static_cast<std::int64_t>(microseconds);
  if (whole % 1000 == 0) return std::to_string(whole / 1000) + "ms";
  return std::to_string(whole) + "us";
}

// The student's file as --set overrides, in the order of the keys' names; every key the table
// names is required, and no other key but `justifications` is allowed.
Result<std::vector<std::string>> overrides_of(const Grading& grading, const nlohmann::json& json,
                                              const std::string& path) {
  for (const auto& [key, value] : json.items()) {
    const bool known =
        key == "justifications" || std::any_of(grading.keys.begin(), grading.keys.end(),
                                               [&](const auto& k) { return k.first == key; });
    if (!known) return fail(path, 0, "unknown key '" + key + "'");
  }
  std::vector<std::string> overrides;
  for (const auto& [key, unit] : grading.keys) {
    if (!json.contains(key)) return fail(path, 0, "misses the key '" + key + "'");
    const nlohmann::json& value = json.at(key);
    if (unit == "seconds") {
      auto text = seconds_text(path + ": " + key, value);
      if (!text) return std::unexpected(text.error());
      overrides.push_back(key + "=" + *text);
    } else if (value.is_number_unsigned()) {
      overrides.push_back(key + "=" + std::to_string(value.get<std::uint64_t>()));
    } else {
      return fail(path, 0, "'" + key + "' must be a whole number, got " + value.dump());
    }
  }
  return overrides;
}

struct FileResult {
  std::string path;
  std::optional<std::string> error;  // the scenario did not load with these overrides
  std::uint64_t failed_seed = 0;     // 0: every seed passed
  std::string failure;
  std::uint64_t fingerprint = 0;
};

FileResult grade_file(const std::string& path, const std::vector<std::string>& overrides,
                      const GradeArgs& args) {
  FileResult result{path, std::nullopt, 0, "", 0};
  auto bound = load_scenario_file(path, overrides);
  if (!bound) {
    result.error = bound.error().to_string();
    return result;
  }
  std::vector<RunOutcome> outcomes(args.seeds);
  run_indices(args.seeds, worker_count(args.jobs, args.seeds), [&](std::uint64_t i) {
    outcomes[i] = run_seed(*bound, i + 1, BudgetArgs{}, /*wire=*/false);
  });
  for (const RunOutcome& outcome : outcomes) {
    if (outcome.status == RunStatus::passed) continue;
    result.failed_seed = outcome.seed;
    result.failure = outcome.failure;
    result.fingerprint = outcome.fingerprint;
    break;
  }
  return result;
}

// One row of the table, and under a lost row why and how to reproduce it.
bool print_row(const GradeRow& row, const std::vector<FileResult>& files,
               const std::vector<std::string>& overrides) {
  const bool passed = std::all_of(files.begin(), files.end(), [](const FileResult& f) {
    return !f.error && f.failed_seed == 0;
  });
  std::printf("%-8s %-34s %3d/%-3d %s\n", row.incident.c_str(), row.title.c_str(),
              passed ? row.points : 0, row.points, passed ? "passed" : "LOST");
  for (const FileResult& f : files) {
    if (f.error) {
      std::printf("         %s: the configuration is rejected: %s\n", f.path.c_str(),
                  f.error->c_str());
    } else if (f.failed_seed != 0) {
      std::printf("         %s seed %llu: %s\n", f.path.c_str(),
                  static_cast<unsigned long long>(f.failed_seed),
                  f.failure.substr(0, f.failure.find('\n')).c_str());
      std::printf(
          "         repro: %s\n",
          repro_command(ReproArgs{f.path, overrides, false}, f.failed_seed, f.fingerprint).c_str());
    }
  }
  return passed;
}

void warn_justifications(const Grading& grading, const nlohmann::json& json) {
  const nlohmann::json empty = nlohmann::json::object();
  const nlohmann::json& given = json.contains("justifications") ? json.at("justifications") : empty;
  for (const std::string& field : grading.justifications) {
    const bool filled = given.is_object() && given.contains(field) && given.at(field).is_string() &&
                        !given.at(field).get<std::string>().empty();
    if (!filled)
      std::printf(
          "note: the justification '%s' is empty: say what was wrong and why the fix "
          "resolves it (not scored here)\n",
          field.c_str());
  }
}

int grade(const GradeArgs& args) {
  auto grading = read_grading(args.incidents);
  if (!grading)
    return std::fprintf(stderr, "error: %s\n", grading.error().to_string().c_str()), exit_usage;
  auto json = read_json(args.config_path);
  if (!json)
    return std::fprintf(stderr, "error: %s\n", json.error().to_string().c_str()), exit_usage;
  auto overrides = overrides_of(*grading, *json, args.config_path);
  if (!overrides)
    return std::fprintf(stderr, "error: %s\n", overrides.error().to_string().c_str()), exit_usage;
  std::printf("grading %s against %s (seeds 1..%llu of each scenario)\n", args.config_path.c_str(),
              args.incidents.c_str(), static_cast<unsigned long long>(args.seeds));
  int score = 0;
  int total = 0;
  for (const GradeRow& row : grading->rows) {
    std::vector<FileResult> files;
    for (const std::string& name : row.scenarios)
      files.push_back(grade_file(args.incidents + "/" + name, *overrides, args));
    if (print_row(row, files, *overrides)) score += row.points;
    total += row.points;
  }
  std::printf("total    %d/%d\n", score, total);
  warn_justifications(*grading, *json);
  return score == total ? exit_ok : exit_liveness;
}

}  // namespace

void add_grade_command(CLI::App& app) {
  auto args = std::make_shared<GradeArgs>();
  CLI::App* command = app.add_subcommand(
      "grade",
      "Grade a configuration against an incident exercise (the quorum KV store's CloudCart "
      "incidents by default): exit 0 full marks, 3 points lost, 1 error");
  command->add_option("CONFIG", args->config_path, "The configuration, a JSON file")->required();
  command->add_option("--incidents", args->incidents,
                      "The incident folder (its grading.json and scenario files)");
  command->add_option("--seeds", args->seeds, "Seeds 1..N of every scenario (default 5)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1000}));
  command->add_option("--jobs", args->jobs, "Worker threads (default: every core)");
  command->callback([args] { exit_code() = grade(*args); });
}

}  // namespace faultline::cli
