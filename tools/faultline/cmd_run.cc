// `faultline run`, `replay` and `lint`.
//
// run: one seed (--seed) or many (--seeds N from --seed-start), across --jobs worker threads
// (parallelism across seeds only; each simulation is single-threaded). replay: re-runs one seed
// twice and checks the fingerprints agree with each other and with --fingerprint if given.
#include <cstdio>
#include <iostream>
#include <memory>

#include <fmt/core.h>

#include "sim/real/history_io.h"
#include "tools/faultline/budget_options.h"
#include "tools/faultline/check.h"
#include "tools/faultline/commands.h"
#include "tools/faultline/entry.h"
#include "tools/faultline/fuzz.h"
#include "tools/faultline/html_report.h"
#include "tools/faultline/number_options.h"
#include "tools/faultline/progress.h"
#include "tools/faultline/report.h"
#include "tools/faultline/seed_runner.h"
#include "tools/faultline/trace_formats.h"

namespace faultline::cli {

namespace {

struct RunArgs {
  std::string path;
  std::uint64_t seed = 0;
  bool seed_given = false;
  std::uint64_t seeds = 0;
  std::uint64_t seed_start = 1;
  unsigned jobs = 0;
  std::string trace_path;
  std::string trace_format = "jsonl";
  std::string history_path;  // run only
  bool json = false;
  bool wire = false;
  std::vector<std::string> overrides;
  std::string fingerprint;  // replay only
  BudgetArgs budget;
  bool check_determinism = false;  // run only: every seed twice, fingerprints compared
  std::string junit_path;          // run only: a JUnit XML report
  std::string report_path;         // run only: the HTML report (html_report.h)
};

// The budgets and --trace-format, checked once before any run (a bad value is a usage error
// naming the option).
bool run_options_valid(const RunArgs& args) {
  if (args.trace_path.empty() && args.trace_format != "jsonl") {
    // A format without a file would write nothing, silently.
    std::fprintf(stderr, "error: --trace-format %s needs --trace FILE\n",
                 args.trace_format.c_str());
    exit_code() = exit_usage;
    return false;
  }
  auto budget = run_budget(args.budget);
  auto limits = WallAndMemoryLimits::from(args.budget);
  const Error* error = !budget ? &budget.error() : !limits ? &limits.error() : nullptr;
  if (error == nullptr) return true;
  std::fprintf(stderr, "error: %s\n", error->to_string().c_str());
  exit_code() = exit_usage;
  return false;
}

// One run of `seed` within the budgets; the wall-time budget starts now.
// With `history`, the run's client history is written there (run --history).
RunOutcome run_within_budgets(const RunArgs& args, const BoundScenario& bound, std::uint64_t seed,
                              TraceSink* trace = nullptr, std::FILE* history = nullptr) {
  if (history == nullptr) return run_seed(bound, seed, args.budget, args.wire, trace);
  const WallAndMemoryLimits limits = WallAndMemoryLimits::from(args.budget).value();
  real::HistoryHeader header;
  header.recorded_by = command_line();
  if (!args.seed_given) header.recorded_by += " --seed " + std::to_string(seed);
  return bound.run_recording(run_options(seed, args.budget, args.wire, trace, limits),
                             std::move(header), history);
}

std::optional<BoundScenario> load_or_report(const RunArgs& args) {
  auto bound = load_scenario_file(args.path, args.overrides);
  if (!bound) {
    std::fprintf(stderr, "error: %s\n", bound.error().to_string().c_str());
    exit_code() = exit_usage;
    return std::nullopt;
  }
  return std::move(*bound);
}

// An output file of `run` (--trace, --history), closed at scope exit.
struct OutputFile {
  std::FILE* file = nullptr;
  OutputFile() = default;
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile() {
    if (file != nullptr) std::fclose(file);
  }
};

bool open_output(const std::string& option, const std::string& path, OutputFile& out) {
  if (path.empty()) return true;
  out.file = std::fopen(path.c_str(), "wb");
  if (out.file != nullptr) return true;
  std::fprintf(stderr, "error: %s %s: cannot open for writing\n", option.c_str(), path.c_str());
  exit_code() = exit_usage;
  return false;
}

// The --trace file in its --trace-format; finished (Perfetto's closing bracket) before closing.
struct TraceFile {
  OutputFile out;
  std::unique_ptr<TraceWriter> writer;
  TraceFile() = default;
  TraceFile(const TraceFile&) = delete;
  TraceFile& operator=(const TraceFile&) = delete;
  ~TraceFile() {
    if (writer) writer->finish();
  }
};

bool open_trace(const RunArgs& args, const BoundScenario& bound, TraceFile& trace) {
  if (!open_output("--trace", args.trace_path, trace.out)) return false;
  if (trace.out.file != nullptr)
    trace.writer = make_trace_writer(parse_trace_format(args.trace_format).value(), trace.out.file,
                                     bound.scenario.node_names, "faultline " + bound.scenario.name);
  return true;
}

ReproArgs repro_of(const RunArgs& args) { return ReproArgs{args.path, args.overrides, args.wire}; }

ReportHeader report_header(const BoundScenario& bound, const RunArgs& args) {
  return ReportHeader{bound.scenario.name, args.path, bound.protocol, command_line(),
                      version_text()};
}

void write_report(const std::string& path, const std::string& html) {
  if (auto written = write_text_file(path, html); !written) {
    std::fprintf(stderr, "error: --report: %s\n", written.error().to_string().c_str());
    exit_code() = exit_usage;
  }
}

// --report on a single run: the seed again with the report's timeline collected (a run is
// deterministic, so it is the run the summary showed; only --history forces this second run).
RunOutcome run_with_report(const RunArgs& args, const BoundScenario& bound, std::uint64_t seed,
                           TraceSink* trace, std::FILE* history) {
  if (args.report_path.empty() || history != nullptr) {
    RunOutcome outcome = run_within_budgets(args, bound, seed, trace, history);
    if (!args.report_path.empty()) run_with_report(args, bound, seed, nullptr, nullptr);
    return outcome;
  }
  const WallAndMemoryLimits limits = WallAndMemoryLimits::from(args.budget).value();
  RunTimeline timeline;
  RunOutcome outcome =
      bound.run_report(run_options(seed, args.budget, args.wire, trace, limits), timeline);
  const std::string repro = outcome.status == RunStatus::passed
                                ? std::string()
                                : repro_command(repro_of(args), seed, outcome.fingerprint);
  write_report(args.report_path,
               run_report_html(report_header(bound, args), outcome, timeline, repro));
  return outcome;
}

// --report on a sweep: every seed's outcome, in seed order.
void write_sweep_report(const RunArgs& args, const BoundScenario& bound,
                        const SeedsSummary& summary) {
  if (args.report_path.empty()) return;
  SweepAccumulator sweep(summary.seed_start, summary.seed_count,
                         [&](std::uint64_t seed, std::uint64_t fingerprint) {
                           return repro_command(repro_of(args), seed, fingerprint);
                         });
  for (const RunOutcome& outcome : summary.outcomes) sweep.add(outcome);
  write_report(args.report_path,
               sweep_report_html(report_header(bound, args),
                                 std::move(sweep).finish(summary.nondeterminism)));
}

// --junit FILE: one test case for the scenario; a failure to write it is exit 1.
void write_junit_report(const RunArgs& args, const BoundScenario& bound,
                        const SeedsSummary& summary) {
  if (args.junit_path.empty()) return;
  if (!write_junit(args.junit_path, "faultline run",
                   {seeds_junit_case(bound, summary, repro_of(args))}))
    exit_code() = exit_usage;
}

// A single run is a sweep of one seed as far as --check-determinism and --junit go.
SeedsSummary summary_of_one(const RunArgs& args, const BoundScenario& bound,
                            const RunOutcome& outcome) {
  SeedsSummary summary;
  summary.seed_start = outcome.seed;
  summary.seed_count = 1;
  summary.outcomes = {outcome};
  summary.determinism_checked = args.check_determinism;
  if (args.check_determinism)
    if (auto d = determinism_difference(outcome, run_within_budgets(args, bound, outcome.seed)))
      summary.nondeterminism.push_back(*d);
  return summary;
}

void run_one(const RunArgs& args, const BoundScenario& bound, std::uint64_t seed) {
  TraceFile trace;
  if (!open_trace(args, bound, trace)) return;
  OutputFile history;
  if (!open_output("--history", args.history_path, history)) return;
  const RunOutcome outcome = run_with_report(args, bound, seed, trace.writer.get(), history.file);
  const SeedsSummary summary = summary_of_one(args, bound, outcome);
  if (args.json) {
    auto json = run_json(bound, outcome);
    if (outcome.status != RunStatus::passed)
      json["repro"] = repro_command(repro_of(args), seed, outcome.fingerprint);
    if (args.check_determinism) json["nondeterministic"] = summary.nondeterminism;
    std::printf("%s\n", json.dump(2).c_str());
  } else {
    print_run(stdout, bound, outcome);
    if (args.check_determinism)
      std::printf("determinism  %s\n",
                  summary.nondeterminism.empty()
                      ? "the seed ran twice with the same fingerprint"
                      : ("NOT DETERMINISTIC: " + summary.nondeterminism[0]).c_str());
    if (outcome.status != RunStatus::passed)
      std::printf("repro: %s\n", repro_command(repro_of(args), seed, outcome.fingerprint).c_str());
  }
  if (exit_code() == exit_ok) exit_code() = seeds_exit_code(summary);  // not over a --report error
  write_junit_report(args, bound, summary);
}

void run_many(const RunArgs& args, const BoundScenario& bound) {
  SeedsSummary summary;
  summary.seed_start = args.seed_start;
  summary.seed_count = args.seeds;
  summary.outcomes.resize(args.seeds);
  // --check-determinism: each seed's difference, if any, in its own slot (no locking).
  std::vector<std::optional<std::string>> differences(args.check_determinism ? args.seeds : 0);
  ProgressLine progress(args.seeds);  // on a terminal only
  run_indices(args.seeds, args.jobs, [&](std::uint64_t i) {
    summary.outcomes[i] = run_within_budgets(args, bound, args.seed_start + i);
    if (args.check_determinism)
      differences[i] = determinism_difference(summary.outcomes[i],
                                              run_within_budgets(args, bound, args.seed_start + i));
    progress.done_one(summary.outcomes[i].status != RunStatus::passed);
  });
  progress.finish();
  summary.determinism_checked = args.check_determinism;
  for (auto& d : differences)
    if (d) summary.nondeterminism.push_back(std::move(*d));

  if (args.json)
    std::printf("%s\n", seeds_json(bound, summary, repro_of(args)).dump(2).c_str());
  else
    print_seeds(stdout, bound, summary, repro_of(args));
  const int code = seeds_exit_code(summary);
  write_junit_report(args, bound, summary);
  write_sweep_report(args, bound, summary);
  if (exit_code() == exit_ok) exit_code() = code;
}

void add_common(CLI::App* command, RunArgs& args) {
  command->add_option("FILE", args.path, "Scenario file (YAML)")->required();
  command->add_option("--set", args.overrides,
                      "Override a cluster.config key (key=value), or a workload key "
                      "(workload.key=value); repeatable");
  command->add_flag("--wire", args.wire,
                    "Round-trip every message through the wire codec and assert it is unchanged");
  add_budget_options(command, args.budget);
}

// faultline replay FILE --seed N: runs the seed twice (the second time with --trace) and checks
// that both fingerprints agree with each other and with --fingerprint when given.
void replay_scenario(const RunArgs& args) {
  if (!args.seed_given) {
    std::fprintf(stderr, "error: replay of a scenario needs --seed N\n");
    exit_code() = exit_usage;
    return;
  }
  if (!run_options_valid(args)) return;
  auto bound = load_or_report(args);
  if (!bound) return;
  const RunOutcome first = run_within_budgets(args, *bound, args.seed);
  std::uint64_t expected = first.fingerprint;
  if (!args.fingerprint.empty()) {
    try {
      expected = std::stoull(args.fingerprint, nullptr, 16);
    } catch (const std::exception&) {
      std::fprintf(stderr, "error: --fingerprint '%s' is not a hexadecimal number\n",
                   args.fingerprint.c_str());
      exit_code() = exit_usage;
      return;
    }
  }
  TraceFile trace;
  if (!open_trace(args, *bound, trace)) return;
  const RunOutcome second = run_within_budgets(args, *bound, args.seed, trace.writer.get());
  if (args.json) {
    auto json = run_json(*bound, second);
    json["fingerprint_expected"] = fmt::format("{:016x}", expected);
    json["reproduced"] = second.fingerprint == expected && first.fingerprint == second.fingerprint;
    std::printf("%s\n", json.dump(2).c_str());
  } else {
    print_run(stdout, *bound, second);
  }
  if (first.fingerprint != second.fingerprint || second.fingerprint != expected) {
    std::fprintf(stderr,
                 "NOT REPRODUCED: expected fingerprint %016llx, runs gave %016llx and %016llx\n",
                 static_cast<unsigned long long>(expected),
                 static_cast<unsigned long long>(first.fingerprint),
                 static_cast<unsigned long long>(second.fingerprint));
    exit_code() = exit_usage;
    return;
  }
  if (!args.json)
    std::printf("reproduced   fingerprint %016llx matches\n",
                static_cast<unsigned long long>(expected));
  if (second.status != RunStatus::passed && !args.json)
    std::printf("repro: %s\n",
                repro_command(repro_of(args), args.seed, second.fingerprint).c_str());
  exit_code() = exit_code_for(second.status);
}

// The options `run` and `report` share.
void add_run_options(CLI::App* run, const std::shared_ptr<RunArgs>& args) {
  add_common(run, *args);
  run->add_option("--seed", args->seed, "Run exactly this seed (default: the scenario's run.seed)")
      ->check(unsigned_decimal())
      ->each([args](const std::string&) { args->seed_given = true; });
  run->add_option("--seeds", args->seeds,
                  "Run this many seeds (1 to 10,000,000), starting at --seed-start, and aggregate")
      ->check(unsigned_decimal(1, seeds_max));
  run->add_option("--seed-start", args->seed_start, "First seed of --seeds (default 1)")
      ->check(unsigned_decimal());
  run->add_option("--jobs", args->jobs, "Worker threads for --seeds (default: all cores)");
  run->add_option("--trace", args->trace_path,
                  "Write the full event trace, as JSON lines by default (single seed only)");
  run->add_option("--trace-format", args->trace_format,
                  "The --trace file's format: jsonl (default), perfetto or shiviz")
      ->check(trace_format_error);
  run->add_option("--history", args->history_path,
                  "Write the run's client history in the format `client --history` records "
                  "(single seed only), for `check-history` and `lin`");
  run->add_flag("--json", args->json, "Print the summary as JSON");
  run->add_flag("--check-determinism", args->check_determinism,
                "Run every seed twice and fail (exit 2) if a fingerprint differs");
  run->add_option("--junit", args->junit_path,
                  "Also write a JUnit XML report (one test case for the scenario)");
}

void run_command(const std::shared_ptr<RunArgs>& args) {
  if (!run_options_valid(*args)) return;
  auto bound = load_or_report(*args);
  if (!bound) return;
  if (args->seeds == 0) {
    run_one(*args, *bound, args->seed_given ? args->seed : bound->scenario.run.seed);
    return;
  }
  if (seed_range_wraps(args->seed_start, args->seeds)) {
    std::fprintf(stderr,
                 "error: --seed-start %llu with --seeds %llu passes the last seed, 2^64-1\n",
                 static_cast<unsigned long long>(args->seed_start),
                 static_cast<unsigned long long>(args->seeds));
    exit_code() = exit_usage;
    return;
  }
  if (!args->trace_path.empty() || !args->history_path.empty()) {
    std::fprintf(stderr, "error: %s needs a single seed; use --seed N, not --seeds\n",
                 args->trace_path.empty() ? "--history" : "--trace");
    exit_code() = exit_usage;
    return;
  }
  run_many(*args, *bound);
}

// faultline run: one seed or many; faultline report: the same, writing its HTML report.
void add_run_command(CLI::App& app, const std::shared_ptr<RunArgs>& args) {
  CLI::App* run =
      app.add_subcommand("run", "Run a scenario for one seed or many, check it, and report");
  add_run_options(run, args);
  run->add_option("--report", args->report_path,
                  "Also write an HTML report (a timeline for one seed; distributions over "
                  "seeds for --seeds)");
  run->callback([args] { run_command(args); });
  CLI::App* report = app.add_subcommand(
      "report", "Run a scenario like `run` and write its HTML report (default report.html)");
  add_run_options(report, args);
  report->add_option("--out,-o", args->report_path, "The report's file (default report.html)");
  report->callback([args] {
    if (args->report_path.empty()) args->report_path = "report.html";
    run_command(args);
  });
}

// faultline replay: a seed of a scenario, or a counterexample file.
void add_replay_command(CLI::App& app, const std::shared_ptr<RunArgs>& args) {
  CLI::App* replay =
      app.add_subcommand("replay",
                         "Re-run one seed and verify its trace fingerprint reproduces; or replay a "
                         "`faultline check` counterexample (FILE.json)");
  add_common(replay, *args);
  replay->add_option("--seed", args->seed, "The seed to replay (required for a scenario file)")
      ->check(unsigned_decimal())
      ->each([args](const std::string&) { args->seed_given = true; });
  replay->add_option("--fingerprint", args->fingerprint,
                     "The fingerprint the original run printed (hex)");
  replay->add_option("--trace", args->trace_path,
                     "Write the replayed run's trace, as JSON lines by default");
  replay
      ->add_option("--trace-format", args->trace_format,
                   "The --trace file's format: jsonl (default), perfetto or shiviz")
      ->check(trace_format_error);
  replay->add_flag("--json", args->json, "Print the summary as JSON");
  replay->callback([args] {
    // A counterexample written by `faultline check` replays step by step instead of by seed.
    if (args->path.size() > 5 && args->path.ends_with(".json")) {
      exit_code() = replay_counterexample_file(args->path, std::cout);
      return;
    }
    replay_scenario(*args);
  });
}

// A swarm profile checked as `fuzz` checks it (every draw expression probed against the
// protocol), without running anything.
bool lint_profile(const std::string& path) {
  auto loaded = load_profile_file(path);
  if (!loaded) {
    std::fprintf(stderr, "error: %s\n", loaded.error().to_string().c_str());
    return false;
  }
  const scenario::SwarmProfile& p = loaded->profile;
  std::printf(
      "ok  %s: swarm profile %s (%s, %zu fault kinds, %zu nemesis kinds, %zu operation "
      "kinds)\n",
      path.c_str(), p.name.c_str(), p.protocol.c_str(), p.fault_kinds.size(),
      p.nemesis_kinds.size(), p.operations.size());
  return true;
}

// faultline lint: scenario files validated without running them.
void add_lint_command(CLI::App& app) {
  auto lint_paths = std::make_shared<std::vector<std::string>>();
  auto lint_overrides = std::make_shared<std::vector<std::string>>();
  CLI::App* lint = app.add_subcommand("lint", "Validate scenario files without running them");
  lint->add_option("FILE", *lint_paths, "Scenario files")->required();
  lint->add_option("--set", *lint_overrides, "Overrides to validate along (key=value)");
  lint->callback([lint_paths, lint_overrides] {
    int code = exit_ok;
    for (const auto& path : *lint_paths) {
      if (is_swarm_profile_path(path)) {
        if (!lint_profile(path)) code = exit_usage;
        continue;
      }
      auto bound = load_scenario_file(path, *lint_overrides);
      if (!bound) {
        std::fprintf(stderr, "error: %s\n", bound.error().to_string().c_str());
        code = exit_usage;
        continue;
      }
      // Warnings (a period shorter than the network's latency) never fail lint.
      for (const Error& warning : bound->scenario.warnings)
        std::fprintf(stderr, "warning: %s: %s\n", path.c_str(), warning.to_string().c_str());
      std::printf("ok  %s: %s (%s, %zu nodes, %zu faults)\n", path.c_str(),
                  bound->scenario.name.c_str(), bound->protocol.c_str(),
                  bound->scenario.node_names.size(), bound->scenario.faults.size());
    }
    exit_code() = code;
  });
}

}  // namespace

void add_run_commands(CLI::App& app) {
  // run and replay share their arguments (FILE, --set, --wire, --seed, ...).
  auto args = std::make_shared<RunArgs>();
  add_run_command(app, args);
  add_replay_command(app, args);
  add_lint_command(app);
}

}  // namespace faultline::cli
