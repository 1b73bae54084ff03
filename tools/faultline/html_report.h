// The HTML report of a run or of a sweep of seeds (`--report FILE.html`, `faultline report`): one
// self-contained file (inline CSS and SVG, no script, nothing fetched) a person opens offline.
//
// A single run: a timeline with a track per node (roles, down and paused spans) and the fault
// windows shaded across all tracks; every client operation's latency against its invocation
// time, coloured by outcome; throughput with unavailability windows; messages in flight; one
// panel per gauge the protocol's binding reports; the checks and the timing table.
// A sweep: each timing metric's distribution over every seed (a CDF when seeds have one or two
// samples each, like failover or convergence; otherwise a percentile plot on a log 1/(1-p) axis,
// as HdrHistogram's plots are read), each check's pass and fail counts, the failing seeds and
// each metric's slowest seeds with their repro commands.
//
// Size is bounded whatever the run: at most 64 node tracks and 16 lines per gauge are drawn,
// spans narrower than a pixel merge into one, latency points share a 3x3 px cell per outcome,
// series keep one point per pixel column, and tables are capped (html_report.cc says how).
// Invariants: the output is a pure function of its arguments (no clock, no environment), so
// the same command writes the same bytes; every text from a run is escaped.
#pragma once

#include <string>

#include "sim/engine/run_outcome.h"
#include "tools/faultline/report_model.h"
#include "tools/faultline/sweep_report.h"

namespace faultline::cli {

struct ReportHeader {
  std::string title;  // the scenario's name
  std::string scenario_path;
  std::string protocol;
  std::string command;  // the command line that wrote the report
  std::string version;  // "faultline 0.1.0 (build ...)"
};

std::string run_report_html(const ReportHeader& header, const RunOutcome& outcome,
                            const RunTimeline& timeline, const std::string& repro);
std::string sweep_report_html(const ReportHeader& header, const SweepReport& sweep);

}  // namespace faultline::cli
