// Overlay: the protocol tag for the overlay fan-out query tree (seed 002, "Distributed Overlay
// Network System + Fault Tolerance"). It names the value types the drivers use; node.h holds the
// state machine, tree.h the shape and the data, README.md the protocol.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "protocols/overlay/node.h"
#include "protocols/overlay/types.h"
#include "protocols/overlay/workload.h"
#include "sim/core/protocol.h"

namespace faultline::overlay {

struct Overlay {
  static constexpr std::string_view name = "overlay";
  using Config = overlay::Config;
  using Node = overlay::Node;
  using Message = overlay::Message;
  using Timer = overlay::Timer;
  using Durable = overlay::Disk;
  using Input = overlay::Input;
  using Output = overlay::Output;
  using WorkloadConfig = overlay::WorkloadConfig;
  using Workload = overlay::Workload;

  static std::vector<std::string> role_names() { return {"leader", "team_leader", "worker"}; }
};

}  // namespace faultline::overlay

namespace faultline {
using overlay::Overlay;
static_assert(Protocol<Overlay>);
}  // namespace faultline
