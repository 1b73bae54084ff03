// Run reports: the human summary, the JSON summary, the JSONL trace writer, and the one-line
// repro command every failure ends with.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/engine/simulation.h"
#include "tools/faultline/entry.h"
#include "tools/faultline/junit.h"

namespace faultline::cli {

struct ReproArgs {
  std::string path;
  std::vector<std::string> overrides;
  bool wire = false;
};

std::string repro_command(const ReproArgs& args, std::uint64_t seed, std::uint64_t fingerprint);
int exit_code_for(RunStatus status);
// "PASSED", "FAILED (safety violated)", ...: the summary's result line.
std::string result_text(RunStatus status);
// The more severe of two outcomes: safety, then liveness, then a budget stop, then a pass.
RunStatus worse_of(RunStatus a, RunStatus b);

void print_run(std::FILE* out, const BoundScenario& bound, const RunOutcome& outcome);

// The pieces of a run's summary other reports share: the checks table ("checks", then one row a
// check: ok/FAIL/--, name, kind, detail), the timing table (percentiles of each metric, on the
// named clock: "virtual time", "wall clock"), and both as JSON.
void print_checks_table(std::FILE* out, const std::vector<CheckVerdict>& verdicts);
void print_metrics_table(std::FILE* out, const Metrics& metrics, std::string_view clock);
nlohmann::json metrics_json(const Metrics& metrics);
nlohmann::json checks_json(const std::vector<CheckVerdict>& verdicts);
nlohmann::json run_json(const BoundScenario& bound, const RunOutcome& outcome);

struct SeedsSummary {
  std::uint64_t seed_start = 0;
  std::uint64_t seed_count = 0;
  std::vector<RunOutcome> outcomes;  // in seed order
  // --check-determinism: each seed's second run differs from its first (seed order; empty when
  // not checked). A seed stopped by a machine-dependent budget is not compared.
  std::vector<std::string> nondeterminism;
  bool determinism_checked = false;
};

// How two runs of one seed differ (fingerprint, events, status), or nothing if they agree or
// cannot be compared (a wall-time or memory stop in either).
std::optional<std::string> determinism_difference(const RunOutcome& first,
                                                  const RunOutcome& second);

// A sweep's exit code: the worst status's, or exit 2 when a seed was not deterministic (a bug in
// the simulator or the protocol's purity, as serious as a safety violation).
int seeds_exit_code(const SeedsSummary& summary);

// The JUnit test case of a sweep: one per scenario, failed when any seed failed.
JunitCase seeds_junit_case(const BoundScenario& bound, const SeedsSummary& summary,
                           const ReproArgs& repro);
void print_seeds(std::FILE* out, const BoundScenario& bound, const SeedsSummary& summary,
                 const ReproArgs& repro);
// The most severe outcome of a sweep (worse_of over every seed).
RunStatus worst_status(const SeedsSummary& summary);
nlohmann::json seeds_json(const BoundScenario& bound, const SeedsSummary& summary,
                          const ReproArgs& repro);

// Writes one JSON object per trace event: {"time_ns", "time", "kind", "node", "peer", "text"}.
class JsonlTraceWriter final : public TraceSink {
 public:
  explicit JsonlTraceWriter(std::FILE* file) : file_(file) {}
  void record(const TraceEvent& event) override;

 private:
  std::FILE* file_;
};

}  // namespace faultline::cli
