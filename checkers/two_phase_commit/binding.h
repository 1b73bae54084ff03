// The two-phase-commit canary rollout's binding to the commands (tools/faultline/binding.h):
// its check suite, its model-checker model, the participants' symmetry, and its benchmarks.
//
// The model: 2PC nodes vote and stage only with a healthy health observation (the simulator's
// workload sends one every second), so every node gets one healthy ObserveHealth at start and
// after each restart (Model::boot_inputs). `--set model.degrade=[N, ...]` lets each named node
// observe a sick canary once, at any point, so its health gate closes and it votes no.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "checkers/two_phase_commit/suite.h"
#include "protocols/two_phase_commit/protocol.h"
#include "sim/explore/world.h"
#include "tools/faultline/binding.h"

namespace faultline::two_phase_commit {

// The workload's healthy baseline (80ms p95, 0.2% errors): within the default gate limits.
ObserveHealth healthy_observation();
// A canary over the default latency and error limits, so a node's health gate closes.
ObserveHealth sick_observation();

// `faultline check --set model.key=value`.
struct ModelOptions {
  static constexpr std::string_view type_name = "ModelOptions";
  std::vector<std::uint32_t> degrade;  // nodes that may observe a sick canary once
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("degrade", self.degrade);
  }
  Result<void> validate(std::uint32_t node_count) const;
};

using Model = explore::Model<TwoPhaseCommit>;

struct Binding : BindingDefaults<TwoPhaseCommit> {
  using ModelOptions = two_phase_commit::ModelOptions;

  static CheckSuite<TwoPhaseCommit> check_suite(const Config& config) {
    return two_phase_commit::check_suite(config);
  }
  static Result<Model> model(const Config& config, std::uint32_t node_count,
                             const ModelOptions& options);
  // Participants 1..N-1 are interchangeable (every node gets the same boot inputs, the config
  // names no participant, and a participant's state names only itself), so states that differ
  // only by a renaming of participants are explored once. A model input to one named
  // participant (degrade) breaks the symmetry: none then.
  static std::optional<Model::Symmetry> symmetry(const Model& model);
  static std::vector<Benchmark> benchmarks();
  // With participants and a stage to run, timeouts shorter than the network's shortest round
  // trip (2 x the shortest one-way latency) are warnings: a prepare_timeout aborts every stage,
  // a decision_retry resends every decision, a query_interval queries before any decision can
  // arrive.
  static Result<scenario::Warnings> lint(const scenario::Scenario& scenario, const Config& config,
                                         const WorkloadConfig& workload);
  // Every metric needs a transaction: a rollout stage that begins before the run ends
  // (stage_interval < until + converge_within). stage_duration and blocked_time need a
  // participant (two nodes or more). blocked_time needs a participant in doubt for
  // query_interval: a fault or nemesis, a network that drops, duplicates or reorders, or a
  // longest one-way latency of at least query_interval / 4 (a doubt lasts under 3 latencies).
  static std::optional<std::string> why_no_samples(std::string_view metric,
                                                   const scenario::Scenario& scenario,
                                                   const Config& config,
                                                   const WorkloadConfig& workload);
  // A run report's operations: each predict request and the node's answer; and its panels, the
  // rollout's stages as each node committed them: the canary's weight and the routing version.
  static std::vector<cli::ReportOperation> report_operations(
      const History<TwoPhaseCommit>& history);
  static void report_gauges(const Node& node, cli::ReportGaugeSink& sink);
};

// `faultline bench check`: unique states per second of the explorer on 2PC beside SPIN on the
// Promela model in bench/spin (check_bench.cc); the large variant climbs to the 16 M-state space.
int run_check_benchmark(const Benchmark::Context& context);
int run_large_check_benchmark(const Benchmark::Context& context);

}  // namespace faultline::two_phase_commit
