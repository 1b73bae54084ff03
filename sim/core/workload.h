// Workloads: the environment a protocol runs in (clients, operators, monitoring signals).
//
// A workload is not a node: it may draw from its own Rng stream and it sees virtual time, but,
// like a node, it only records what it wants done. Each protocol P supplies
//
//   using WorkloadConfig = ...;   // decoded from the scenario's `workload:` (has a field list)
//   class Workload {
//     Workload(const WorkloadConfig&, const Config&, std::uint32_t node_count, Rng rng);
//     void start(WorkloadSink<P>&);                                     // schedule the first
//     inputs void on_output(Time now, NodeId node, const Output&, WorkloadSink<P>&);  //
//     closed-loop clients
//     // optional:
//     void on_wake(Time now, std::uint64_t token, WorkloadSink<P>&);  // a wake() it asked for
//     bool idle() const;  // nothing outstanding: the liveness phase may end
//     std::string outstanding() const;  // what is still outstanding, for the failure message
//   };
//
// Clients that retry need timeouts: wake(at, token) calls on_wake(at, token) back. A workload
// with idle() keeps the liveness phase going until every request it issued has its answer.
//
// Inputs submitted for a time in the past are delivered now; inputs to a node that is down at
// delivery are lost (the invocation stays in the history with no completion).
#pragma once

#include <cstdint>

#include "sim/core/ids.h"
#include "sim/core/time.h"

namespace faultline {

template <class P>
class WorkloadSink {
 public:
  virtual void submit(Time at, NodeId target, ClientId client, typename P::Input input) = 0;
  virtual void wake(Time at, std::uint64_t token) = 0;

 protected:
  ~WorkloadSink() = default;
};

}  // namespace faultline
