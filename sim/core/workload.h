// Workloads: the environment a protocol runs in (clients, operators, monitoring signals).
//
// A workload is not a node: it may draw from its own Rng stream and it sees virtual time, but,
// like a node, it only records what it wants done: inputs for nodes (WorkloadSink::submit) and
// wake-ups for itself (WorkloadSink::wake). The contract a protocol's Workload meets is the
// concept ProtocolWorkload in protocol.h; WorkloadDefaults below supplies its optional hooks.
//
// Clients that retry need timeouts: wake(at, token) calls on_wake(at, token) back. A workload
// whose idle() can be false keeps the liveness phase going until every request it issued has
// its answer.
//
// Inputs submitted for a time in the past are delivered now; inputs to a node that is down at
// delivery are lost (the invocation stays in the history with no completion).
//
// A workload whose clients can follow a script (the scenario's `workload.operations`) reports
// the operations it issued as that script (script(), below), so `faultline shrink` can make a
// failing run's client operations explicit and then remove them one by one. Invariant: the
// workload config with the script set and the superseded keys removed issues the same inputs at
// the same times as the run that produced it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/core/assert.h"
#include "sim/core/config_tree.h"
#include "sim/core/ids.h"
#include "sim/core/time.h"

namespace faultline {

// The client operations a run issued, as workload config: the list for `workload.operations`,
// and the workload keys that only shape drawn operations, which the script makes meaningless.
struct WorkloadScript {
  ConfigTree operations;  // a list
  std::vector<std::string> superseded_keys;
};

// One client's cursor over the requests a script gives it (`workload.operations`), in order:
// take() returns the next one, sent no earlier than `from` (a closed-loop client sends after the
// answer to the one before). Request has `Duration at` (from the start of the run).
template <class Request>
struct ScriptCursor {
  std::vector<Request> requests;
  std::size_t next = 0;

  std::optional<Request> take(Time from) {
    FL_ASSERT(next <= requests.size(), "the cursor stays inside the script");
    if (next == requests.size()) return std::nullopt;
    Request request = requests[next++];
    request.at = std::max(request.at, Duration{from.nanoseconds});
    FL_ASSERT(Time{} + request.at >= from, "never sent before it may be");
    return request;
  }
};

// The requests a run issued for times up to `end` (where it stopped), in time order; a stable
// sort, so each client's requests, issued one after another, stay in order. What script()
// encodes.
template <class Request>
std::vector<Request> issued_until(const std::vector<Request>& issued, Time end) {
  std::vector<Request> sent;
  for (const Request& request : issued)
    if (Time{} + request.at <= end) sent.push_back(request);
  std::stable_sort(sent.begin(), sent.end(),
                   [](const Request& a, const Request& b) { return a.at < b.at; });
  return sent;
}

template <class P>
class WorkloadSink {
 public:
  virtual void submit(Time at, NodeId target, ClientId client, typename P::Input input) = 0;
  virtual void wake(Time at, std::uint64_t token) = 0;

 protected:
  ~WorkloadSink() = default;
};

// The optional hooks of a Workload, with their defaults: a protocol's Workload derives from
// WorkloadDefaults<P> and declares only the hooks it needs (a declaration in the derived class
// hides the default). The defaults describe an open-loop workload: it never asks for a wake-up,
// never has anything outstanding, and its inputs can be scheduled up front. An open-loop
// workload may still ask for wake-ups to submit its inputs in batches (declaring on_wake), as
// long as no output decides them: a driver that schedules up front runs those wake-ups at once.
template <class P>
class WorkloadDefaults {
 public:
  // True for a workload that reacts to outputs and asks for wake-ups (closed-loop clients):
  // the socket runtime then drives it in real time instead of scheduling its inputs up front.
  static constexpr bool closed_loop = false;

  // A wake-up it asked for with WorkloadSink::wake. An open-loop workload asks for none unless
  // it batches its inputs (above).
  void on_wake(Time, std::uint64_t, WorkloadSink<P>&) {
    FL_UNREACHABLE("a wake-up for a workload that never asks for one");
  }
  // Nothing outstanding: the liveness phase may end.
  bool idle() const { return true; }
  // What is still outstanding, for the failure message of a liveness phase that did not end.
  std::string outstanding() const { return {}; }
  // The operations it issued for times up to `end` (where the run stopped), as a script that
  // replays them; none: the workload has no scripted mode (its inputs are not client
  // operations, or it cannot replay them).
  std::optional<WorkloadScript> script(Time) const { return std::nullopt; }

 protected:
  ~WorkloadDefaults() = default;
};

}  // namespace faultline
