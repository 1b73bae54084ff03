// Trace file formats of `faultline run --trace-format` and `replay --trace-format`: JSON lines
// (one object per TraceEvent), Perfetto / Chrome trace-event JSON, and ShiViz (GoVector) logs.
//
// Invariants: every writer streams: it writes each event as it arrives and keeps only what later
// events need (the messages in flight, one open slice, a vector clock per node), never the
// trace. Output is a function of the events alone (no floats, no clocks, no addresses), so the
// same run writes byte-identical files. finish() is called once, after the last event, before
// the file is closed; a writer writes nothing after it.
#pragma once

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/engine/run_outcome.h"

namespace faultline::cli {

enum class TraceFormat { jsonl, perfetto, shiviz };

// The formats' names as the option takes them, for help and error texts: "jsonl|perfetto|shiviz".
std::string_view trace_format_names();
// "jsonl", "perfetto" or "shiviz"; nothing for any other text.
std::optional<TraceFormat> parse_trace_format(std::string_view text);
// For the option's check: "" for a format's name, else what was expected and what came.
std::string trace_format_error(const std::string& text);

// A TraceSink that owns a file's format: record() each event, then finish() once.
class TraceWriter : public TraceSink {
 public:
  virtual ~TraceWriter() = default;
  virtual void finish() = 0;
};

// A writer of `format` into `file` (not owned) for a run of the nodes `node_names` (index =
// NodeId, the names the events carry). `title` names the run where a format has room for it
// (Perfetto's process name).
std::unique_ptr<TraceWriter> make_trace_writer(TraceFormat format, std::FILE* file,
                                               const std::vector<std::string>& node_names,
                                               std::string_view title = "cluster");

// The message, timer, input or output type of a describe() text: the text before its first '{'
// (or before " (" when it has no '{'), trailing spaces removed. "AppendEntries{term=2}" gives
// "AppendEntries".
std::string_view describe_type(std::string_view text);

}  // namespace faultline::cli
