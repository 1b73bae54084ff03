// Monitors (sim/core/property.h) for the two-phase-commit state properties, so that what the
// simulator spends on them after an event does not grow with the run. The whole-view checks
// (suite.cc) read every record of every durable log, O(records) per event: a long run would be
// quadratic in its length.
//
// Each monitor keeps its own index of what the logs hold (per tx, per version or per node).
// After an event it reads only the records the changed nodes' logs gained since its last call,
// and the changed nodes' live states, and answers yes when those may have changed the verdict:
//   atomicity          a tx now logged both committed and aborted;
//   validity           a committed tx without a durable yes vote from some participant;
//   agreement          a version now held with a state other than the one it was held with;
//   durability         a changed live node whose state differs from its log's latest commit;
//   votes_in_order     a participant's PREPARED record not above every earlier record's tx;
//   committed_a_stage  a COMMITTED record, or a live version above 1.
// Why a no is sound: at the previous call the verdict held (an `always` violation stops the run;
// a `sometimes` property is watched only until it is met), a node the event did not name has
// the same state and log as then, and the index holds exactly what the logs held; so the verdict
// can change only through what the changed nodes gained, which is what each monitor tests.
//
// Records disappear only when a log is replaced by one that does not extend it: a restart under
// the forget_vote_on_restart bug drops the PREPARED records. The monitors notice through the
// log's chained checksum (LogRecords::chain, protocols/two_phase_commit/types.h), up to a 64-bit
// collision, and then rebuild their index from every log and answer yes.
#pragma once

#include <functional>
#include <memory>

#include "protocols/two_phase_commit/protocol.h"
#include "sim/core/property.h"

namespace faultline::two_phase_commit {

using MonitorFactory = std::function<std::unique_ptr<Monitor<TwoPhaseCommit>>()>;

MonitorFactory atomicity_monitor();
MonitorFactory validity_monitor();
MonitorFactory agreement_monitor();
MonitorFactory durability_monitor(const Config& config);
MonitorFactory votes_in_order_monitor();
MonitorFactory committed_a_stage_monitor();

}  // namespace faultline::two_phase_commit
