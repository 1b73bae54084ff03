// Write-concern replication's checks and its binding to the commands (tools/faultline/binding.h).
//
// Checks (what a scenario's `checks:` names):
//   always     no_duplicates: no store holds one message id twice;
//              total_order: every live node's delivered prefix is 1, 2, ... without a gap, no two
//              stores (any node, live or on disk) hold different messages at one seq, and no
//              store holds two entries at one seq;
//              write_concern_honest: every write the live primary acknowledged with w is held by
//              at least w nodes (their disks, or their live stores with volatile_store);
//   sometimes  delivered_a_message: some node delivered a message (the run was not vacuous);
//   eventually replicated: the primary is up, answered every write it holds, and every live
//              secondary delivered every entry the primary holds;
//   history    acknowledged_writes_kept: every message acknowledged `ok` with w at least a
//              majority is held by some node at the end.
// Metrics: ack_latency (post invocation -> its `ok`), read_only_errors (post -> `read_only`).
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
std::optional<std::string> check_delivered_a_message(const View& view);
std::optional<std::string> check_replicated(const View& view);
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

struct Binding : BindingDefaults<WriteConcern> {
  using ModelOptions = write_concern::ModelOptions;
  static CheckSuite<WriteConcern> check_suite(const Config& config) {
    return write_concern::check_suite(config);
  }
  static Result<explore::Model<WriteConcern>> model(const Config& config, std::uint32_t node_count,
                                                    const ModelOptions& options);
};

}  // namespace faultline::write_concern
