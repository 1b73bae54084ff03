#include "tools/faultline/report_model.h"

#include <algorithm>

#include "sim/core/assert.h"
#include "sim/core/fault_timeline.h"

namespace faultline::cli {

std::string_view to_string(ReportOperation::Outcome outcome) {
  switch (outcome) {
    case ReportOperation::Outcome::ok: return "ok";
    case ReportOperation::Outcome::failed: return "failed";
    case ReportOperation::Outcome::unknown: return "unknown";
  }
  return "";
}

RunTimelineCollector::RunTimelineCollector(std::vector<std::string> node_names, TraceSink* next)
    : next_(next) {
  for (std::uint32_t i = 0; i < node_names.size(); ++i) index_by_name_.emplace(node_names[i], i);
  role_open_.resize(node_names.size());
  timeline_.node_names = std::move(node_names);
}

std::uint32_t RunTimelineCollector::node_index(std::string_view name) const {
  const auto it = index_by_name_.find(name);
  FL_ASSERT(it != index_by_name_.end(), "a traced node is one of the scenario's");
  return it->second;
}

void RunTimelineCollector::open(std::vector<std::optional<Span>>& open_spans,
                                std::vector<Span>& done, std::uint32_t node, std::int64_t at,
                                std::string label) {
  close(open_spans, done, node, at);
  open_spans[node] = Span{node, at, at, std::move(label)};
}

void RunTimelineCollector::close(std::vector<std::optional<Span>>& open_spans,
                                 std::vector<Span>& done, std::uint32_t node, std::int64_t at) {
  if (!open_spans[node]) return;
  Span span = std::move(*open_spans[node]);
  open_spans[node].reset();
  span.end_ns = at;
  FL_ASSERT(span.end_ns >= span.begin_ns, "a span ends after it begins");
  if (span.end_ns > span.begin_ns) done.push_back(std::move(span));
}

// "clog {n0} -> {n1} for 2s": a window as long as it says (a clog ends by itself, unrecorded).
void RunTimelineCollector::clog(const TraceEvent& event) {
  const std::int64_t at = event.time.nanoseconds;
  const auto for_at = event.text.rfind(" for ");
  const auto length = for_at == std::string::npos
                          ? Result<Duration>(Duration{})
                          : parse_duration(std::string_view(event.text).substr(for_at + 5));
  timeline_.faults.push_back(Window{at, at + (length ? length->nanoseconds : 0), event.text});
}

void RunTimelineCollector::count_in_flight(const TraceEvent& event) {
  if (event.message == 0) return;
  in_flight_ += event.kind == "send" ? 1 : -1;
  FL_ASSERT(in_flight_ >= 0, "a message ends after it was sent");
  auto& samples = timeline_.in_flight;
  if (!samples.empty() && samples.back().time_ns == event.time.nanoseconds)
    samples.back().value = in_flight_;
  else
    samples.push_back(GaugeSample{event.time.nanoseconds, 0, in_flight_});
}

bool RunTimelineCollector::wants_text(std::string_view kind) const {
  if (next_ != nullptr && next_->wants_text(kind)) return true;
  return kind != "send" && kind != "deliver" && kind != "drop" && kind != "timer" &&
         kind != "input" && kind != "output";
}

void RunTimelineCollector::record(const TraceEvent& event) {
  if (next_ != nullptr) next_->record(event);
  const std::int64_t at = event.time.nanoseconds;
  const std::string_view kind = event.kind;
  if (kind == "send" || kind == "deliver" || kind == "drop") return count_in_flight(event);
  if (kind == "role") {
    open(role_open_, timeline_.roles, node_index(event.node), at, event.text);
  } else if (kind == "crash") {
    close(role_open_, timeline_.roles, node_index(event.node), at);
  } else if (kind == "clog") {
    clog(event);
  } else if (kind == "liveness" || kind == "violation" || kind == "network") {
    timeline_.markers.push_back(Marker{at, std::string(kind), event.text});
  }
}

void RunTimelineCollector::GaugeRecorder::gauge(std::string_view name, std::int64_t value) {
  RunTimeline& timeline = owner_.timeline_;
  auto it = owner_.gauge_index_.find(name);
  if (it == owner_.gauge_index_.end()) {
    it = owner_.gauge_index_.emplace(std::string(name), timeline.gauges.size()).first;
    timeline.gauges.push_back(Gauge{std::string(name), {}});
    owner_.gauge_last_.emplace_back(timeline.node_names.size());
  }
  std::optional<std::int64_t>& last = owner_.gauge_last_[it->second][node];
  if (last == value) return;
  last = value;
  timeline.gauges[it->second].samples.push_back(GaugeSample{time_ns, node, value});
}

ReportGaugeSink& RunTimelineCollector::gauges_of(std::uint32_t node, std::int64_t time_ns) {
  FL_ASSERT(node < timeline_.node_names.size(), "gauges of a node of the scenario");
  recorder_.node = node;
  recorder_.time_ns = time_ns;
  return recorder_;
}

// Down and paused spans and network cuts, as the history checks read them (fault_timeline.h);
// a cut is labelled with the partitions that made it.
void RunTimelineCollector::add_fault_log(const std::vector<FaultRecord>& faults, Time end) {
  const FaultTimeline timeline(faults, end);
  for (const FaultTimeline::Stop& stop : timeline.stops())
    if (stop.to > stop.from)
      timeline_.outages.push_back(Span{stop.node.value, stop.from.nanoseconds, stop.to.nanoseconds,
                                       stop.crash ? "down" : "paused"});
  for (const FaultTimeline::Interval& cut : timeline.cuts()) {
    Window window{cut.from.nanoseconds, cut.to.nanoseconds, ""};
    for (const FaultRecord& f : faults)
      if (f.kind == FaultRecord::Kind::partition && f.time >= cut.from && f.time < cut.to)
        window.label += (window.label.empty() ? "" : "; ") + f.text;
    if (window.end_ns > window.begin_ns) timeline_.faults.push_back(std::move(window));
  }
}

RunTimeline RunTimelineCollector::finish(Time end, const std::vector<FaultRecord>& faults) && {
  const std::int64_t end_ns = end.nanoseconds;
  for (std::uint32_t node = 0; node < timeline_.node_names.size(); ++node)
    close(role_open_, timeline_.roles, node, end_ns);
  add_fault_log(faults, end);
  timeline_.end_ns = end_ns;
  // Spans were closed node by node: sort them by node, then time, for drawing.
  const auto by_node_time = [](const Span& a, const Span& b) {
    return a.node != b.node ? a.node < b.node : a.begin_ns < b.begin_ns;
  };
  std::stable_sort(timeline_.roles.begin(), timeline_.roles.end(), by_node_time);
  std::stable_sort(timeline_.outages.begin(), timeline_.outages.end(), by_node_time);
  return std::move(timeline_);
}

}  // namespace faultline::cli
