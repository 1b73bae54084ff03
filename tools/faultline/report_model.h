// What a run report draws, with every protocol type erased: the timeline of one run (each node's
// roles, down and paused spans, the network's fault windows), its client operations with their
// outcomes, the protocol's gauges over time, and messages in flight. html_report.h draws it.
//
// A protocol contributes through its binding (binding.h): report_operations() pairs its client
// history into operations (pair_report_operations() does it for a call/reply mapping) and
// report_gauges() reads numbers off a node after each step (Raft's term, a replica's delivered
// sequence). RunTimelineCollector builds the rest: roles, clogs, markers and messages in flight
// from the run's trace (run_outcome.h), down and paused spans and network cuts from its fault log
// (FaultTimeline, as the history checks read it).
//
// Invariants: spans never overlap on one node and lie within [0, end]; gauge samples are change
// points in time order (a node's value holds until its next sample); operations are in
// invocation order. Everything here is a pure function of the run, so a report is too.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checkers/linearizability/simulation_bridge.h"
#include "sim/core/check_suite.h"
#include "sim/core/history.h"
#include "sim/engine/run_outcome.h"

namespace faultline::cli {

// One client operation: invoked, then answered ok, answered with a definite failure, or never
// answered (unknown: the client cannot tell whether it took effect).
struct ReportOperation {
  enum class Outcome : std::uint8_t { ok, failed, unknown };
  std::int64_t invoked_ns = 0;
  std::int64_t answered_ns = 0;  // ok and failed (unknown: 0, drawn as still waiting at the end)
  Outcome outcome = Outcome::unknown;
  std::string_view kind;  // "read", "write", "commit", ...: a static string of the binding's
};

std::string_view to_string(ReportOperation::Outcome outcome);

// Numbers a binding reads off a node after each step: gauge(name, value).
class ReportGaugeSink {
 public:
  virtual void gauge(std::string_view name, std::int64_t value) = 0;

 protected:
  ~ReportGaugeSink() = default;
};

struct GaugeSample {
  std::int64_t time_ns = 0;
  std::uint32_t node = 0;
  std::int64_t value = 0;
};

struct Gauge {
  std::string name;
  std::vector<GaugeSample> samples;  // change points, in time order
};

struct Span {
  std::uint32_t node = 0;
  std::int64_t begin_ns = 0;
  std::int64_t end_ns = 0;
  std::string label;  // a role, "down" or "paused"
};

struct Window {
  std::int64_t begin_ns = 0;
  std::int64_t end_ns = 0;
  std::string label;  // the fault's text
};

struct Marker {
  std::int64_t time_ns = 0;
  std::string kind;  // liveness, violation, network
  std::string label;
};

struct RunTimeline {
  std::vector<std::string> node_names;
  std::int64_t end_ns = 0;
  std::vector<Span> roles;      // each node's role, from its start or restart to the next change
  std::vector<Span> outages;    // "down" (crash to restart) and "paused" (pause to resume)
  std::vector<Window> faults;   // network cuts (partition to heal) and clogs
  std::vector<Marker> markers;  // instants: liveness phase, violations, network changes
  std::vector<GaugeSample> in_flight;  // node 0; messages sent and not yet delivered or dropped
  std::vector<Gauge> gauges;           // the binding's, in the order first reported
  std::vector<ReportOperation> operations;
};

// Builds a RunTimeline from the trace, passing every event on to `next` (the run's --trace
// writer) when there is one, and from the fault log at finish(), which closes what is open.
class RunTimelineCollector final : public TraceSink {
 public:
  RunTimelineCollector(std::vector<std::string> node_names, TraceSink* next);
  void record(const TraceEvent& event) override;
  // Messages, timers, inputs and outputs are counted, never read: no text unless `next` reads it.
  bool wants_text(std::string_view kind) const override;
  // The timeline of a run that ended at `end` with these faults.
  RunTimeline finish(Time end, const std::vector<FaultRecord>& faults) &&;
  // After a step of `node`: the binding's gauges of it, kept when they changed.
  ReportGaugeSink& gauges_of(std::uint32_t node, std::int64_t time_ns);

 private:
  class GaugeRecorder final : public ReportGaugeSink {
   public:
    explicit GaugeRecorder(RunTimelineCollector& owner) : owner_(owner) {}
    void gauge(std::string_view name, std::int64_t value) override;
    std::uint32_t node = 0;
    std::int64_t time_ns = 0;

   private:
    RunTimelineCollector& owner_;
  };

  std::uint32_t node_index(std::string_view name) const;
  void open(std::vector<std::optional<Span>>& open_spans, std::vector<Span>& done,
            std::uint32_t node, std::int64_t at, std::string label);
  void close(std::vector<std::optional<Span>>& open_spans, std::vector<Span>& done,
             std::uint32_t node, std::int64_t at);
  void clog(const TraceEvent& event);
  void add_fault_log(const std::vector<FaultRecord>& faults, Time end);
  void count_in_flight(const TraceEvent& event);

  RunTimeline timeline_;
  TraceSink* next_;
  std::map<std::string, std::uint32_t, std::less<>> index_by_name_;
  std::vector<std::optional<Span>> role_open_;
  std::int64_t in_flight_ = 0;
  std::map<std::string, std::size_t, std::less<>> gauge_index_;
  std::vector<std::vector<std::optional<std::int64_t>>> gauge_last_;  // [gauge][node]
  GaugeRecorder recorder_{*this};
};

// What a binding's operation mapping says of an input and of an output (pair_report_operations).
struct ReportCall {
  std::uint64_t request_id = 0;
  std::string_view kind;  // a static string: "read", "post", "query"
};
struct ReportReply {
  std::uint64_t request_id = 0;
  ReportOperation::Outcome outcome = ReportOperation::Outcome::ok;  // unknown: not an answer
};

// A client history paired into operations by a mapping with std::optional<ReportCall>
// call(input) and std::optional<ReportReply> reply(output): the first invocation of each request
// id (retries are the same operation), its first ok or failed reply; unknown when none came.
template <class P, class Mapping>
std::vector<ReportOperation> pair_report_operations(const History<P>& history,
                                                    const Mapping& mapping) {
  std::vector<ReportOperation> operations;
  std::map<std::uint64_t, std::size_t> index_by_request;
  for (const auto& invocation : history.invocations) {
    const std::optional<ReportCall> call = mapping.call(invocation.input);
    if (!call || index_by_request.contains(call->request_id)) continue;
    index_by_request.emplace(call->request_id, operations.size());
    operations.push_back(ReportOperation{invocation.time.nanoseconds, 0,
                                         ReportOperation::Outcome::unknown, call->kind});
  }
  for (const auto& emission : history.emissions) {
    const std::optional<ReportReply> reply = mapping.reply(emission.output);
    if (!reply || reply->outcome == ReportOperation::Outcome::unknown) continue;
    const auto it = index_by_request.find(reply->request_id);
    if (it == index_by_request.end()) continue;
    ReportOperation& op = operations[it->second];
    if (op.outcome != ReportOperation::Outcome::unknown) continue;  // the first answer counts
    op.answered_ns = emission.time.nanoseconds;
    op.outcome = reply->outcome;
  }
  return operations;
}

// A register protocol's linearizability mapping (simulation_bridge.h) as a report mapping.
template <class LinMapping>
struct ReportFromLinMapping {
  LinMapping lin;
  template <class Input>
  std::optional<ReportCall> call(const Input& input) const {
    const std::optional<lin::Call> c = lin.call(input);
    if (!c) return std::nullopt;
    return ReportCall{c->request_id, lin::to_string(c->kind)};
  }
  template <class Output>
  std::optional<ReportReply> reply(const Output& output) const {
    const std::optional<lin::Reply> r = lin.reply(output);
    if (!r) return std::nullopt;
    using Outcome = ReportOperation::Outcome;
    const Outcome outcome = r->status == lin::Reply::Status::ok       ? Outcome::ok
                            : r->status == lin::Reply::Status::failed ? Outcome::failed
                                                                      : Outcome::unknown;
    return ReportReply{r->request_id, outcome};
  }
};

}  // namespace faultline::cli
