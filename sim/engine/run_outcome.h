// What a simulator run takes besides the scenario (RunOptions, a TraceSink) and what it returns
// (RunOutcome): the types every caller of run_simulation() sees, kept apart from the engine.
//
// Invariants: a RunOutcome's status is passed only if failure is empty; budget_exceeded only
// with a budget_stop, and never with a later failure recorded over it; the first safety
// failure stands (record_failure never replaces it), and a liveness failure never replaces an
// earlier liveness failure.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/budget.h"
#include "sim/core/check_suite.h"
#include "sim/core/time.h"
#include "sim/core/workload.h"
#include "sim/engine/network.h"
#include "sim/scenario/scenario.h"

namespace faultline {

// A scenario with its protocol-specific parts decoded (see load_scenario.h).
template <class P>
struct LoadedScenario {
  scenario::Scenario scenario;
  typename P::Config config;
  typename P::WorkloadConfig workload;
  std::map<std::size_t, typename P::Input> operator_inputs;  // by index into scenario.faults
};

// One event of a run as traces show it. A handler call is traced as its trigger (start, deliver,
// timer, input, restart) followed by what it did (send, output, role), all at the same time and
// node; a message sent has an id that its deliver, or the drop that ends it, carries too.
struct TraceEvent {
  Time time;
  std::string_view kind;  // start, send, deliver, drop, timer, input, output, role, crash, ...
  std::string_view node;  // the node it happened at ("" for network-wide events)
  std::string_view peer;  // send: the receiver; deliver, drop: the sender; else ""
  std::string text;       // describe() of the message, timer, input or output; or fault text
  // send, deliver and a drop of a message once in flight: the message's id (from 1, one per
  // copy the network delivers, so a duplicate has its own); 0 for every other event.
  std::uint64_t message = 0;
};

class TraceSink {
 public:
  virtual void record(const TraceEvent& event) = 0;
  // Whether events of `kind` need their text: describing every message costs more than the
  // rest of a traced run, and a sink that reads only some kinds gets "" for the others.
  virtual bool wants_text(std::string_view /*kind*/) const { return true; }

 protected:
  ~TraceSink() = default;
};

struct RunOptions {
  std::uint64_t seed = 1;
  TraceSink* trace = nullptr;
  bool wire_check = false;  // round-trip every message through the codec
  RunBudget budget;         // a run that needs more ends with RunStatus::budget_exceeded
  const DriverLimits* limits = nullptr;  // wall time and memory, measured by the driver
  bool want_script = false;              // fill RunOutcome::workload_script (shrinking asks for it)
  // Fold every processed event into RunOutcome::fingerprint (on by default everywhere; off, the
  // run is the same event for event and its fingerprint is 0). `bench engine` turns it off to
  // report what it costs.
  bool fingerprint = true;
};

struct CheckVerdict {
  std::string name;
  std::string kind;  // always, sometimes, eventually, history, expect
  bool passed = true;
  std::string detail;
  bool evaluated = true;  // false: the run stopped before it could be judged (passed is false)
};

enum class RunStatus { passed, safety_violation, liveness_violation, budget_exceeded };

inline std::string_view to_string(RunStatus s) {
  switch (s) {
    case RunStatus::passed: return "passed";
    case RunStatus::safety_violation: return "safety_violation";
    case RunStatus::liveness_violation: return "liveness_violation";
    case RunStatus::budget_exceeded: return "budget_exceeded";
  }
  return "";
}

struct RunOutcome {
  std::uint64_t seed = 0;
  std::uint64_t events = 0;
  // Client calls: the invocations of the run's history from clients (the operator's fault inputs
  // left out), each retry of a request counted again, as the nodes saw it.
  std::uint64_t client_calls = 0;
  Time end;
  Time safety_end;
  std::uint64_t fingerprint = 0;
  RunStatus status = RunStatus::passed;
  std::string failure;  // the first failure, one line
  std::vector<CheckVerdict> verdicts;
  Metrics metrics;
  NetworkStats network;
  std::optional<Duration> convergence;  // liveness start -> every eventually property held
  std::uint32_t crashes = 0;
  std::uint32_t restarts = 0;
  std::map<std::string, std::uint32_t> faults_by_kind;  // every fault applied, by kind
  std::optional<BudgetStop> budget_stop;                // set when status is budget_exceeded
  // What the nemesis did, each as an explicit fault with its time and nodes by name (only the
  // draws that changed something), for `faultline shrink` to turn the nemesis into a list.
  std::vector<scenario::Fault> nemesis_faults;
  // With RunOptions::want_script: the client operations the workload issued, as the script that
  // replays them (none when the protocol's workload has no scripted mode).
  std::optional<WorkloadScript> workload_script;
};

// Records a failure unless an earlier one outranks it: the first safety failure wins, and the
// first liveness failure stands until a safety failure replaces it. A budget stop ends the run,
// so nothing is judged after it (at_end leaves the remaining checks "not evaluated").
inline void record_failure(RunOutcome& outcome, RunStatus status, std::string text) {
  if (outcome.status == RunStatus::safety_violation) return;
  if (outcome.status == RunStatus::budget_exceeded) return;
  if (outcome.status == RunStatus::liveness_violation && status == RunStatus::liveness_violation)
    return;
  outcome.status = status;
  outcome.failure = std::move(text);
}

}  // namespace faultline
