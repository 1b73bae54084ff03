// WriteConcern: the protocol tag for write-concern replication (seed 001, "gRPC Replication").
// It names the value types the drivers use; see node.h for the state machine and README.md for
// the protocol. Node 0 is the first primary; with failover a secondary may be promoted.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "protocols/write_concern/node.h"
#include "protocols/write_concern/types.h"
#include "protocols/write_concern/workload.h"
#include "sim/core/protocol.h"

namespace faultline::write_concern {

struct WriteConcern {
  static constexpr std::string_view name = "write_concern";
  using Config = write_concern::Config;
  using Node = write_concern::Node;
  using Message = write_concern::Message;
  using Timer = write_concern::Timer;
  using Durable = write_concern::Store;
  using Input = write_concern::Input;
  using Output = write_concern::Output;
  using WorkloadConfig = write_concern::WorkloadConfig;
  using Workload = write_concern::Workload;

  static std::vector<std::string> role_names() { return {"primary", "secondary", "candidate"}; }
};

}  // namespace faultline::write_concern

namespace faultline {
using write_concern::WriteConcern;
static_assert(Protocol<WriteConcern>);
}  // namespace faultline
