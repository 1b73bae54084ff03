// The overlay tree's checks and its binding to the commands (tools/faultline/binding.h).
//
// Checks (what a scenario's `checks:` names):
//   always   slots_match: the leader's admitted count per team equals its pending client
//            queries of that team (caught by slot_leak_on_cancel);
//   history  results_match_ground_truth: every answer's rows equal the ground truth over exactly
//            the data it claims (ground_truth.h): row count and digest, coverage equal to the
//            data not declared missing, `complete` only with nothing missing (caught by
//            partial_claims_full and double_count_on_retry);
//            chunks_consistent: every chunk fetched belongs to its answer (same digest) and holds
//            the ground truth's rows at its position;
//            no_lost_query: every query the leader received is answered once, within
//            query_deadline, unless the leader stopped meanwhile;
//            fair_admission: each QueryStarted reports its team's running queries truly and
//            within its bound (strict: team_limit);
//            no_team_starved: no query failed waiting for a slot while its team ran none;
//            known_failures_routed_around: no query the leader took after declaring a child
//            failed (and before declaring it recovered) declares that child's subtree missing
//            (caught by no_reroute, in the simulator and the model checker);
//            routed_around: a subtree is declared missing only if its root's children were
//            stopped or the network was cut while the query ran (caught by no_reroute; not
//            judged when part_timeout >= query_deadline: nothing is routed around then);
//            failure_detected (timing): a neighbour of a node crashed for longer than the bound
//            (misses_to_fail x check_interval + check_timeout) declares it failed within it, and
//            declares it recovered within check_interval + check_timeout of its restart;
//            hedge_budget: the hedges the answers report stay within hedge_budget_percent of
//            the requests sent (one hedge of slack per asking node).
// Metrics: query_latency, query_latency_<team> (complete answers), partial_answer,
// failed_answer, rejected, detection, recovery, state_change (README.md defines them).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "protocols/overlay/protocol.h"
#include "sim/core/check_suite.h"
#include "tools/faultline/binding.h"

namespace faultline::overlay {

using View = ClusterView<Overlay>;
using Record = RunRecord<Overlay>;

std::optional<std::string> check_slots_match(const View& view);
std::optional<CheckFailure> check_results(const Record& record, const Config& config);
std::optional<CheckFailure> check_chunks(const Record& record, const Config& config);
std::optional<CheckFailure> check_no_lost_query(const Record& record, const Config& config);
std::optional<CheckFailure> check_fair_admission(const Record& record, const Config& config);
std::optional<CheckFailure> check_no_team_starved(const Record& record);
std::optional<CheckFailure> check_routed_around(const Record& record, const Config& config);
std::optional<CheckFailure> check_known_failures_routed_around(const Record& record);
std::optional<CheckFailure> check_failure_detected(const Record& record, const Config& config);
std::optional<CheckFailure> check_hedge_budget(const Record& record, const Config& config);
Metrics collect_metrics(const Record& record, const Config& config);

// The time after a crash within which every neighbour declares the node failed.
Duration detection_bound(const Config& config);
std::string team_name(const Config& config, std::uint32_t team);

CheckSuite<Overlay> check_suite(const Config& config);

// `faultline bench overlay-tail` (tail_bench.cc).
int run_tail_benchmark(const Benchmark::Context& context);
// `faultline bench overlay-scale` (scale_bench.cc).
int run_scale_benchmark(const Benchmark::Context& context);

// `faultline check --set model.queries=N`: N client queries of team 0 (limit model.limit), each
// delivered to the leader once at any point (default 1, limit 4).
struct ModelOptions {
  static constexpr std::string_view type_name = "ModelOptions";
  std::uint32_t queries = 1;
  std::uint32_t limit = 4;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("queries", self.queries);
    visit("limit", self.limit);
  }
  Result<void> validate(std::uint32_t node_count) const;
};

struct Binding : BindingDefaults<Overlay> {
  using ModelOptions = overlay::ModelOptions;
  static CheckSuite<Overlay> check_suite(const Config& config) {
    return overlay::check_suite(config);
  }
  static Result<explore::Model<Overlay>> model(const Config& config, std::uint32_t node_count,
                                               const ModelOptions& options);
  // The client history the model checker keeps: answers, chunks and the leader's declarations
  // of failed and recovered children, judged by the history checks that read nothing else.
  static void finish_model(explore::Model<Overlay>& model);
  static std::vector<Benchmark> benchmarks();
  // A run report's operations: each query, ok when answered complete or partial (its coverage
  // is in the query's metrics), failed when failed or rejected; and its panel: each node's
  // queued work (scans and admissions waiting).
  static std::vector<cli::ReportOperation> report_operations(const History<Overlay>& history);
  static void report_gauges(const Node& node, cli::ReportGaugeSink& sink);
};

}  // namespace faultline::overlay
