// CheckSuite<P>: what a protocol is checked against, shared by all three drivers (the
// simulator, the explorer and the socket runtime's history check), and the RunRecord a finished
// (or stopped) run hands to its history checks and metrics.
//
// A suite holds state and transition properties (property.h), history checks over a whole run,
// and the metrics a run reports. Faults in a RunRecord say what the fault injector did and when,
// so timing checks can measure from "the leader crashed" to "a new leader committed"; drivers
// without a fault injector (the explorer, a real cluster's history) pass none.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/history.h"
#include "sim/core/ids.h"
#include "sim/core/property.h"
#include "sim/core/time.h"

namespace faultline {

struct FaultRecord {
  enum class Kind {
    crash,
    restart,
    pause,
    resume,
    partition,
    heal,
    network,
    clog,
    input,
    liveness_start
  };
  Time time;
  Kind kind;
  // The nodes it touched (crash/restart/pause/resume/isolate), else empty.
  std::vector<NodeId> nodes;
  std::string text;  // "crash n0 (coordinator)"
  // Partition/heal/clog: who can still reach whom, after it.
  std::vector<std::vector<NodeId>> components;
};

// The fault kind as traces name it ("crash", "operator_input", "liveness", ...).
inline std::string_view to_string(FaultRecord::Kind kind) {
  switch (kind) {
    case FaultRecord::Kind::crash: return "crash";
    case FaultRecord::Kind::restart: return "restart";
    case FaultRecord::Kind::pause: return "pause";
    case FaultRecord::Kind::resume: return "resume";
    case FaultRecord::Kind::partition: return "partition";
    case FaultRecord::Kind::heal: return "heal";
    case FaultRecord::Kind::network: return "network";
    case FaultRecord::Kind::clog: return "clog";
    case FaultRecord::Kind::input: return "operator_input";
    case FaultRecord::Kind::liveness_start: return "liveness";
  }
  return "fault";
}

template <class P>
struct RunRecord {
  const History<P>& history;
  ClusterView<P> final_view;
  const std::vector<FaultRecord>& faults;
  const std::vector<std::string>& node_names;
  Time safety_end;  // when the liveness phase began
  Time end;         // when the run stopped
};

// Why a history check did not hold. An inconclusive result (a search that ran out of budget)
// is never reported as a violation: the run fails as a missed expectation (exit 3) instead.
struct CheckFailure {
  std::string reason;
  bool inconclusive = false;
  CheckFailure(std::string why, bool unknown = false)
      : reason(std::move(why)), inconclusive(unknown) {}  // NOLINT: implicit from a reason
};

// A check over the whole run; returns nothing when it holds, else why not.
template <class P>
struct HistoryCheck {
  std::string name;
  bool liveness =
      false;  // a failure is a missed liveness/timing expectation (exit 3), not safety (exit 2)
  std::function<std::optional<CheckFailure>(const RunRecord<P>&)> check;
  // What else the check reads besides the client history (the nodes' final state, the fault
  // log), as the reason a history alone cannot decide it; empty when the history is enough.
  // `faultline check-history` judges a recorded history alone and lists such a check as
  // "not evaluated: <this>".
  std::string needs_beyond_history = {};
};

// Named duration samples ("decision_latency") for reports and `expect:` bounds.
using Metrics = std::map<std::string, std::vector<Duration>>;

template <class P>
struct CheckSuite {
  std::vector<Property<P>> properties;
  std::vector<HistoryCheck<P>> history_checks;
  std::function<Metrics(const RunRecord<P>&)> metrics;
  // Every name `metrics` may report, so a scenario's `expect:` names are checked when it loads
  // (a suite with `metrics` but no names declared gets no such check).
  std::vector<std::string> metric_names;
};

}  // namespace faultline
