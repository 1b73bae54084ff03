// QuorumKv: the protocol tag of the quorum key-value store (seed 004, "Distributed KV Store
// Lab"). It names the value types the drivers use; node.h has the state machine and README.md
// the protocol. The layout is fixed by position: n0 gateway, n1 registry, n2 coordinator, n3 the
// leader, then the followers, then the spares.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "protocols/quorum_kv/node.h"
#include "protocols/quorum_kv/types.h"
#include "protocols/quorum_kv/workload.h"
#include "sim/core/protocol.h"

namespace faultline::quorum_kv {

struct QuorumKv {
  static constexpr std::string_view name = "quorum_kv";
  using Config = quorum_kv::Config;
  using Node = quorum_kv::Node;
  using Message = quorum_kv::Message;
  using Timer = quorum_kv::Timer;
  using Durable = quorum_kv::Store;
  using Input = quorum_kv::Input;
  using Output = quorum_kv::Output;
  using WorkloadConfig = quorum_kv::WorkloadConfig;
  using Workload = quorum_kv::Workload;

  static std::vector<std::string> role_names() {
    return {"gateway", "registry", "coordinator", "leader", "follower", "spare", "replica"};
  }
};

}  // namespace faultline::quorum_kv

namespace faultline {
using quorum_kv::QuorumKv;
static_assert(Protocol<QuorumKv>);
}  // namespace faultline
