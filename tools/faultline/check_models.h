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
#include <vector>

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

inline Model<two_phase_commit::TwoPhaseCommit> two_phase_commit_model(const two_phase_commit::Config& config,
                                                                       std::uint32_t node_count) {
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
  symmetry.rename = [](const two_phase_commit::Node& node, std::span<const NodeId> ids) { return node.renamed(ids); };
  model.symmetry = std::move(symmetry);
}

// Raft: `requests` client writes (client i+1, seq 1, put k=v<i>). Each is offered to every node
// as its own input, so whichever node leads when it arrives takes it; the others answer
// not_leader, and a second copy reaching a later leader is deduplicated by the session.
// Elections are driven by the timer actions (time is abstract: any armed timer may fire).
inline Model<raft::Raft> raft_model(const raft::Config& config, std::uint32_t node_count, std::uint32_t requests) {
  Model<raft::Raft> model;
  model.config = config;
  model.node_count = node_count;
  for (std::uint32_t i = 0; i < requests; ++i)
    for (std::uint32_t n = 0; n < node_count; ++n)
      model.model_inputs.emplace_back(
          NodeId{n}, raft::Input{raft::ClientRequest{i + 1, 1, 0, raft::Put{"k", "v" + std::to_string(i + 1)}}});
  return model;
}

inline Model<ping::Ping> ping_model(const ping::Config& config, std::uint32_t node_count) {
  Model<ping::Ping> model;
  model.config = config;
  model.node_count = node_count;
  return model;
}

}  // namespace faultline::explore
