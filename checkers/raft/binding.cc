#include "checkers/raft/binding.h"

#include <algorithm>
#include <string>
#include <variant>

#include "checkers/linearizability/simulation_bridge.h"
#include "sim/scenario/limits.h"

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
  history.client_of = [](const Input& input) -> std::optional<ClientId> {
    const auto* request = std::get_if<ClientRequest>(&input);
    if (request == nullptr) return std::nullopt;  // a campaign or a membership change
    return ClientId{static_cast<std::uint32_t>(request->client)};
  };
  history.checks.push_back(
      lin::linearizable_check<Raft>(linearizability_model, LinearizabilityMapping{}));
  model.client_history = std::move(history);
}

std::optional<lin::ClientOperations> Binding::client_operations(
    const History<Raft>& history, std::span<const int> invocation_lines) {
  return lin::ClientOperations{
      linearizability_model,
      lin::history_from_simulation<Raft>(history, LinearizabilityMapping{}, invocation_lines)};
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

// ---- scenario lint ------------------------------------------------------------------------

Result<scenario::Warnings> Binding::lint(const scenario::Scenario& scenario, const Config& config,
                                         const WorkloadConfig& workload) {
  const Duration round_trip = scenario::shortest_latency(scenario) * 2;
  const auto members =
      initial_members(config, static_cast<std::uint32_t>(scenario.node_names.size()));
  if (members.size() >= 2 && config.election_timeout.max < round_trip)
    return std::unexpected(scenario::key_error(
        scenario.config, "election_timeout",
        "the longest election timeout " + format_duration(config.election_timeout.max) +
            " is shorter than the network's shortest round trip (" + format_duration(round_trip) +
            "): a candidate times out before any vote can reach it, so no leader is ever "
            "elected"));
  scenario::Warnings warnings;
  if (workload.clients > 0 && workload.request_timeout < round_trip)
    warnings.push_back(scenario::key_error(
        scenario.workload, "request_timeout",
        "request_timeout " + format_duration(workload.request_timeout) +
            " is shorter than the network's shortest round trip (" + format_duration(round_trip) +
            "): every request is retried at the next node before its answer can arrive"));
  return warnings;
}

namespace {

// Whether the workload's clients issue writes (puts, cas) and reads at all.
struct ClientTraffic {
  bool writes = false;
  bool reads = false;
};
ClientTraffic client_traffic(const WorkloadConfig& workload) {
  const bool requests = workload.clients > 0 && workload.duration > Duration{} &&
                        workload.requests_per_client.value_or(1) > 0;
  if (!requests) return {};
  // Readers only read; the other clients write unless every request is a read.
  const bool writers = workload.clients > workload.readers && workload.read_percent < 100;
  const bool readers = workload.readers > 0 || workload.read_percent > 0;
  return ClientTraffic{writers, readers};
}

}  // namespace

std::optional<std::string> Binding::why_no_samples(std::string_view metric,
                                                   const scenario::Scenario& scenario,
                                                   const Config&, const WorkloadConfig& workload) {
  if (metric == "election" || metric == "failover") {
    if (scenario::may_stop_or_cut(scenario)) return std::nullopt;
    return "no fault or nemesis kind crashes, pauses, isolates or partitions a node, so no leader "
           "is ever lost";
  }
  // An `input` fault may be a client request, whose answer is measured like a client's.
  const bool inputs = std::ranges::any_of(scenario.faults, [](const scenario::Fault& f) {
    return std::holds_alternative<scenario::OperatorInput>(f.action);
  });
  if (inputs) return std::nullopt;
  const ClientTraffic traffic = client_traffic(workload);
  if (metric == "commit_latency" && !traffic.writes)
    return "the workload's clients issue no writes, and no input fault sends one";
  if (metric == "read_latency" && !traffic.reads)
    return "the workload's clients issue no reads, and no input fault sends one";
  if (metric == "unavailable" && !traffic.writes && !traffic.reads)
    return "the workload has no client requests, and no input fault sends one";
  return std::nullopt;
}

std::vector<cli::ReportOperation> Binding::report_operations(const History<Raft>& history) {
  return cli::pair_report_operations(history, cli::ReportFromLinMapping<LinearizabilityMapping>{});
}

void Binding::report_gauges(const Node& node, cli::ReportGaugeSink& sink) {
  sink.gauge("term", static_cast<std::int64_t>(node.current_term().value));
  sink.gauge("commit index", static_cast<std::int64_t>(node.commit_index().value));
}

}  // namespace faultline::raft
