// Write-concern replication's checks and its binding to the commands (tools/faultline/binding.h).
//
// Checks (what a scenario's `checks:` names):
//   always     no_duplicates: no store holds one client message twice;
//              total_order: every live node's delivered prefix is 1, 2, ... without a gap, no two
//              stores (any node, live or on disk) hold different messages at one seq of one
//              epoch, and no store holds two entries at one seq;
//              write_concern_honest: every write a live primary of the newest epoch
//              acknowledged with w is held at its seq by at least w disks (not judged with
//              volatile_store);
//              one_primary_per_epoch: stores naming one epoch's primary agree on it;
//              majority_acks_kept: a write a live primary acknowledged with w at least a
//              majority is in every live primary of a newer epoch (leader completeness);
//   transition quorum_guard: a primary accepts a write only with the level's nodes available;
//   sometimes  delivered_a_message: some node delivered a message (the run was not vacuous);
//   eventually replicated: the newest live primary answered every write it holds, and every
//              other live node follows it, reconciled with its log and holds exactly it;
//   history    acknowledged_writes_kept: every message acknowledged `ok` with w at least a
//              majority is in the final log (smaller w: counted as lost, not failed).
// Metrics: ack_latency and ack_latency_w<k> (post -> its `ok`), read_only_errors (post ->
// `read_only`), acked_lost_w<k>, rolled_back_<acked|unacked>_<read|unread>, rolled_back_kept,
// catch_up, read_only_time (README.md defines them).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/write_concern/protocol.h"
#include "sim/core/check_suite.h"
#include "tools/faultline/binding.h"

namespace faultline::write_concern {

using View = ClusterView<WriteConcern>;
using Record = RunRecord<WriteConcern>;

std::optional<std::string> check_total_order(const View& view);
std::optional<std::string> check_no_duplicates(const View& view);
std::optional<std::string> check_write_concern_honest(const View& view, const Config& config);
std::optional<std::string> check_one_primary_per_epoch(const View& view);
std::optional<std::string> check_quorum_guard(const NodeStep<WriteConcern>& step,
                                              const Config& config);
std::optional<std::string> check_majority_acks_kept(const View& view);
std::optional<std::string> check_delivered_a_message(const View& view);
std::optional<std::string> check_replicated(const View& view);
// An acknowledged write the final primary's log lacks.
struct LostWrite {
  MessageId id;
  std::uint32_t w = 1;
  Time acknowledged;
};
std::vector<LostWrite> lost_acknowledged_writes(const Record& record);
std::optional<CheckFailure> check_acknowledged_writes_kept(const Record& record);
Metrics collect_metrics(const Record& record);

CheckSuite<WriteConcern> check_suite(const Config& config);

// `faultline check --set model.posts=[2, 1]`: one post per entry, with that write concern, from
// client 1, each delivered once at any point (default: one w=2 post).
struct ModelOptions {
  static constexpr std::string_view type_name = "ModelOptions";
  std::vector<std::uint32_t> posts{2};
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("posts", self.posts);
  }
  Result<void> validate(std::uint32_t node_count) const;
};

// `faultline bench write_concern-socket` (socket_bench.cc).
int run_socket_benchmark(const Benchmark::Context& context);

struct Binding : BindingDefaults<WriteConcern> {
  using ModelOptions = write_concern::ModelOptions;
  static CheckSuite<WriteConcern> check_suite(const Config& config) {
    return write_concern::check_suite(config);
  }
  static Result<explore::Model<WriteConcern>> model(const Config& config, std::uint32_t node_count,
                                                    const ModelOptions& options);
  static std::vector<Benchmark> benchmarks();
  // A run report's operations: each post, ok, failed (unavailable, not primary, bad request) or
  // unknown (read_only: stored on some nodes, maybe); and its panel: each node's delivered
  // sequence, whose gap to the primary's is the replication lag.
  static std::vector<cli::ReportOperation> report_operations(const History<WriteConcern>& history);
  static void report_gauges(const Node& node, cli::ReportGaugeSink& sink);
};

}  // namespace faultline::write_concern
