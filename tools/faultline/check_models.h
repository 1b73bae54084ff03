// The model-checking bindings of each protocol: how `faultline check` turns a protocol's Config
// and a node count into an explore::Model, and which properties it checks.
//
// The only protocol-specific knowledge is the environment a node needs to make progress: 2PC
// nodes vote and stage only with a healthy health observation (the simulator's workload sends
// one every second), so every node gets one healthy ObserveHealth at start and after each
// restart (Model::boot_inputs). Shared by the CLI and tests so both explore the same model.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "checkers/linearizability/simulation_bridge.h"
#include "checkers/raft/suite.h"
#include "checkers/two_phase_commit/suite.h"
#include "protocols/ping/ping.h"
#include "protocols/raft/protocol.h"
#include "protocols/two_phase_commit/protocol.h"
#include "sim/explore/world.h"

namespace faultline::explore {

// The workload's healthy baseline (80ms p95, 0.2% errors): within the default gate limits.
inline two_phase_commit::ObserveHealth healthy_observation() {
  return two_phase_commit::ObserveHealth{Duration::from_milliseconds(80), Ratio{1, 500}};
}

// What `check --degrade N` lets node N observe once: a canary over the default latency and error
// limits, so that node's health gate closes and it votes no.
inline two_phase_commit::ObserveHealth sick_observation() {
  return two_phase_commit::ObserveHealth{Duration::from_milliseconds(400), Ratio{5, 100}};
}

inline Model<two_phase_commit::TwoPhaseCommit> two_phase_commit_model(
    const two_phase_commit::Config& config, std::uint32_t node_count) {
  Model<two_phase_commit::TwoPhaseCommit> model;
  model.config = config;
  model.node_count = node_count;
  model.boot_inputs.assign(node_count, {two_phase_commit::Input{healthy_observation()}});
  return model;
}

// `check --symmetry` for 2PC: participants 1..N-1 are interchangeable (every node gets the same
// boot inputs, the config names no participant, and a participant's state names only itself),
// so states that differ only by a renaming of participants are explored once (Model::Symmetry).
// A model input (--degrade) goes to one named participant, which breaks the symmetry.
inline void add_participant_symmetry(Model<two_phase_commit::TwoPhaseCommit>& model) {
  FL_ASSERT(model.model_inputs.empty(), "participant symmetry with an input to one participant");
  Model<two_phase_commit::TwoPhaseCommit>::Symmetry symmetry;
  for (std::uint32_t i = 1; i < model.node_count; ++i) symmetry.nodes.push_back(i);
  symmetry.rename = [](const two_phase_commit::Node& node, std::span<const NodeId> ids) {
    return node.renamed(ids);
  };
  model.symmetry = std::move(symmetry);
}

// Raft's client history: ok replies to clients, checked for linearizability on every state
// (a leader that answers a read it may no longer be entitled to is caught here, not by any
// property of the nodes). Applied to every Raft model, including one rebuilt from a file.
inline void add_raft_client_history(Model<raft::Raft>& model) {
  Model<raft::Raft>::ClientHistory history;
  history.records = [](const raft::Output& output) {
    const auto* reply = std::get_if<raft::ClientReply>(&output);
    return reply != nullptr && reply->status == raft::ReplyStatus::ok;
  };
  history.client_of = [](const raft::Input& input) {
    const auto* request = std::get_if<raft::ClientRequest>(&input);
    FL_ASSERT(request != nullptr, "a Raft model input is a client request");
    return ClientId{static_cast<std::uint32_t>(request->client)};
  };
  history.checks.push_back(
      lin::linearizable_check<raft::Raft>(lin::ModelKind::kv, raft::LinearizabilityMapping{}));
  model.client_history = std::move(history);
}

// Raft: `writes` client writes (client i, seq 1, put k=v<i>) and then `reads` client reads
// (get k). Each is offered to every node as its own input, so whichever node leads when it
// arrives takes it; the others answer not_leader, and a second copy reaching a later leader is
// deduplicated by the session. The client history records each call at its first arrival.
// Elections are driven by the timer actions (time is abstract: any armed timer may fire).
inline Model<raft::Raft> raft_model(const raft::Config& config, std::uint32_t node_count,
                                    std::uint32_t writes, std::uint32_t reads = 0) {
  Model<raft::Raft> model;
  model.config = config;
  model.node_count = node_count;
  for (std::uint32_t i = 0; i < writes + reads; ++i) {
    const std::uint64_t client = i + 1;
    const raft::Operation operation =
        i < writes ? raft::Operation{raft::Put{"k", "v" + std::to_string(client)}}
                   : raft::Operation{raft::Get{"k"}};
    for (std::uint32_t n = 0; n < node_count; ++n)
      model.model_inputs.emplace_back(NodeId{n},
                                      raft::Input{raft::ClientRequest{client, 1, 0, operation}});
  }
  add_raft_client_history(model);
  return model;
}

inline Model<ping::Ping> ping_model(const ping::Config& config, std::uint32_t node_count) {
  Model<ping::Ping> model;
  model.config = config;
  model.node_count = node_count;
  return model;
}

}  // namespace faultline::explore
