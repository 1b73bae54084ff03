// The trace writers of trace_formats.h. Each formats numbers with fmt from integers only, and
// escapes strings through nlohmann::json (invalid UTF-8 replaced, as the JSONL writer does), so
// a file is a function of the events alone.
#include "tools/faultline/trace_formats.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <unordered_map>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "tools/faultline/report.h"

namespace faultline::cli {

namespace {

std::string json_string(std::string_view text) {
  return nlohmann::json(std::string(text))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Virtual nanoseconds as microseconds with three decimals, from integers: 1234567 -> 1234.567.
std::string micros(std::int64_t ns) {
  const char* sign = ns < 0 ? "-" : "";
  const auto bits = static_cast<std::uint64_t>(ns);
  const std::uint64_t magnitude = ns < 0 ? 0 - bits : bits;  // unsigned: no overflow at the min
  return fmt::format("{}{}.{:03}", sign, magnitude / 1000, magnitude % 1000);
}

bool is_trigger(std::string_view kind) {
  return kind == "start" || kind == "deliver" || kind == "timer" || kind == "input" ||
         kind == "restart";
}

bool is_node_instant(std::string_view kind) {
  return kind == "crash" || kind == "restart" || kind == "pause" || kind == "resume";
}

// "kind type", or "kind" when the text has no type (start).
std::string kind_and_type(std::string_view kind, std::string_view text) {
  const std::string_view type = describe_type(text);
  return type.empty() ? std::string(kind) : fmt::format("{} {}", kind, type);
}

class JsonlWriter final : public TraceWriter {
 public:
  explicit JsonlWriter(std::FILE* file) : lines_(file) {}
  void record(const TraceEvent& event) override { lines_.record(event); }
  void finish() override {}

 private:
  JsonlTraceWriter lines_;
};

// ---- Perfetto / Chrome trace-event JSON --------------------------------------------------------

// One process (pid 1); tid 0 is the network, tid i+1 node i. Handler calls are zero-length B/E
// slices (virtual time stands still inside a handler); at most one slice is open at a time,
// because the engine runs one handler at a time, and it is closed by the first event that is
// not part of its call. Messages are v1 flows: `s` inside the sending slice, `f` ("bp":"e")
// inside the receiving one, or inside a zero-length "drop" slice, or, for a message still in
// flight when the run ends, inside a final "in flight at end" slice on the network track.
class PerfettoWriter final : public TraceWriter {
 public:
  PerfettoWriter(std::FILE* file, const std::vector<std::string>& nodes, std::string_view title);
  void record(const TraceEvent& e) override;
  void finish() override;

 private:
  struct Slice {
    int tid;
    std::int64_t ns;
    std::string name;
  };

  int tid_of(std::string_view node);
  bool continues_open(const TraceEvent& e, int tid) const;
  void open_slice(int tid, std::int64_t ns, std::string name, const TraceEvent& e);
  void close_open();
  void message_sent(int tid, const TraceEvent& e);
  void message_ended(const TraceEvent& e, int tid);
  void instant(int tid, char scope, std::int64_t ns, std::string_view name, std::string_view text);
  void flow(char ph, int tid, std::int64_t ns, std::uint64_t id, std::string_view type);
  void counter(std::int64_t ns);
  void thread_metadata(int tid, std::string_view name);
  // One event: {"ph":..,"pid":1,"tid":..,"ts":..,"name":.. then `rest` (",..." fields)}.
  void event(char ph, int tid, std::int64_t ns, std::string_view name, std::string_view rest);
  void write(std::string_view line);

  std::FILE* file_;
  std::map<std::string, int, std::less<>> tids_;
  std::optional<Slice> open_;
  std::map<std::uint64_t, std::string> in_flight_;  // id -> message type, ordered for finish()
  std::int64_t last_ns_ = 0;
  bool first_ = true;
  bool finished_ = false;
};

PerfettoWriter::PerfettoWriter(std::FILE* file, const std::vector<std::string>& nodes,
                               std::string_view title)
    : file_(file) {
  std::fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", file_);
  write(fmt::format(R"({{"ph":"M","pid":1,"tid":0,"name":"process_name","args":{{"name":{}}}}})",
                    json_string(title)));
  thread_metadata(0, "network");
  for (const std::string& node : nodes) tid_of(node);
  counter(0);
}

int PerfettoWriter::tid_of(std::string_view node) {
  if (auto it = tids_.find(node); it != tids_.end()) return it->second;
  // A node the constructor was not told of gets the next tid (never expected, but harmless).
  const int tid = static_cast<int>(tids_.size()) + 1;
  tids_.emplace(std::string(node), tid);
  thread_metadata(tid, node);
  return tid;
}

void PerfettoWriter::thread_metadata(int tid, std::string_view name) {
  write(fmt::format(R"({{"ph":"M","pid":1,"tid":{},"name":"thread_name","args":{{"name":{}}}}})",
                    tid, json_string(name)));
  write(fmt::format(
      R"({{"ph":"M","pid":1,"tid":{},"name":"thread_sort_index","args":{{"sort_index":{}}}}})", tid,
      tid));
}

void PerfettoWriter::write(std::string_view line) {
  if (!first_) std::fputs(",\n", file_);
  first_ = false;
  std::fwrite(line.data(), 1, line.size(), file_);
}

void PerfettoWriter::event(char ph, int tid, std::int64_t ns, std::string_view name,
                           std::string_view rest) {
  write(fmt::format(R"({{"ph":"{}","pid":1,"tid":{},"ts":{},"name":{}{}}})", ph, tid, micros(ns),
                    json_string(name), rest));
}

// Part of the open handler call: what it did (send, output, role) at its node and time, or a
// message it sent that the network dropped at once (a drop at the receiver, id 0).
bool PerfettoWriter::continues_open(const TraceEvent& e, int tid) const {
  if (!open_ || open_->ns != e.time.nanoseconds) return false;
  if (e.kind == "send" || e.kind == "output" || e.kind == "role") return tid == open_->tid;
  if (e.kind == "drop" && e.message == 0) {
    auto it = tids_.find(e.peer);
    return it != tids_.end() && it->second == open_->tid;
  }
  return false;
}

void PerfettoWriter::open_slice(int tid, std::int64_t ns, std::string name, const TraceEvent& e) {
  std::string args = fmt::format(R"(,"args":{{"text":{})", json_string(e.text));
  if (!e.peer.empty()) args += fmt::format(R"(,"peer":{})", json_string(e.peer));
  args += "}";
  event('B', tid, ns, name, args);
  open_ = Slice{tid, ns, std::move(name)};
}

void PerfettoWriter::close_open() {
  if (!open_) return;
  event('E', open_->tid, open_->ns, open_->name, "");
  open_.reset();
}

void PerfettoWriter::instant(int tid, char scope, std::int64_t ns, std::string_view name,
                             std::string_view text) {
  event('i', tid, ns, name,
        fmt::format(R"(,"s":"{}","args":{{"text":{}}})", scope, json_string(text)));
}

void PerfettoWriter::flow(char ph, int tid, std::int64_t ns, std::uint64_t id,
                          std::string_view type) {
  event(ph, tid, ns, type,
        fmt::format(R"(,"cat":"message","id":{}{})", id, ph == 'f' ? R"(,"bp":"e")" : ""));
}

void PerfettoWriter::counter(std::int64_t ns) {
  event('C', 0, ns, "messages in flight",
        fmt::format(R"(,"args":{{"messages":{}}})", in_flight_.size()));
}

void PerfettoWriter::message_sent(int tid, const TraceEvent& e) {
  if (!open_ || open_->tid != tid || open_->ns != e.time.nanoseconds) {
    close_open();  // a send outside any traced call: give it a slice of its own
    open_slice(tid, e.time.nanoseconds, kind_and_type(e.kind, e.text), e);
  }
  if (e.message == 0) return;
  const std::string_view type = describe_type(e.text);
  flow('s', tid, e.time.nanoseconds, e.message, type);
  in_flight_.insert_or_assign(e.message, std::string(type));
  counter(e.time.nanoseconds);
}

// A deliver's or an in-flight drop's end of the message's flow (inside the open slice).
void PerfettoWriter::message_ended(const TraceEvent& e, int tid) {
  auto it = in_flight_.find(e.message);
  if (e.message == 0 || it == in_flight_.end()) return;
  flow('f', tid, e.time.nanoseconds, e.message, it->second);
  in_flight_.erase(it);
  counter(e.time.nanoseconds);
}

void PerfettoWriter::record(const TraceEvent& e) {
  const std::int64_t ns = e.time.nanoseconds;
  last_ns_ = std::max(last_ns_, ns);
  const int tid = e.node.empty() ? 0 : tid_of(e.node);
  if (!continues_open(e, tid)) close_open();
  if (e.node.empty()) return instant(0, 'g', ns, e.kind, e.text);
  if (is_node_instant(e.kind)) instant(tid, 't', ns, e.kind, e.text);
  if (is_trigger(e.kind)) {
    open_slice(tid, ns, kind_and_type(e.kind, e.text), e);
    if (e.kind == "deliver") message_ended(e, tid);
  } else if (e.kind == "send") {
    message_sent(tid, e);
  } else if (e.kind == "drop" && e.message != 0 && in_flight_.contains(e.message)) {
    open_slice(tid, ns, kind_and_type(e.kind, e.text), e);
    message_ended(e, tid);
    close_open();
  } else if (e.kind == "role") {
    instant(tid, 't', ns, fmt::format("role {}", e.text), e.text);
  } else if (!is_node_instant(e.kind)) {
    instant(tid, 't', ns, kind_and_type(e.kind, e.text), e.text);  // output, drop at send, ...
  }
}

void PerfettoWriter::finish() {
  if (finished_) return;
  finished_ = true;
  close_open();
  if (!in_flight_.empty()) {
    // Every flow needs an end: the messages the run left in flight end on the network track.
    event('B', 0, last_ns_, "in flight at end",
          fmt::format(R"(,"args":{{"messages":{}}})", in_flight_.size()));
    for (const auto& [id, type] : in_flight_) flow('f', 0, last_ns_, id, type);
    event('E', 0, last_ns_, "in flight at end", "");
  }
  std::fputs("\n]}\n", file_);
}

// ---- ShiViz (GoVector log) ---------------------------------------------------------------------

constexpr std::string_view shiviz_regex = "(?<host>\\S*) (?<clock>{.*})\\n(?<event>.*)";

// Hosts are the nodes in order, then "network" for network-wide events and drops. A drop is an
// event of the network host that merges the clock its send had (the message ended in the
// network: an arrow from the sender into the network column, and no causality invented at the
// receiver, which never saw it); a drop at send (id 0) merges the sender's current clock.
class ShivizWriter final : public TraceWriter {
 public:
  ShivizWriter(std::FILE* file, const std::vector<std::string>& nodes);
  void record(const TraceEvent& e) override;
  void finish() override {}

 private:
  using Clock = std::vector<std::uint64_t>;
  std::size_t host_of(std::string_view name);
  static void merge(Clock& into, const Clock& from);
  void write_event(std::size_t host, const TraceEvent& e);

  std::FILE* file_;
  std::vector<std::string> hosts_;
  std::map<std::string, std::size_t, std::less<>> index_;
  std::size_t network_ = 0;
  std::vector<Clock> clocks_;                      // per host, each hosts_.size() long
  std::unordered_map<std::uint64_t, Clock> sent_;  // message id -> its send's clock (in flight)
  std::string line_;
};

ShivizWriter::ShivizWriter(std::FILE* file, const std::vector<std::string>& nodes) : file_(file) {
  for (const std::string& node : nodes) host_of(node);
  std::string network = "network";
  while (index_.contains(network)) network += "_";  // a node already has the name
  network_ = host_of(network);
  std::fprintf(file_, "%.*s\n\n", static_cast<int>(shiviz_regex.size()), shiviz_regex.data());
}

std::size_t ShivizWriter::host_of(std::string_view name) {
  if (auto it = index_.find(name); it != index_.end()) return it->second;
  const std::size_t host = hosts_.size();
  hosts_.emplace_back(name);
  index_.emplace(std::string(name), host);
  clocks_.emplace_back();
  for (Clock& clock : clocks_) clock.resize(hosts_.size(), 0);
  return host;
}

void ShivizWriter::merge(Clock& into, const Clock& from) {
  for (std::size_t i = 0; i < from.size() && i < into.size(); ++i)
    into[i] = std::max(into[i], from[i]);
}

void ShivizWriter::record(const TraceEvent& e) {
  const bool dropped = e.kind == "drop";
  const std::size_t host = e.node.empty() || dropped ? network_ : host_of(e.node);
  // Before taking a reference into clocks_: a new host would reallocate it.
  const std::size_t sender = dropped && !e.peer.empty() ? host_of(e.peer) : host;
  Clock& clock = clocks_[host];
  if (e.kind == "deliver" || dropped) {
    auto it = e.message == 0 ? sent_.end() : sent_.find(e.message);
    if (it != sent_.end()) {
      merge(clock, it->second);
      sent_.erase(it);
    } else if (dropped && sender != host) {
      merge(clock, clocks_[sender]);
    }
  }
  ++clock[host];
  if (e.kind == "send" && e.message != 0) sent_.insert_or_assign(e.message, clock);
  write_event(host, e);
}

// `host {"n0":3,"n1":1}` (the host's entry always, other zero entries left out), then the event:
// `kind #id to|from peer: text`, on one line.
void ShivizWriter::write_event(std::size_t host, const TraceEvent& e) {
  line_.clear();
  auto out = std::back_inserter(line_);
  fmt::format_to(out, "{} {{", hosts_[host]);
  bool first = true;
  for (std::size_t i = 0; i < hosts_.size(); ++i) {
    if (clocks_[host][i] == 0 && i != host) continue;
    fmt::format_to(out, "{}{}:{}", first ? "" : ",", json_string(hosts_[i]), clocks_[host][i]);
    first = false;
  }
  fmt::format_to(out, "}}\n{}", e.kind);
  if (e.message != 0) fmt::format_to(out, " #{}", e.message);
  if (!e.peer.empty()) fmt::format_to(out, " {} {}", e.kind == "send" ? "to" : "from", e.peer);
  if (host == network_ && !e.node.empty()) fmt::format_to(out, " at {}", e.node);
  if (!e.text.empty()) fmt::format_to(out, ": {}", e.text);
  const std::size_t event_start = line_.find('\n') + 1;
  std::replace(line_.begin() + static_cast<std::ptrdiff_t>(event_start), line_.end(), '\n', ' ');
  line_ += '\n';
  std::fwrite(line_.data(), 1, line_.size(), file_);
}

}  // namespace

std::string_view trace_format_names() { return "jsonl|perfetto|shiviz"; }

std::optional<TraceFormat> parse_trace_format(std::string_view text) {
  if (text == "jsonl") return TraceFormat::jsonl;
  if (text == "perfetto") return TraceFormat::perfetto;
  if (text == "shiviz") return TraceFormat::shiviz;
  return std::nullopt;
}

std::string trace_format_error(const std::string& text) {
  if (parse_trace_format(text)) return {};
  return fmt::format("expected one of {}, got '{}'", trace_format_names(), text);
}

std::unique_ptr<TraceWriter> make_trace_writer(TraceFormat format, std::FILE* file,
                                               const std::vector<std::string>& node_names,
                                               std::string_view title) {
  switch (format) {
    case TraceFormat::jsonl: return std::make_unique<JsonlWriter>(file);
    case TraceFormat::perfetto: return std::make_unique<PerfettoWriter>(file, node_names, title);
    case TraceFormat::shiviz: return std::make_unique<ShivizWriter>(file, node_names);
  }
  return nullptr;
}

std::string_view describe_type(std::string_view text) {
  std::size_t end = text.find('{');
  if (end == std::string_view::npos) end = text.find(" (");
  std::string_view type = text.substr(0, end);
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  return type;
}

}  // namespace faultline::cli
