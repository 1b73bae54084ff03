// trace_validate: checks a trace file of `faultline run --trace-format` against the rules its
// viewer relies on, so a format bug shows up in a test rather than as a blank Perfetto track.
//
//   trace_validate perfetto FILE   Chrome trace-event JSON (what ui.perfetto.dev imports)
//   trace_validate shiviz FILE     a GoVector log (what ShiViz parses)
//
// perfetto: the file is JSON with a traceEvents array; every event has ph, pid and tid, and ts
// unless it is metadata (M); ts never decreases on a (pid, tid) track; B and E pair up and nest
// per track (an E names its B or nothing); every flow start `s` has exactly one `f` with the same
// id, no earlier, and both lie inside an open B slice on their own tracks; flow ids are unique
// among starts; counter values are non-negative numbers; every track used has a thread_name.
// shiviz: the first line is the log's regex and the second is empty; then an event is two lines,
// `host {"h":n,...}` and its text; a clock is a JSON object of whole numbers with the host's own
// entry; per host the own entry goes up by exactly 1 at each event and no entry ever goes down,
// nor past the count of events its host has logged so far; a `deliver #id` (and a `drop #id`,
// which the writer merges the same way) comes after the `send #id` and its clock dominates the
// send's, entry by entry; an id is sent once and received once.
//
// Exit 0 with what was checked and the counts; 1 with `FAIL <rule> at <event|line N>: detail`;
// 2 on a usage or I/O error.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;

struct Failure {
  std::string rule;
  std::string where;
  std::string detail;
};

int fail(const Failure& f) {
  std::printf("FAIL %s at %s: %s\n", f.rule.c_str(), f.where.c_str(), f.detail.c_str());
  return 1;
}

// ---- perfetto ---------------------------------------------------------------------------------

using Track = std::pair<std::int64_t, std::int64_t>;  // (pid, tid)

struct PerfettoState {
  std::map<Track, double> last_ts;
  std::map<Track, std::vector<std::string>> open;  // per track, the names of the open B slices
  std::map<std::uint64_t, double> started;         // flow id -> its s's ts
  std::set<std::uint64_t> ended;
  std::set<Track> used, named;
  std::uint64_t slices = 0, flows = 0, instants = 0, counters = 0;
};

std::string at_event(std::size_t i) { return "event " + std::to_string(i); }

std::optional<Failure> check_flow(PerfettoState& st, const json& e, const Track& track, double ts,
                                  std::size_t i) {
  const std::string ph = e["ph"];
  if (!e.contains("id") || !e["id"].is_number_unsigned())
    return Failure{"flow has an id", at_event(i), e.dump()};
  const std::uint64_t id = e["id"];
  if (st.open[track].empty())
    return Failure{"flow event lies inside an open slice on its track", at_event(i), e.dump()};
  if (ph == "s") {
    if (!st.started.emplace(id, ts).second)
      return Failure{"flow ids are unique among starts", at_event(i), std::to_string(id)};
    ++st.flows;
    return std::nullopt;
  }
  auto it = st.started.find(id);
  if (it == st.started.end())
    return Failure{"every f follows its s", at_event(i), "no s with id " + std::to_string(id)};
  if (ts < it->second)
    return Failure{"f is no earlier than its s", at_event(i), std::to_string(id)};
  if (!st.ended.insert(id).second)
    return Failure{"every s has exactly one f", at_event(i), "second f for " + std::to_string(id)};
  return std::nullopt;
}

std::optional<Failure> check_slice(PerfettoState& st, const json& e, const Track& track,
                                   std::size_t i) {
  std::vector<std::string>& stack = st.open[track];
  const std::string name = e.value("name", "");
  if (e["ph"] == "B") {
    stack.push_back(name);
    ++st.slices;
    return std::nullopt;
  }
  if (stack.empty()) return Failure{"every E closes an open B", at_event(i), e.dump()};
  if (e.contains("name") && name != stack.back())
    return Failure{"B/E nest: an E names the innermost open B", at_event(i),
                   "E '" + name + "' while '" + stack.back() + "' is open"};
  stack.pop_back();
  return std::nullopt;
}

std::optional<Failure> check_perfetto_event(PerfettoState& st, const json& e, std::size_t i) {
  if (!e.is_object() || !e.contains("ph") || !e["ph"].is_string())
    return Failure{"every event has ph", at_event(i), e.dump()};
  if (!e.contains("pid") || !e["pid"].is_number_integer() || !e.contains("tid") ||
      !e["tid"].is_number_integer())
    return Failure{"every event has pid and tid", at_event(i), e.dump()};
  const std::string ph = e["ph"];
  const Track track{e["pid"], e["tid"]};
  if (ph == "M") {
    if (e.value("name", "") == "thread_name") st.named.insert(track);
    return std::nullopt;
  }
  if (!e.contains("ts") || !e["ts"].is_number())
    return Failure{"every event but metadata has ts", at_event(i), e.dump()};
  const double ts = e["ts"];
  st.used.insert(track);
  auto [last, fresh] = st.last_ts.emplace(track, ts);
  if (!fresh && ts < last->second)
    return Failure{"ts never decreases on a track", at_event(i),
                   "ts " + e["ts"].dump() + " after " + json(last->second).dump()};
  last->second = ts;
  if (ph == "B" || ph == "E") return check_slice(st, e, track, i);
  if (ph == "s" || ph == "f") return check_flow(st, e, track, ts, i);
  if (ph == "C") {
    ++st.counters;
    const json args = e.value("args", json::object());
    for (const auto& [key, value] : args.items())
      if (!value.is_number() || value.get<double>() < 0)
        return Failure{"counters are non-negative", at_event(i), key + " = " + value.dump()};
    return std::nullopt;
  }
  if (ph == "i" || ph == "I") {
    ++st.instants;
    return std::nullopt;
  }
  return Failure{"ph is one of B E s f C i M", at_event(i), ph};
}

std::optional<Failure> perfetto_end(const PerfettoState& st) {
  for (const auto& [track, stack] : st.open)
    if (!stack.empty())
      return Failure{"every B has its E", "end",
                     "'" + stack.back() + "' still open on tid " + std::to_string(track.second)};
  for (const auto& [id, ts] : st.started)
    if (!st.ended.contains(id))
      return Failure{"every s has exactly one f", "end", "no f for id " + std::to_string(id)};
  for (const Track& track : st.used)
    if (!st.named.contains(track))
      return Failure{"every track used has a thread_name", "end",
                     "tid " + std::to_string(track.second)};
  return std::nullopt;
}

int validate_perfetto(std::istream& in) {
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::exception& e) {
    return fail({"the file is valid JSON", "parse", e.what()});
  }
  if (!doc.is_object() || !doc.contains("traceEvents") || !doc["traceEvents"].is_array())
    return fail({"the file is an object with a traceEvents array", "top level", ""});
  PerfettoState st;
  const json& events = doc["traceEvents"];
  for (std::size_t i = 0; i < events.size(); ++i)
    if (auto f = check_perfetto_event(st, events[i], i)) return fail(*f);
  if (auto f = perfetto_end(st)) return fail(*f);
  std::printf(
      "ok  perfetto: %zu events on %zu tracks; %llu slices, %llu flows, %llu instants, "
      "%llu counter updates\n"
      "    checked: JSON, ph/pid/tid/ts, ts per track, B/E nesting, s/f pairs inside slices, "
      "unique flow ids, counters >= 0, thread names\n",
      events.size(), st.used.size(), static_cast<unsigned long long>(st.slices),
      static_cast<unsigned long long>(st.flows), static_cast<unsigned long long>(st.instants),
      static_cast<unsigned long long>(st.counters));
  return 0;
}

// ---- shiviz -----------------------------------------------------------------------------------

constexpr const char* shiviz_regex = "(?<host>\\S*) (?<clock>{.*})\\n(?<event>.*)";

using Clock = std::map<std::string, std::uint64_t>;

struct ShivizState {
  std::map<std::string, Clock> last;    // per host, its latest clock
  std::map<std::uint64_t, Clock> sent;  // send id -> its clock
  std::set<std::uint64_t> received;
  std::uint64_t events = 0, matched = 0;
};

std::string at_line(std::size_t n) { return "line " + std::to_string(n); }

std::optional<Failure> parse_clock(const std::string& line, std::size_t n, std::string& host,
                                   Clock& clock) {
  const std::size_t space = line.find(' ');
  if (space == std::string::npos || space == 0)
    return Failure{"a clock line is `host {json}`", at_line(n), line};
  host = line.substr(0, space);
  json parsed;
  try {
    parsed = json::parse(line.substr(space + 1));
  } catch (const json::exception&) {
    return Failure{"every clock parses as JSON", at_line(n), line};
  }
  if (!parsed.is_object()) return Failure{"a clock is a JSON object", at_line(n), line};
  for (const auto& [key, value] : parsed.items()) {
    if (!value.is_number_unsigned())
      return Failure{"clock entries are whole numbers", at_line(n), key};
    clock[key] = value.get<std::uint64_t>();
  }
  if (!clock.contains(host)) return Failure{"every clock has its host's entry", at_line(n), host};
  return std::nullopt;
}

// How many events `host` has logged so far (0 before its first).
std::uint64_t own_count(const ShivizState& st, const std::string& host) {
  auto it = st.last.find(host);
  return it == st.last.end() ? 0 : it->second.at(host);
}

std::optional<Failure> check_clock_step(ShivizState& st, const std::string& host,
                                        const Clock& clock, std::size_t n) {
  const Clock none;
  auto found = st.last.find(host);
  const Clock& before = found == st.last.end() ? none : found->second;
  const std::uint64_t own_before = own_count(st, host);
  if (clock.at(host) != own_before + 1)
    return Failure{
        "a host's own entry goes up by exactly 1 each event", at_line(n),
        host + ": " + std::to_string(own_before) + " -> " + std::to_string(clock.at(host))};
  for (const auto& [key, value] : before)
    if (!clock.contains(key) || clock.at(key) < value)
      return Failure{"no clock entry ever decreases", at_line(n), host + "'s entry " + key};
  for (const auto& [key, value] : clock) {
    const std::uint64_t reached = key == host ? value : own_count(st, key);
    if (value > reached)
      return Failure{"no entry is ahead of its host's own count", at_line(n),
                     key + " = " + std::to_string(value) + " but " + key + " is at " +
                         std::to_string(reached)};
  }
  st.last[host] = clock;
  return std::nullopt;
}

// `send #id ...`, `deliver #id ...`, `drop #id ...`: the message matching.
std::optional<Failure> check_message(ShivizState& st, const std::string& text, const Clock& clock,
                                     std::size_t n) {
  std::istringstream words(text);
  std::string kind, tag;
  words >> kind >> tag;
  if (tag.size() < 2 || tag[0] != '#' ||
      tag.find_first_not_of("0123456789", 1) != std::string::npos)
    return std::nullopt;
  const std::uint64_t id = std::stoull(tag.substr(1));
  if (kind == "send") {
    if (!st.sent.emplace(id, clock).second)
      return Failure{"a message id is sent once", at_line(n), tag};
    return std::nullopt;
  }
  if (kind != "deliver" && kind != "drop") return std::nullopt;
  auto it = st.sent.find(id);
  if (it == st.sent.end())
    return Failure{"the send precedes its deliver", at_line(n), "no earlier send " + tag};
  if (!st.received.insert(id).second) return Failure{"a message is received once", at_line(n), tag};
  for (const auto& [key, value] : it->second)
    if (!clock.contains(key) || clock.at(key) < value)
      return Failure{"a receive's clock dominates its send's", at_line(n),
                     tag + " entry " + key + " below the send's " + std::to_string(value)};
  ++st.matched;
  return std::nullopt;
}

int validate_shiviz(std::istream& in) {
  std::string line;
  if (!std::getline(in, line) || line != shiviz_regex)
    return fail({"the first line is the log's regex", at_line(1), line});
  if (!std::getline(in, line) || !line.empty())
    return fail({"the second line is empty", at_line(2), line});
  ShivizState st;
  std::size_t n = 2;
  while (std::getline(in, line)) {
    ++n;
    std::string host, text;
    Clock clock;
    if (auto f = parse_clock(line, n, host, clock)) return fail(*f);
    if (!std::getline(in, text)) return fail({"every clock line has an event line", "end", ""});
    if (auto f = check_clock_step(st, host, clock, n)) return fail(*f);
    ++n;
    if (auto f = check_message(st, text, clock, n)) return fail(*f);
    ++st.events;
  }
  std::printf(
      "ok  shiviz: %llu events, %zu hosts, %zu sends, %llu matched by a deliver or drop\n"
      "    checked: header, clock syntax, own entry +1 per event, no entry decreases or runs "
      "ahead, receives dominate their sends\n",
      static_cast<unsigned long long>(st.events), st.last.size(), st.sent.size(),
      static_cast<unsigned long long>(st.matched));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: trace_validate perfetto|shiviz FILE\n");
    return 2;
  }
  const std::string format = argv[1];
  std::ifstream in(argv[2], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "trace_validate: cannot read %s\n", argv[2]);
    return 2;
  }
  if (format == "perfetto") return validate_perfetto(in);
  if (format == "shiviz") return validate_shiviz(in);
  std::fprintf(stderr, "usage: trace_validate perfetto|shiviz FILE\n");
  return 2;
}
