// StepObserver<P>: what a simulation run did, step by step, in the model checker's terms: each
// message delivered to an up node, each timer fired, each input handled, each crash and restart
// (sim/explore's actions), and each node after its step. Schedule shrinking
// (sim/explore/schedule_shrink.h) records a failing run through it and replays the schedule
// under the explorer's stepper.
//
// Invariants: the simulation calls the observer just before the handler runs (after deciding
// the event reaches an up node: a message lost to a partition or a down node is no step), in the
// order the steps happen; an observer never changes the run (it sees const values only), so a
// run with one has the fingerprint of a run without.
#pragma once

#include "sim/core/ids.h"

namespace faultline {

template <class P>
class StepObserver {
 public:
  virtual ~StepObserver() = default;
  virtual void delivered(NodeId from, NodeId to, const typename P::Message& message) = 0;
  virtual void timer_fired(NodeId node, const typename P::Timer& timer) = 0;
  virtual void input_handled(NodeId node, const typename P::Input& input) = 0;
  virtual void crashed(NodeId node) = 0;
  virtual void restarted(NodeId node) = 0;
  // After a node's handler (or its start) ran: the node as the step left it. Run reports read
  // their gauges here.
  virtual void stepped(NodeId, const typename P::Node&) {}
};

}  // namespace faultline
