// Raft: the protocol tag for Raft with a replicated key-value store (the seed "Coordinator
// Redundancy"). It names the value types the drivers use; see node.h for the state machine and
// README.md ("Raft") for the protocol.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "protocols/raft/node.h"
#include "protocols/raft/types.h"
#include "protocols/raft/workload.h"
#include "sim/core/protocol.h"

namespace faultline::raft {

struct Raft {
  static constexpr std::string_view name = "raft";
  using Config = raft::Config;
  using Node = raft::Node;
  using Message = raft::Message;
  using Timer = raft::Timer;
  using Durable = raft::Disk;
  using Input = raft::Input;
  using Output = raft::Output;
  using WorkloadConfig = raft::WorkloadConfig;
  using Workload = raft::Workload;

  static std::vector<std::string> role_names() { return {"leader", "follower", "candidate"}; }
};

}  // namespace faultline::raft

namespace faultline {
using raft::Raft;
static_assert(Protocol<Raft>);
}  // namespace faultline
