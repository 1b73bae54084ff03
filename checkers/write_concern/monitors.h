// Monitors (sim/core/property.h) for write-concern replication's store properties, so that the
// simulator's cost of checking them after an event does not grow with the run. The whole-view
// checks (binding.cc) read every entry of every store, live and on disk: evaluated after every
// event, a long run is quadratic in its length (8k events/s on secondary_crash_catch_up).
//
// Each monitor keeps a copy of every store as it last saw it (two per node: the live store and
// the disk) and an index of what they hold. After an event it compares each changed node's
// stores with its copies (equal vectors: most events, heartbeats and acks), and otherwise reads
// only the entries between the common prefix and the common suffix, as removed and added, and
// answers yes when an added entry may break the property:
//   no_duplicates  a client's id now held twice by one store (gap fillers are not messages);
//   total_order    a seq now held twice by one store, an (epoch, seq) now held with a second id
//                  by some store, or a changed live node whose delivered end is not the seq of
//                  its delivered-th entry (with seqs unique per store, the prefix 1..d has no
//                  gap exactly when the d-th entry's seq is d);
//   write_concern_honest  a primary's set of acknowledged pending writes changed, or a disk
//                  lost an entry (a write, once held by enough disks, stays so until then);
//   majority_acks_kept  a primary's set of writes acknowledged with w at least a majority
//                  changed, a node became a primary, or a primary's store lost an entry.
// Why a no is sound: at the previous call the verdict held (an `always` violation stops the
// run), a node the event did not name has the same stores as then, the index holds exactly the
// copies' entries, and removing an entry cannot break the first two; so a violation now needs
// an added entry or a changed delivered end, which is what the monitors test.
// Cost: linear in a changed node's store per event (a compare, and a copy when it changed), the
// same order as the persist copy the protocol makes after each store.
#pragma once

#include <functional>
#include <memory>

#include "protocols/write_concern/protocol.h"
#include "sim/core/property.h"

namespace faultline::write_concern {

using MonitorFactory = std::function<std::unique_ptr<Monitor<WriteConcern>>()>;

MonitorFactory no_duplicates_monitor();
MonitorFactory total_order_monitor();
MonitorFactory write_concern_honest_monitor();
MonitorFactory majority_acks_kept_monitor();

}  // namespace faultline::write_concern
