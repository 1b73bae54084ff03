// What two-phase-commit tests do often on top of the generic Harness<TwoPhaseCommit>
// (tests/support/harness.h): report a health observation, run one rollout stage, fire the
// coordinator's prepare timeout. Each is a short sequence of harness calls; none drives the
// cluster in a way the harness itself could not.
#pragma once

#include <cstdint>
#include <variant>

#include "protocols/two_phase_commit/log.h"
#include "protocols/two_phase_commit/protocol.h"
#include "tests/support/harness.h"

namespace faultline::two_phase_commit::testing {

using Harness = faultline::testing::Harness<TwoPhaseCommit>;
using Envelope = Harness::Envelope;

// A health observation that opens (healthy) or closes the node's gate with the default config.
inline void observe(Harness& h, NodeId node, bool healthy) {
  using namespace literals;
  h.input(node, ObserveHealth{healthy ? 80_ms : 400_ms, healthy ? Ratio{1, 500} : Ratio{5, 100}});
}
inline void observe_all(Harness& h, bool healthy) {
  for (std::uint32_t i = 0; i < h.node_count(); ++i) observe(h, NodeId{i}, healthy);
}

// One full stage: fire the coordinator's stage timer (it must be armed), deliver everything.
inline void run_stage(Harness& h) {
  h.fire(Node::coordinator_id, StageTimer{});
  h.deliver_all();
}

// Fires the prepare timeout of whatever tx the coordinator is collecting votes for. False: no
// prepare timer is armed.
inline bool fire_prepare_timeout(Harness& h) {
  for (const Timer& t : h.timers(Node::coordinator_id))
    if (std::holds_alternative<PrepareTimer>(t)) {
      h.fire(Node::coordinator_id, Timer{t});
      return true;
    }
  return false;
}

}  // namespace faultline::two_phase_commit::testing
