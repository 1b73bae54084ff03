#include "checkers/raft/binding.h"

#include <algorithm>
#include <string>

#include "checkers/linearizability/simulation_bridge.h"

namespace faultline::raft {

Result<void> ModelOptions::validate(std::uint32_t) const {
  // Clients are numbered 1..requests+reads and each call is one input per node.
  if (std::uint64_t{requests} + reads > 64)
    return fail("requests", 0, "requests + reads above 64 are beyond any search");
  return {};
}

Result<Model> Binding::model(const Config& config, std::uint32_t node_count,
                             const ModelOptions& options) {
  Model model;
  model.config = config;
  model.node_count = node_count;
  for (std::uint32_t i = 0; i < options.requests + options.reads; ++i) {
    const std::uint64_t client = i + 1;
    const Operation operation = i < options.requests
                                    ? Operation{Put{"k", "v" + std::to_string(client)}}
                                    : Operation{Get{"k"}};
    for (std::uint32_t n = 0; n < node_count; ++n)
      model.model_inputs.emplace_back(NodeId{n}, Input{ClientRequest{client, 1, 0, operation}});
  }
  return model;
}

void Binding::finish_model(Model& model) {
  Model::ClientHistory history;
  history.records = [](const Output& output) {
    const auto* reply = std::get_if<ClientReply>(&output);
    return reply != nullptr && reply->status == ReplyStatus::ok;
  };
  history.client_of = [](const Input& input) {
    const auto* request = std::get_if<ClientRequest>(&input);
    FL_ASSERT(request != nullptr, "a Raft model input is a client request");
    return ClientId{static_cast<std::uint32_t>(request->client)};
  };
  history.checks.push_back(
      lin::linearizable_check<Raft>(lin::ModelKind::kv, LinearizabilityMapping{}));
  model.client_history = std::move(history);
}

std::uint64_t highest_session(const Node& node) {
  std::uint64_t highest = 0;
  if (!node.state().sessions.empty()) highest = node.state().sessions.rbegin()->first;
  for (Index k = node.first_index(); k <= node.last_index(); ++k)
    if (const auto* c = std::get_if<ClientCommand>(&node.entry_at(k).command))
      highest = std::max(highest, c->client);
  return highest;
}

Result<void> Binding::prepare_client(WorkloadConfig& workload, const FetchNodeStates<Raft>& fetch) {
  if (workload.session_base) return {};
  auto nodes = fetch();
  if (!nodes) return std::unexpected(nodes.error());
  if (nodes->empty())
    return fail(
        "no node answered a status request, so the client cannot pick unused session ids (set "
        "one with --set workload.session_base=N)");
  std::uint64_t highest = 0;
  for (const Node& node : *nodes) highest = std::max(highest, highest_session(node));
  workload.session_base = highest;
  return {};
}

std::vector<Benchmark> Binding::benchmarks() {
  return {
      Benchmark{"raft", Benchmark::Group::engine, "Raft, 5 nodes, load+faults",
                "scenarios/raft/five_node_nemesis.yaml"},
      Benchmark{"raft-socket", Benchmark::Group::alone,
                "Raft writes/s over real processes with fsync (--set clients=N, seconds=10s, ...)",
                "", &run_socket_benchmark},
      Benchmark{"raft-scale", Benchmark::Group::alone,
                "Raft events/s at 5..1,024 nodes, incremental vs whole-view checks (--set "
                "nodes=[5,64], seconds=2s, every_event=false)",
                "", &run_scale_benchmark},
  };
}

}  // namespace faultline::raft
