// Fuzzing from a swarm profile: the parts `faultline fuzz` is made of, each usable alone so that
// shrinking, sharded result files and reports can be built on them:
//
//   load_profile_file   a profile file -> LoadedProfile, parsed and probed against its protocol
//   draw_scenario_text  (profile, seed) -> the concrete scenario text that seed draws
//   bind_scenario_text  that text -> a scenario bound to its protocol, as `run` loads a file
//   run_fuzz_seed       (profile, seed) -> FuzzOutcome, a small record of one run
//   failure_signature   (signature.h) a failure line -> the same line with numbers, ids,
//                       durations and hex normalised, so like failures share one signature
//   fuzz_summary        (FuzzSummaryInfo, records) -> the summary text
//
// Invariants: draw_scenario_text and run_fuzz_seed are pure functions of the profile, the seed and
// the run options (a seed's record never depends on --jobs, other seeds or the clock, except a
// wall-time or memory budget stop, which says so); run_fuzz_seed runs exactly the text
// draw_scenario_text returns (what --emit prints), so `faultline run` on it reproduces the
// fingerprint; fuzz_summary is a pure function of its arguments, so any list of the same records
// prints the same bytes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sim/core/result.h"
#include "sim/engine/run_outcome.h"
#include "sim/scenario/swarm.h"
#include "tools/faultline/budget_options.h"
#include "tools/faultline/entry.h"
#include "tools/faultline/junit.h"
#include "tools/faultline/signature.h"

namespace faultline::cli {

// What the command line changes in a profile (and repeats in every repro command).
struct ProfileOverrides {
  std::optional<std::string> bug;  // --bug NAME ("none": no bug switch)
  bool no_swarm = false;           // --no-swarm: every kind enabled in every seed
};

// " --bug X --no-swarm": the overrides as the command line gives them ("" for none).
std::string override_flags(const ProfileOverrides& overrides);

// "faultline fuzz PROFILE --emit SEED --bug X": prints the scenario `seed` draws.
std::string fuzz_emit_command(const std::string& profile_path, const std::string& overrides,
                              std::uint64_t seed);

struct LoadedProfile {
  std::string path;  // as given on the command line
  scenario::SwarmProfile profile;
  const ProtocolEntry* entry = nullptr;
  ProfileOverrides overrides;
};

// A swarm profile's file name: swarm.yaml, or one ending in .swarm.yaml (how `lint` tells a
// profile from a scenario; `fuzz` takes any name).
bool is_swarm_profile_path(std::string_view path);

// Reads, parses and checks a profile: every draw expression alone must give a scenario the
// protocol accepts (probe_swarm_profile), so a misspelt key or an impossible value is reported at
// its line before any seed runs. The overrides are applied before the probes.
Result<LoadedProfile> load_profile_file(const std::string& path,
                                        const ProfileOverrides& overrides = {});

// The scenario text seed `seed` draws (what `fuzz PROFILE --emit SEED` prints), with a header
// comment saying how to draw it again. An error is a value the profile lets this seed draw that
// no scenario can hold (a node count that is not a number), at the profile's line.
Result<std::string> draw_scenario_text(const LoadedProfile& loaded, std::uint64_t seed);

// The drawn text loaded as `faultline run` loads a file. An error means the profile lets this
// seed draw a scenario the protocol rejects (two choices that clash only together); it names
// the profile's line where the drawn tree shows it, and the seed.
Result<BoundScenario> bind_scenario_text(const LoadedProfile& loaded, std::uint64_t seed,
                                         const std::string& text);

// The one-line command that reproduces a seed: emit its scenario, then replay it.
std::string fuzz_repro_command(const LoadedProfile& loaded, std::uint64_t seed,
                               std::uint64_t fingerprint, bool wire);

struct FuzzOutcome {
  std::uint64_t seed = 0;
  RunStatus status = RunStatus::passed;
  std::string check;      // the check (or budget) that failed; "" when passed
  std::string signature;  // failure_signature(failure); "" when passed
  std::string failure;    // the run's first failure line; "" when passed
  std::uint64_t fingerprint = 0;
  std::uint64_t events = 0;
  std::string repro;  // fuzz_repro_command; "" when passed
  // Set by shrink_fuzz_record on the first seed of each signature ("" otherwise):
  std::string capsule;  // the capsule file's path
  std::string shrunk;   // "events 3,308 -> 1,571, faults 5 -> 1, nodes 5 -> 4, client calls 310 ->
                        // 12, 49 runs"
  std::string capsule_repro;  // the one-line command that replays the capsule
};

struct FuzzRunOptions {
  BudgetArgs budget;  // validated by the caller
  bool wire = false;
  bool check_determinism = false;  // run twice; a difference is a failure of check "determinism"
  // Sees each seed's run (its first, with check_determinism), for fuzz --report; called from
  // the worker threads.
  std::function<void(const RunOutcome&)> observe = {};
};

// Draws seed `seed`, runs it (twice with check_determinism) and returns its record.
Result<FuzzOutcome> run_fuzz_seed(const LoadedProfile& loaded, std::uint64_t seed,
                                  const FuzzRunOptions& options);

// The outcome of one run as a record: which check failed and the normalised signature.
FuzzOutcome fuzz_outcome(const RunOutcome& outcome);

// The records shrink_fuzz_record shrinks: the first (by seed) of each signature, unless it
// stopped at a budget or ran differently twice (nothing to shrink). Indices into `records`,
// which are in seed order.
std::vector<std::size_t> records_to_shrink(std::span<const FuzzOutcome> records);

struct FuzzShrinkOptions {
  std::string capsule_dir;  // where capsules are written (it must exist)
  std::uint64_t runs_max = 500;
  BudgetArgs budget;  // per run
};

// Shrinks the scenario `record`'s seed draws (shrink.h) to a capsule file in
// options.capsule_dir, named after the profile and the seed, and sets record.capsule, shrunk and
// capsule_repro. Returns the shrink's wall time (for the progress output, never the summary).
Result<std::chrono::milliseconds> shrink_fuzz_record(const LoadedProfile& loaded,
                                                     FuzzOutcome& record,
                                                     const FuzzShrinkOptions& options);

// Shard `index` of `count` runs the seeds s with s mod count = index (fuzz_results.h).
struct Shard {
  std::uint64_t index = 0;
  std::uint64_t count = 1;  // 1: not sharded
  bool operator==(const Shard&) const = default;
};

// What the summary says besides the records.
struct FuzzSummaryInfo {
  std::string profile_path;
  std::string profile_name;
  std::string protocol;
  std::string bug;  // "" for none
  bool swarm = true;
  std::uint64_t seed_start = 1;
  std::uint64_t seed_count = 0;      // the seeds asked for (records may hold a prefix: --time)
  bool determinism_checked = false;  // --check-determinism: every seed ran twice
  bool stop_on_failure = false;      // --stop-on-failure: a failure stops starting seeds
  Shard shard{};                     // the seeds of [seed_start, +seed_count) this run took
};

// The summary: seeds run, passed, failed, stopped at a budget; each distinct signature with its
// count, status, first seed, repro command and capsule, in order of first seed. `records` are in
// seed order.
std::string fuzz_summary(const FuzzSummaryInfo& info, std::span<const FuzzOutcome> records);

// JUnit cases: one per signature (a failure, or an error for a budget stop), with the first
// seed's failure, repro command and capsule; one passing case when no seed failed.
std::vector<JunitCase> fuzz_junit_cases(const FuzzSummaryInfo& info,
                                        std::span<const FuzzOutcome> records);

// The most severe status among the records (worse_of, as `run --seeds` decides its exit code).
RunStatus worst_status(std::span<const FuzzOutcome> records);

}  // namespace faultline::cli
