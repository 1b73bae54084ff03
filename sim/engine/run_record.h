// What a finished (or stopped) simulation hands to history checkers and timing reports.
//
// History: every Input delivered to a node (with the client that sent it) and every Output a
// node emitted, with virtual times, in the order they happened. Checkers pair them by the
// protocol's own request ids. Faults: what the fault injector did and when, so timing checkers
// can measure from "the leader crashed" to "a new leader committed".
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/core/ids.h"
#include "sim/core/property.h"
#include "sim/core/time.h"

namespace faultline {

template <class P>
struct Invocation {
  Time time;
  NodeId node;
  ClientId client;
  typename P::Input input;
  bool delivered = true;  // false: the node was down and the input was lost
};

template <class P>
struct Emission {
  Time time;
  NodeId node;
  typename P::Output output;
};

template <class P>
struct History {
  std::vector<Invocation<P>> invocations;
  std::vector<Emission<P>> emissions;
};

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
  std::vector<NodeId>
      nodes;         // the nodes it touched (crash/restart/pause/resume/isolate), else empty
  std::string text;  // "crash n0 (coordinator)"
  std::vector<std::vector<NodeId>>
      components;  // partition/heal/clog: who can still reach whom, after it
};

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
};

// Named duration samples ("decision_latency") for reports and `expect:` bounds.
using Metrics = std::map<std::string, std::vector<Duration>>;

template <class P>
struct CheckSuite {
  std::vector<Property<P>> properties;
  std::vector<HistoryCheck<P>> history_checks;
  std::function<Metrics(const RunRecord<P>&)> metrics;
};

}  // namespace faultline
