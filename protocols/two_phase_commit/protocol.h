// TwoPhaseCommit: the protocol tag for the staged canary rollout replicated with two-phase
// commit (the seed "Distributed Canary Deployment System"). It names the value types the
// drivers use; see node.h for the state machine and README.md ("Two-phase commit") for the
// protocol.
//
// Node 0 is the coordinator; nodes 1..N-1 are participants.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "protocols/two_phase_commit/node.h"
#include "protocols/two_phase_commit/types.h"
#include "protocols/two_phase_commit/workload.h"
#include "sim/core/protocol.h"

namespace faultline::two_phase_commit {

struct TwoPhaseCommit {
  static constexpr std::string_view name = "two_phase_commit";
  using Config = two_phase_commit::Config;
  using Node = two_phase_commit::Node;
  using Message = two_phase_commit::Message;
  using Timer = two_phase_commit::Timer;
  using Durable = two_phase_commit::Log;
  using Input = two_phase_commit::Input;
  using Output = two_phase_commit::Output;
  using WorkloadConfig = two_phase_commit::WorkloadConfig;
  using Workload = two_phase_commit::Workload;

  static std::vector<std::string> role_names() { return {"coordinator", "participant"}; }
};

}  // namespace faultline::two_phase_commit

namespace faultline {
using two_phase_commit::TwoPhaseCommit;
static_assert(Protocol<TwoPhaseCommit>);
}  // namespace faultline
