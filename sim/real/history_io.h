// History files: a client's recorded History<P> (sim/core/history.h) as JSON lines. The first
// line is a header saying what the file is; then one event a line (each example below is one
// line, wrapped here):
//
//   {"format":"faultline-history","version":1,"protocol":"raft","nodes":3,
//    "node_names":["n0","n1","n2"],"recorded_by":"faultline client raft.yaml --history h.jsonl",
//    "clock":"monotonic","clock_origin_ns":81723461234,"config":{"heartbeat_interval":"50ms"}}
//   {"event":"invocation","time_ns":1200,"node":"n1","node_index":1,"client":"c0","delivered":true,
//    "text":"Request{client=1, seq=1, ...}","codec":"0a01..."}
//   {"event":"emission","time_ns":1900,"node":"n1","node_index":1,"text":"ClientReply{...}",
//    "codec":"..."}
//
// `text` is describe() for people; `codec` is the codec encoding (hex) for programs, so a file
// reads back into exactly the values that were recorded. The header's `config` is the protocol's
// config as the cluster file (or the scenario) gave it, so a checker can build the same suite;
// `clock` says what time_ns counts: "monotonic", nanoseconds since the recording client started
// (CLOCK_MONOTONIC read clock_origin_ns then), or "virtual", the simulator's time.
//
// Reading checks every line and names the file and line of the first bad one. A file without a
// header (recorded before version 1 had one) is read too, with no protocol or config known; a
// file whose header names another protocol is refused at line 1.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/core/codec.h"
#include "sim/core/config_tree.h"
#include "sim/core/describe.h"
#include "sim/core/history.h"
#include "sim/core/text.h"

namespace faultline::real {

inline constexpr std::string_view history_format_name = "faultline-history";
inline constexpr int history_format_version = 1;

struct HistoryHeader {
  std::string protocol;
  std::vector<std::string> node_names;  // one per node, in NodeId order
  std::string recorded_by;              // the command line that recorded the file
  std::string clock;                    // "monotonic" or "virtual"
  std::int64_t clock_origin_ns = 0;     // monotonic: CLOCK_MONOTONIC at time 0
  ConfigTree config;                    // the protocol's config keys as given (none: defaults)
};

// The header as one JSON line (no newline).
std::string header_line(const HistoryHeader& header);

// A config tree as JSON (maps as objects, lists as arrays, scalars as strings) and back; the
// tree read back has paths under `root` ("config.election_timeout") and no lines.
nlohmann::ordered_json config_to_json(const ConfigTree& tree);
ConfigTree config_from_json(const nlohmann::ordered_json& json, const std::string& root);

// One event line with its value still as codec bytes.
struct EventLine {
  bool invocation = false;  // else an emission
  Time time;
  NodeId node;
  ClientId client;
  bool delivered = true;
  std::vector<std::uint8_t> codec;
  int line = 0;
};

struct HistoryLines {
  std::optional<HistoryHeader> header;
  int header_line = 0;  // its line (1 unless blank lines come first)
  std::vector<EventLine> events;
  std::uint32_t node_count = 0;  // the header's, else one past the highest node_index seen
};

// Whether the file's first non-blank line is a recorded history's: a header, or an event line
// (with `event` and `codec`). False for other text and for a file that cannot be read.
bool is_recorded_history(const std::string& path);

// Reads and checks every line of a history file: a directory, an unreadable file, a line that
// is not JSON (a line cut short says so), a second header, an unknown format version and a
// node_index outside the header's nodes are errors naming the file and line. A leading UTF-8
// byte-order mark and blank lines are skipped. An empty file is no error (no events).
Result<HistoryLines> read_history_lines(const std::string& path);

template <class P>
std::string invocation_line(const Invocation<P>& inv, const std::vector<std::string>& node_names) {
  nlohmann::json j;
  j["event"] = "invocation";
  j["time_ns"] = inv.time.nanoseconds;
  j["node"] = node_names.at(inv.node.value);
  j["node_index"] = inv.node.value;
  j["client"] = describe(inv.client);
  j["delivered"] = inv.delivered;
  j["text"] = describe(inv.input);
  j["codec"] = to_hex(encode_to_bytes(inv.input));
  return j.dump();
}

template <class P>
std::string emission_line(const Emission<P>& em, const std::vector<std::string>& node_names) {
  nlohmann::json j;
  j["event"] = "emission";
  j["time_ns"] = em.time.nanoseconds;
  j["node"] = node_names.at(em.node.value);
  j["node_index"] = em.node.value;
  j["text"] = describe(em.output);
  j["codec"] = to_hex(encode_to_bytes(em.output));
  return j.dump();
}

// A whole history, header first, invocations and emissions merged in time order (invocations
// first at equal times), one line each.
template <class P>
void write_history(std::FILE* out, const HistoryHeader& header, const History<P>& history) {
  std::fprintf(out, "%s\n", header_line(header).c_str());
  std::size_t e = 0;
  for (const auto& inv : history.invocations) {
    for (; e < history.emissions.size() && history.emissions[e].time < inv.time; ++e)
      std::fprintf(out, "%s\n", emission_line(history.emissions[e], header.node_names).c_str());
    std::fprintf(out, "%s\n", invocation_line(inv, header.node_names).c_str());
  }
  for (; e < history.emissions.size(); ++e)
    std::fprintf(out, "%s\n", emission_line(history.emissions[e], header.node_names).c_str());
}

// A history file read for protocol P, with the line each event came from.
template <class P>
struct RecordedHistory {
  std::optional<HistoryHeader> header;
  int header_line = 0;
  std::vector<std::string> node_names;  // the header's, else n0, n1, ...
  History<P> history;
  std::vector<int> invocation_lines;  // parallel to history.invocations
  std::vector<int> emission_lines;    // parallel to history.emissions
};

// The header's protocol against P's name: "a two_phase_commit history, not raft" at line 1.
Result<void> check_header_protocol(const std::string& path, const HistoryLines& lines,
                                   std::string_view protocol);

template <class P>
Result<RecordedHistory<P>> decode_history(const std::string& path, HistoryLines lines) {
  if (auto ok = check_header_protocol(path, lines, P::name); !ok)
    return std::unexpected(ok.error());
  RecordedHistory<P> recorded;
  if (lines.header) recorded.node_names = lines.header->node_names;
  for (std::uint32_t n = recorded.node_names.size(); n < lines.node_count; ++n)
    recorded.node_names.push_back("n" + std::to_string(n));
  for (EventLine& e : lines.events) {
    const auto bad = [&](const Error& error) {
      return fail(
          path, e.line,
          "codec: " + error.to_string() + " (is this a " + std::string(P::name) + " history?)");
    };
    if (e.invocation) {
      auto input = decode_from_bytes<typename P::Input>(e.codec);
      if (!input) return bad(input.error());
      recorded.history.invocations.push_back(
          Invocation<P>{e.time, e.node, e.client, std::move(*input), e.delivered});
      recorded.invocation_lines.push_back(e.line);
    } else {
      auto output = decode_from_bytes<typename P::Output>(e.codec);
      if (!output) return bad(output.error());
      recorded.history.emissions.push_back(Emission<P>{e.time, e.node, std::move(*output)});
      recorded.emission_lines.push_back(e.line);
    }
  }
  recorded.header = std::move(lines.header);
  recorded.header_line = lines.header_line;
  return recorded;
}

template <class P>
Result<RecordedHistory<P>> read_recorded_history(const std::string& path) {
  auto lines = read_history_lines(path);
  if (!lines) return std::unexpected(lines.error());
  return decode_history<P>(path, std::move(*lines));
}

template <class P>
Result<History<P>> read_history_jsonl(const std::string& path) {
  auto recorded = read_recorded_history<P>(path);
  if (!recorded) return std::unexpected(recorded.error());
  return std::move(recorded->history);
}

}  // namespace faultline::real
