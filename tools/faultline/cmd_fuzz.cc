// `faultline fuzz PROFILE`: draws one scenario per seed from a swarm profile, runs each across
// --jobs worker threads, shows progress on stderr and prints the summary (fuzz.h) on stdout.
// `--emit SEED` prints the scenario a seed draws instead.
//
// The wall clock decides only when to stop starting seeds (--time) and what the progress line
// says; the records, the summary and the exit code depend only on the seeds that ran.
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <fmt/core.h>

#include "sim/core/text.h"
#include "sim/scenario/parse.h"
#include "tools/faultline/commands.h"
#include "tools/faultline/fuzz.h"
#include "tools/faultline/fuzz_results.h"
#include "tools/faultline/html_report.h"
#include "tools/faultline/number_options.h"
#include "tools/faultline/report.h"
#include "tools/faultline/seed_runner.h"

namespace faultline::cli {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kDefaultSeeds = 100;

struct FuzzArgs {
  std::string path;
  std::uint64_t seeds = 0;  // 0: not given
  std::string time;         // --time, "" when not given
  std::uint64_t seed_start = 1;
  unsigned jobs = 0;
  std::optional<std::string> bug;
  bool no_swarm = false;
  std::optional<std::uint64_t> emit;
  bool wire = false;
  bool check_determinism = false;
  bool no_shrink = false;
  bool stop_on_failure = false;
  std::string capsule_dir = "fuzz-capsules";
  std::string junit;        // --junit FILE, "" when not given
  std::string report;       // --report FILE.html, "" when not given
  std::string shard;        // --shard K/M, "" when not given (the environment may say)
  std::string results_dir;  // --results DIR, "" when not given
  BudgetArgs budget;
};

// The progress line on stderr: updated in place on a terminal, a plain line every few seconds
// otherwise. Wall-clock figures appear here only, never in the records or the summary.
class Progress {
 public:
  Progress(std::uint64_t total, std::optional<Clock::time_point> deadline)
      : total_(total), deadline_(deadline), terminal_(isatty(fileno(stderr)) != 0) {}

  void record(const FuzzOutcome& outcome) {
    const std::lock_guard lock(mutex_);
    ++done_;
    if (outcome.status == RunStatus::passed) return;
    ++failed_;
    signatures_.insert(outcome.signature);
    if (!first_failure_seed_ || outcome.seed < *first_failure_seed_) {
      first_failure_seed_ = outcome.seed;
      first_failure_seconds_ = elapsed();
    }
  }

  bool any_failed() {
    const std::lock_guard lock(mutex_);
    return failed_ > 0;
  }

  // Prints until finish(); run it on its own thread.
  void show() {
    const auto interval =
        terminal_ ? std::chrono::milliseconds(250) : std::chrono::milliseconds(5000);
    std::unique_lock lock(mutex_);
    while (!cv_.wait_for(lock, interval, [this] { return finished_; })) {
      const std::string text = line();
      std::fprintf(stderr, terminal_ ? "\r%s\x1b[K" : "%s\n", text.c_str());
      std::fflush(stderr);
    }
  }

  void finish(unsigned jobs) {
    {
      const std::lock_guard lock(mutex_);
      finished_ = true;
    }
    cv_.notify_all();
    const std::lock_guard lock(mutex_);
    const double seconds = elapsed();
    const double rate = seconds > 0 ? static_cast<double>(done_) / seconds : 0;
    std::fprintf(stderr, "%sfuzz: %s %s in %.1fs, %.1f seeds/s with %u %s (%.1f per job)\n",
                 terminal_ ? "\r\x1b[K" : "", format_count(done_).c_str(),
                 done_ == 1 ? "seed" : "seeds", seconds, rate, jobs, jobs == 1 ? "job" : "jobs",
                 rate / jobs);
    if (first_failure_seed_)
      std::fprintf(stderr, "fuzz: first failure at seed %llu, found after %.1fs\n",
                   static_cast<unsigned long long>(*first_failure_seed_), first_failure_seconds_);
  }

 private:
  double elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

  std::string line() const {
    const double seconds = elapsed();
    std::string text = "fuzz: " + format_count(done_);
    if (deadline_) {
      const auto left = std::chrono::duration<double>(*deadline_ - Clock::now()).count();
      text += fmt::format(" seeds, {:.0f}s left", left > 0 ? left : 0.0);
    } else {
      text += " of " + format_count(total_) + " seeds";
    }
    text += fmt::format(", {:.1f} seeds/s, {} failed, {} {}",
                        seconds > 0 ? static_cast<double>(done_) / seconds : 0.0,
                        format_count(failed_), format_count(signatures_.size()),
                        signatures_.size() == 1 ? "signature" : "signatures");
    return text;
  }

  const std::uint64_t total_;
  const std::optional<Clock::time_point> deadline_;
  const bool terminal_;
  const Clock::time_point start_ = Clock::now();
  std::mutex mutex_;
  std::condition_variable cv_;
  bool finished_ = false;
  std::uint64_t done_ = 0;
  std::uint64_t failed_ = 0;
  std::optional<std::uint64_t> first_failure_seed_;  // the lowest failing seed
  double first_failure_seconds_ = 0;                 // when it finished
  std::set<std::string> signatures_;
};

bool usage_error(const std::string& message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  exit_code() = exit_usage;
  return false;
}

// The seeds to run (--seeds, or as many as --time allows, or the default) and the deadline.
bool plan(const FuzzArgs& args, std::uint64_t& count, std::optional<Clock::time_point>& deadline) {
  if (!args.time.empty()) {
    auto time = parse_duration(args.time);
    if (!time) return usage_error("--time " + args.time + ": " + time.error().what);
    if (time->nanoseconds <= 0) return usage_error("--time must be greater than 0");
    deadline = Clock::now() + std::chrono::nanoseconds(time->nanoseconds);
  }
  // With --time alone, as many seeds as --seeds takes, or as there are up to 2^64-1.
  const std::uint64_t after_first = std::numeric_limits<std::uint64_t>::max() - args.seed_start;
  const std::uint64_t time_only = after_first >= seeds_max ? seeds_max : after_first + 1;
  count = args.seeds != 0 ? args.seeds : deadline ? time_only : kDefaultSeeds;
  if (seed_range_wraps(args.seed_start, count))
    return usage_error(fmt::format("--seed-start {} with --seeds {} passes the last seed, 2^64-1",
                                   args.seed_start, count));
  return true;
}

bool budgets_valid(const BudgetArgs& budget) {
  auto deterministic = run_budget(budget);
  if (!deterministic) return usage_error(deterministic.error().to_string());
  auto limits = WallAndMemoryLimits::from(budget);
  if (!limits) return usage_error(limits.error().to_string());
  return true;
}

// Runs the shard's seeds, each between a `started` and a `result` line when there is a results
// file; returns the records in seed order, or the first profile error.
Result<std::vector<FuzzOutcome>> run_seeds(const LoadedProfile& loaded, const FuzzArgs& args,
                                           const ShardSeeds& seeds,
                                           std::optional<Clock::time_point> deadline,
                                           ResultsWriter* results, SweepAccumulator* sweep) {
  std::mutex sweep_mutex;
  FuzzRunOptions options{args.budget, args.wire, args.check_determinism};
  if (sweep != nullptr)
    options.observe = [&](const RunOutcome& outcome) {
      const std::lock_guard lock(sweep_mutex);
      sweep->add(outcome);
    };
  const unsigned jobs = worker_count(args.jobs, seeds.size());
  Progress progress(seeds.size(), deadline);
  std::thread shower([&] { progress.show(); });
  std::mutex mutex;
  std::vector<FuzzOutcome> records;
  std::optional<Error> error;
  const auto work = [&](std::uint64_t i) {
    const std::uint64_t seed = seeds.seed(i);
    if (results != nullptr) results->started(seed);
    auto record = run_fuzz_seed(loaded, seed, options);
    if (record) progress.record(*record);
    if (record && results != nullptr) results->result(*record);
    const std::lock_guard lock(mutex);
    if (!record && !error) error = record.error();
    if (record) records.push_back(std::move(*record));
  };
  const auto keep_going = [&] {
    {
      const std::lock_guard lock(mutex);
      if (error) return false;
    }
    if (args.stop_on_failure && progress.any_failed()) return false;
    return !deadline || Clock::now() < *deadline;
  };
  run_indices(seeds.size(), jobs, work, keep_going);
  progress.finish(jobs);
  shower.join();
  if (error) return std::unexpected(*error);
  std::ranges::sort(records, {}, &FuzzOutcome::seed);
  return records;
}

// Shrinks the first seed of each signature to a capsule in --capsules, across --jobs (each
// shrink is a pure function of its seed, so the capsules never depend on the order). A failed
// shrink is reported and leaves that record without a capsule.
void shrink_failures(const LoadedProfile& loaded, const FuzzArgs& args,
                     std::vector<FuzzOutcome>& records, ResultsWriter* results) {
  const std::vector<std::size_t> chosen = records_to_shrink(records);
  if (chosen.empty()) return;
  std::error_code error;
  std::filesystem::create_directories(args.capsule_dir, error);
  if (error) {
    std::fprintf(stderr, "fuzz: not shrinking: --capsules %s: %s\n", args.capsule_dir.c_str(),
                 error.message().c_str());
    return;
  }
  std::fprintf(stderr, "fuzz: shrinking the first seed of %zu %s into %s/\n", chosen.size(),
               chosen.size() == 1 ? "signature" : "signatures", args.capsule_dir.c_str());
  const FuzzShrinkOptions options{args.capsule_dir, 500, args.budget};
  std::mutex mutex;
  run_indices(chosen.size(), worker_count(args.jobs, chosen.size()), [&](std::uint64_t i) {
    FuzzOutcome& record = records[chosen[i]];
    auto took = shrink_fuzz_record(loaded, record, options);
    if (took && results != nullptr) results->capsule(record);
    const std::lock_guard lock(mutex);
    if (took)
      std::fprintf(stderr, "fuzz: seed %llu shrunk in %.1fs: %s\n",
                   static_cast<unsigned long long>(record.seed),
                   static_cast<double>(took->count()) / 1000.0, record.shrunk.c_str());
    else
      std::fprintf(stderr, "fuzz: seed %llu not shrunk: %s\n",
                   static_cast<unsigned long long>(record.seed), took.error().to_string().c_str());
  });
}

void emit(const LoadedProfile& loaded, std::uint64_t seed) {
  // Printed even when the protocol rejects it, to show what the seed drew.
  auto text = draw_scenario_text(loaded, seed);
  if (!text) {
    usage_error(text.error().to_string());
    return;
  }
  std::fwrite(text->data(), 1, text->size(), stdout);
  if (auto bound = bind_scenario_text(loaded, seed, *text); !bound)
    usage_error(bound.error().to_string());
}

// --shard K/M, else the environment's (FAULTLINE_SHARD, GoogleTest's, a Kubernetes Job's), else
// the whole range.
std::optional<Shard> resolve_shard(const FuzzArgs& args) {
  if (!args.shard.empty()) {
    auto shard = parse_shard(args.shard, "--shard");
    if (shard) return *shard;
    usage_error(shard.error().to_string());
    return std::nullopt;
  }
  auto shard = shard_from_environment([](const char* name) { return std::getenv(name); });
  if (shard) return shard->value_or(Shard{});
  usage_error(shard.error().to_string());
  return std::nullopt;
}

// The flags besides the profile that change a seed's record, as the results header keeps them.
std::string record_options(const FuzzArgs& args) {
  const BudgetArgs& b = args.budget;
  return fmt::format(
      "{}{}--max-events {} --max-pending {} --max-virtual-time {} "
      "--max-wall-time {} --max-memory {}",
      args.check_determinism ? "--check-determinism " : "", args.wire ? "--wire " : "",
      b.events_max, b.pending_events_max, b.virtual_time_max, b.wall_time_max, b.memory_max);
}

std::unique_ptr<ResultsWriter> open_results(const LoadedProfile& loaded, const FuzzArgs& args,
                                            const FuzzSummaryInfo& info) {
  ResultsHeader header;
  header.faultline_version = version();
  header.commit = build_id();
  header.binary = executable_hash();
  auto text = scenario::read_scenario_file(args.path);
  header.profile_hash = text ? text_hash(*text) : "unreadable";
  header.overrides = override_flags(loaded.overrides);
  header.options = record_options(args);
  header.info = info;
  auto writer = ResultsWriter::open(args.results_dir, header);
  if (!writer) {
    usage_error(writer.error().to_string());
    return nullptr;
  }
  return std::move(*writer);
}

FuzzSummaryInfo summary_info(const LoadedProfile& loaded, const FuzzArgs& args, std::uint64_t count,
                             Shard shard) {
  const scenario::SwarmProfile& profile = loaded.profile;
  return FuzzSummaryInfo{args.path,
                         profile.name,
                         profile.protocol,
                         profile.bug == "none" ? "" : profile.bug,
                         profile.swarm,
                         args.seed_start,
                         count,
                         args.check_determinism,
                         args.stop_on_failure,
                         shard};
}

// Why a shard stopped: every seed ran, a failure stopped it, or --time ran out.
std::string_view end_reason(const FuzzArgs& args, const ShardSeeds& seeds,
                            std::span<const FuzzOutcome> records) {
  if (records.size() == seeds.size()) return "done";
  if (args.stop_on_failure && worst_status(records) != RunStatus::passed) return "stop_on_failure";
  return "time";
}

// --report: the seeds' runs as a sweep's report (html_report.h); the repro commands draw each
// seed's scenario again.
void write_fuzz_report(const LoadedProfile& loaded, const FuzzArgs& args,
                       SweepAccumulator&& sweep) {
  const ReportHeader header{loaded.profile.name + " (swarm profile)", args.path,
                            loaded.profile.protocol, command_line(), version_text()};
  const std::string html = sweep_report_html(header, std::move(sweep).finish({}));
  if (auto written = write_text_file(args.report, html); !written)
    usage_error("--report: " + written.error().to_string());
}

void fuzz(const FuzzArgs& args) {
  if (!budgets_valid(args.budget)) return;
  auto loaded = load_profile_file(args.path, ProfileOverrides{args.bug, args.no_swarm});
  if (!loaded) {
    usage_error(loaded.error().to_string());
    return;
  }
  if (args.emit) return emit(*loaded, *args.emit);
  std::uint64_t count = 0;
  std::optional<Clock::time_point> deadline;
  if (!plan(args, count, deadline)) return;
  const std::optional<Shard> shard = resolve_shard(args);
  if (!shard) return;
  const FuzzSummaryInfo info = summary_info(*loaded, args, count, *shard);
  std::unique_ptr<ResultsWriter> results;
  if (!args.results_dir.empty() && !(results = open_results(*loaded, args, info))) return;
  const ShardSeeds seeds(args.seed_start, count, *shard);
  SweepAccumulator sweep(args.seed_start, count, [&](std::uint64_t seed, std::uint64_t print) {
    return fuzz_repro_command(*loaded, seed, print, args.wire);
  });
  auto records = run_seeds(*loaded, args, seeds, deadline, results.get(),
                           args.report.empty() ? nullptr : &sweep);
  if (!records) {
    usage_error(records.error().to_string());
    return;
  }
  if (!args.no_shrink) shrink_failures(*loaded, args, *records, results.get());
  const std::string summary = fuzz_summary(info, *records);
  std::fwrite(summary.data(), 1, summary.size(), stdout);
  exit_code() = exit_code_for(worst_status(*records));
  if (results)
    if (auto ended = results->end(end_reason(args, seeds, *records), records->size()); !ended)
      usage_error(ended.error().to_string());
  if (!args.junit.empty() &&
      !write_junit(args.junit, "faultline fuzz " + args.path, fuzz_junit_cases(info, *records)))
    exit_code() = exit_usage;
  if (!args.report.empty()) write_fuzz_report(*loaded, args, std::move(sweep));
}

}  // namespace

void add_fuzz_command(CLI::App& app) {
  auto args = std::make_shared<FuzzArgs>();
  CLI::App* command = app.add_subcommand(
      "fuzz", "Draw a scenario per seed from a swarm profile, run them and summarise failures");
  command->add_option("PROFILE", args->path, "Swarm profile (scenarios/<protocol>/swarm.yaml)");
  command
      ->add_option("--seeds", args->seeds,
                   "Run this many seeds (1 to 10,000,000; default 100, or as many as --time "
                   "allows)")
      ->check(unsigned_decimal(1, seeds_max));
  command->add_option("--time", args->time,
                      "Stop starting seeds after this wall time (60s, 5m); started seeds finish");
  command->add_option("--seed-start", args->seed_start, "First seed (default 1)")
      ->check(unsigned_decimal());
  command->add_option("--jobs", args->jobs, "Worker threads (default: all cores)");
  command->add_option("--bug", args->bug,
                      "Turn on this bug switch in every seed (overrides the profile's bug; "
                      "none turns it off)");
  command->add_flag("--no-swarm", args->no_swarm,
                    "Enable every fault and operation kind in every seed (swarm: false)");
  command
      ->add_option("--emit", args->emit,
                   "Print the scenario seed SEED draws (YAML) instead of running seeds")
      ->check(unsigned_decimal());
  command->add_flag("--wire", args->wire,
                    "Round-trip every message through the wire codec and assert it is unchanged");
  command->add_flag("--check-determinism", args->check_determinism,
                    "Run every seed twice; a different fingerprint, event count or status fails "
                    "the seed (check: determinism)");
  command->add_option("--capsules", args->capsule_dir,
                      "Where the shrunk capsules are written (default fuzz-capsules)");
  command->add_flag("--stop-on-failure", args->stop_on_failure,
                    "Stop starting seeds once one failed (the seeds run are then a prefix; "
                    "stderr says when the first failure was found)");
  command->add_flag("--no-shrink", args->no_shrink,
                    "Do not shrink failures (the summary then gives no capsules)");
  command->add_option("--junit", args->junit,
                      "Also write JUnit XML here: a test case per failure signature");
  command->add_option("--report", args->report,
                      "Also write an HTML report of the seeds' runs (distributions, checks, "
                      "failing and slowest seeds)");
  command->add_option("--shard", args->shard,
                      "Run only the seeds s with s mod M = K (K/M, K from 0); else from "
                      "FAULTLINE_SHARD, GTEST_SHARD_INDEX/GTEST_TOTAL_SHARDS or "
                      "JOB_COMPLETION_INDEX/FAULTLINE_TOTAL_SHARDS");
  command->add_option("--results", args->results_dir,
                      "Write this shard's results to DIR/shard-K-of-M.ndjson, a line per seed "
                      "started and finished, for `fuzz merge`");
  add_budget_options(command, args->budget);
  add_fuzz_merge_command(command);
  command->callback([args, command] {
    if (command->got_subcommand("merge")) return;
    if (args->path.empty())
      return (void)usage_error("fuzz: PROFILE is required (or `fuzz merge DIR...`)");
    fuzz(*args);
  });
}

}  // namespace faultline::cli
