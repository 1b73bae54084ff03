#include "checkers/ping/binding.h"

#include <cstdint>
#include <map>

namespace faultline::ping {

std::optional<std::string> check_count_durable(const ClusterView<Ping>& view) {
  FL_ASSERT(view.nodes.size() == view.disks.size(), "a disk per node");
  for (std::size_t i = 0; i < view.nodes.size(); ++i) {
    if (!view.nodes[i] || !view.disks[i]) continue;
    if (view.nodes[i]->received() >= view.disks[i]->count) continue;
    return "n" + std::to_string(i) + " counts " + std::to_string(view.nodes[i]->received()) +
           " tokens but persisted " + std::to_string(view.disks[i]->count);
  }
  return std::nullopt;
}

std::optional<std::string> check_token_received(const ClusterView<Ping>& view) {
  for (const auto& node : view.nodes)
    if (node && node->received() > 0) return std::nullopt;
  return "no node has received a token";
}

std::optional<CheckFailure> check_counts_monotone(const RunRecord<Ping>& record) {
  std::map<std::uint32_t, std::uint64_t> last;  // node -> the count it reported last
  for (const Emission<Ping>& emission : record.history.emissions) {
    const std::uint32_t node = emission.node.value;
    const auto it = last.find(node);
    if (it != last.end() && emission.output.count < it->second)
      return CheckFailure("n" + std::to_string(node) + " reported " +
                          std::to_string(emission.output.count) + " tokens at " +
                          format_time(emission.time) + " after reporting " +
                          std::to_string(it->second));
    last[node] = emission.output.count;
  }
  return std::nullopt;
}

CheckSuite<Ping> check_suite(const Config&) {
  CheckSuite<Ping> suite;
  suite.properties.push_back(
      Property<Ping>{"count_durable", PropertyKind::always, &check_count_durable});
  suite.properties.push_back(
      Property<Ping>{"token_received", PropertyKind::sometimes, &check_token_received});
  suite.history_checks.push_back(
      HistoryCheck<Ping>{"counts_monotone", false, &check_counts_monotone});
  // No metrics of its own (no `metrics`, no metric_names): `expect:` may name only the
  // simulator's `convergence`.
  return suite;
}

Result<void> ModelOptions::validate(std::uint32_t node_count) const {
  if (std::uint64_t{reports} * node_count > 64)
    return fail("reports", 0, "more than 64 Report inputs in all are beyond any search");
  return {};
}

Result<explore::Model<Ping>> Binding::model(const Config& config, std::uint32_t node_count,
                                            const ModelOptions& options) {
  explore::Model<Ping> model;
  model.config = config;
  model.node_count = node_count;
  for (std::uint32_t n = 0; n < node_count; ++n)
    for (std::uint32_t r = 0; r < options.reports; ++r)
      model.model_inputs.emplace_back(NodeId{n}, Input{Report{}});
  return model;
}

std::vector<Benchmark> Binding::benchmarks() {
  return {Benchmark{"ping", Benchmark::Group::engine,
                    "ping, 100 nodes, fingerprint on/off, vs bare binary and 4-ary heaps", "",
                    &run_engine_benchmark},
          Benchmark{"ping-scale", Benchmark::Group::alone,
                    "ping from 10^3 to 10^6 nodes: events/s, virtual/wall time, peak memory "
                    "(--set nodes=[...], events=N)",
                    "", &run_scale_benchmark}};
}

}  // namespace faultline::ping
