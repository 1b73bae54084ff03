#include "checkers/linearizability/readers.h"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/core/assert.h"

namespace faultline::lin {

Result<HistoryFormat> parse_history_format(std::string_view name) {
  if (name == "auto") return HistoryFormat::automatic;
  if (name == "jsonl") return HistoryFormat::jsonl;
  if (name == "jepsen") return HistoryFormat::jepsen;
  if (name == "edn") return HistoryFormat::edn;
  return fail("--format", 0,
              fmt::format("unknown format '{}' (expected auto, jsonl, jepsen or edn)", name));
}

std::string_view to_string(HistoryFormat format) {
  switch (format) {
    case HistoryFormat::automatic: return "auto";
    case HistoryFormat::jsonl: return "jsonl";
    case HistoryFormat::jepsen: return "jepsen";
    case HistoryFormat::edn: return "edn";
  }
  return "";
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Calls visit(line_number, line) for each line; stops at the first error.
template <class Visit>
Result<void> for_each_line(std::string_view text, Visit&& visit) {
  int number = 0;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    ++number;
    if (auto r = visit(number, line); !r) return r;
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return {};
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return value;
}

// One line of a line-ordered log (Jepsen or EDN), before invocations and completions are paired.
struct LogEvent {
  int line = 0;
  std::int64_t process = 0;
  std::string type;  // invoke, ok, fail, info
  OpKind kind = OpKind::read;
  std::string key;
  Value value;
  Value value2;            // cas: to
  bool timed_out = false;  // the value was :timed-out (no result)
};

// Pairs each completion with its process's pending invocation. Time is the line index.
Result<History> assemble(const std::vector<LogEvent>& events, std::string_view source) {
  struct Pending {
    Operation op;
    bool failed = false;
  };
  std::vector<Pending> ops;
  std::map<std::int64_t, std::size_t> pending_by_process;
  for (const LogEvent& e : events) {
    const std::int64_t time = e.line;
    if (e.type == "invoke") {
      if (pending_by_process.contains(e.process))
        return fail(std::string(source), e.line,
                    fmt::format("process {} invokes while its previous operation is still pending",
                                e.process));
      Operation op;
      op.client = e.process;
      op.invoke_ns = time;
      op.key = e.key;
      op.kind = e.kind;
      op.source_line = e.line;
      if (e.kind != OpKind::read) {
        op.argument = e.value;
        op.argument2 = e.value2;
      }
      pending_by_process[e.process] = ops.size();
      ops.push_back({std::move(op)});
      continue;
    }
    auto it = pending_by_process.find(e.process);
    if (it == pending_by_process.end())
      return fail(std::string(source), e.line,
                  fmt::format("process {} completes an operation it never invoked", e.process));
    Pending& p = ops[it->second];
    pending_by_process.erase(it);
    if (p.op.kind != e.kind || p.op.key != e.key)
      return fail(std::string(source), e.line,
                  fmt::format("process {} completes a {} but invoked a {} (line {})", e.process,
                              to_string(e.kind), to_string(p.op.kind), p.op.source_line));
    if (e.type == "fail") {
      p.failed = true;  // definitely did not happen
    } else if (e.type == "ok") {
      p.op.return_ns = time;
      if (e.kind == OpKind::read) p.op.result = e.value;
    }  // info: outcome unknown, no return time
  }
  History history;
  for (Pending& p : ops)
    if (!p.failed) history.operations.push_back(std::move(p.op));
  return history;
}

// ---- Jepsen etcd logs: "INFO  jepsen.util - 3\t:ok\t:read\t4"

Result<Value> parse_jepsen_scalar(std::string_view token, std::string_view source, int line) {
  if (token == "nil") return Value{};
  if (auto n = parse_int(token)) return Value{*n};
  return fail(std::string(source), line,
              fmt::format("expected nil or an integer, found '{}'", excerpt(token)));
}

Result<LogEvent> parse_jepsen_line(std::string_view line, std::string_view source, int number) {
  constexpr std::string_view marker = "jepsen.util - ";
  const std::size_t at = line.find(marker);
  if (at == std::string_view::npos)
    return fail(std::string(source), number,
                "not a Jepsen log line (expected 'INFO  jepsen.util - PROCESS :TYPE :F VALUE')");
  std::string_view rest = line.substr(at + marker.size());
  auto next_token = [&rest]() {
    rest = trim(rest);
    const std::size_t end = rest.find_first_of(" \t");
    const std::string_view token = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    return token;
  };
  LogEvent e;
  e.line = number;
  const std::string_view process = next_token();
  const std::string_view type = next_token();
  const std::string_view f = next_token();
  const std::string_view value = trim(rest);
  auto p = parse_int(process);
  if (!p)
    return fail(std::string(source), number,
                fmt::format("expected a process number, found '{}'", excerpt(process)));
  e.process = *p;
  if (type != ":invoke" && type != ":ok" && type != ":fail" && type != ":info")
    return fail(std::string(source), number,
                fmt::format("expected :invoke, :ok, :fail or :info, found '{}'", excerpt(type)));
  e.type = std::string(type.substr(1));
  if (f == ":read")
    e.kind = OpKind::read;
  else if (f == ":write")
    e.kind = OpKind::write;
  else if (f == ":cas")
    e.kind = OpKind::cas;
  else
    return fail(std::string(source), number,
                fmt::format("expected :read, :write or :cas, found '{}'", excerpt(f)));
  if (value.empty()) return fail(std::string(source), number, "missing value (truncated line?)");
  if (value == ":timed-out") {
    e.timed_out = true;
    if (e.type == "ok")
      return fail(std::string(source), number, "an :ok completion cannot be :timed-out");
    return e;
  }
  if (e.kind == OpKind::cas) {
    if (value.size() < 2 || value.front() != '[' || value.back() != ']')
      return fail(std::string(source), number,
                  fmt::format("expected [from to] for a cas, found '{}'", excerpt(value)));
    const std::string_view inner = trim(value.substr(1, value.size() - 2));
    const std::size_t space = inner.find_first_of(" \t");
    if (space == std::string_view::npos)
      return fail(std::string(source), number,
                  fmt::format("expected [from to] for a cas, found '{}'", excerpt(value)));
    auto from = parse_jepsen_scalar(trim(inner.substr(0, space)), source, number);
    if (!from) return std::unexpected(from.error());
    auto to = parse_jepsen_scalar(trim(inner.substr(space)), source, number);
    if (!to) return std::unexpected(to.error());
    e.value = *from;
    e.value2 = *to;
    return e;
  }
  auto v = parse_jepsen_scalar(value, source, number);
  if (!v) return std::unexpected(v.error());
  e.value = *v;
  return e;
}

// ---- EDN maps: {:process 9, :type :ok, :f :append, :key "0", :value "x 9 0 y"}

struct EdnScalar {
  enum class Type { nil, integer, string, keyword, vector } type = Type::nil;
  std::int64_t integer = 0;
  std::string text;              // string contents or keyword name (without ':')
  std::vector<EdnScalar> items;  // vector elements (scalars only)
};

class EdnLineParser {
 public:
  EdnLineParser(std::string_view line, std::string_view source, int number)
      : s_(line), source_(source), number_(number) {}

  Result<std::map<std::string, EdnScalar>> parse_map() {
    std::map<std::string, EdnScalar> map;
    skip();
    if (!consume('{')) return error("expected '{' at the start of an EDN map");
    for (;;) {
      skip();
      if (consume('}')) break;
      if (pos_ >= s_.size()) return error("unterminated map (truncated line?)");
      auto key = parse_value(false);
      if (!key) return std::unexpected(key.error());
      if (key->type != EdnScalar::Type::keyword) return error("expected a :keyword as map key");
      skip();
      auto value = parse_value(true);
      if (!value) return std::unexpected(value.error());
      map[key->text] = std::move(*value);
    }
    skip();
    if (pos_ != s_.size()) return error("unexpected text after the map");
    return map;
  }

 private:
  void skip() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == ',' || s_[pos_] == '\t' || s_[pos_] == '\r'))
      ++pos_;
  }
  bool consume(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  std::unexpected<Error> error(std::string what) const {
    return fail(std::string(source_), number_, fmt::format("{} (column {})", what, pos_ + 1));
  }
  std::string_view symbol() {
    const std::size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != ' ' && s_[pos_] != ',' && s_[pos_] != '}' &&
           s_[pos_] != ']' && s_[pos_] != '\t' && s_[pos_] != '\r')
      ++pos_;
    return s_.substr(start, pos_ - start);
  }
  Result<EdnScalar> parse_value(bool allow_vector) {
    EdnScalar v;
    if (pos_ >= s_.size()) return error("missing value (truncated line?)");
    const char c = s_[pos_];
    if (c == '"') {
      ++pos_;
      v.type = EdnScalar::Type::string;
      for (;;) {
        if (pos_ >= s_.size()) return error("unterminated string (truncated line?)");
        const char d = s_[pos_++];
        if (d == '"') break;
        if (d == '\\') {
          if (pos_ >= s_.size()) return error("unterminated string (truncated line?)");
          const char esc = s_[pos_++];
          v.text += esc == 'n' ? '\n' : esc == 't' ? '\t' : esc;
        } else {
          v.text += d;
        }
      }
      return v;
    }
    if (c == '[') {
      if (!allow_vector) return error("unexpected vector");
      ++pos_;
      v.type = EdnScalar::Type::vector;
      for (;;) {
        skip();
        if (consume(']')) return v;
        if (pos_ >= s_.size()) return error("unterminated vector (truncated line?)");
        auto item = parse_value(false);
        if (!item) return std::unexpected(item.error());
        v.items.push_back(std::move(*item));
      }
    }
    if (c == ':') {
      ++pos_;
      v.type = EdnScalar::Type::keyword;
      v.text = std::string(symbol());
      if (v.text.empty()) return error("empty keyword");
      return v;
    }
    const std::string_view word = symbol();
    if (word == "nil") return v;
    if (auto n = parse_int(word)) {
      v.type = EdnScalar::Type::integer;
      v.integer = *n;
      return v;
    }
    return error(fmt::format("unexpected '{}'", excerpt(word)));
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  std::string_view source_;
  int number_;
};

Result<Value> edn_to_value(const EdnScalar& v, std::string_view source, int line) {
  switch (v.type) {
    case EdnScalar::Type::nil: return Value{};
    case EdnScalar::Type::integer: return Value{v.integer};
    case EdnScalar::Type::string: return Value{v.text};
    default:
      return fail(std::string(source), line, "expected nil, an integer or a string as :value");
  }
}

Result<LogEvent> parse_edn_line(std::string_view line, std::string_view source, int number) {
  EdnLineParser parser(line, source, number);
  auto map = parser.parse_map();
  if (!map) return std::unexpected(map.error());
  auto field = [&](const char* name) -> const EdnScalar* {
    auto it = map->find(name);
    return it == map->end() ? nullptr : &it->second;
  };
  LogEvent e;
  e.line = number;
  const EdnScalar* process = field("process");
  const EdnScalar* type = field("type");
  const EdnScalar* f = field("f");
  if (!process || process->type != EdnScalar::Type::integer)
    return fail(std::string(source), number, "missing or non-integer :process");
  e.process = process->integer;
  if (!type || type->type != EdnScalar::Type::keyword ||
      (type->text != "invoke" && type->text != "ok" && type->text != "fail" &&
       type->text != "info"))
    return fail(std::string(source), number,
                "missing :type (expected :invoke, :ok, :fail or :info)");
  e.type = type->text;
  std::optional<OpKind> kind =
      f && f->type == EdnScalar::Type::keyword ? parse_op_kind(f->text) : std::nullopt;
  if (!kind)
    return fail(std::string(source), number,
                "missing or unknown :f (expected :get, :put, :append, :read, :write or :cas)");
  e.kind = *kind;
  if (const EdnScalar* key = field("key")) {
    if (key->type == EdnScalar::Type::string)
      e.key = key->text;
    else if (key->type == EdnScalar::Type::integer)
      e.key = std::to_string(key->integer);
    else if (key->type != EdnScalar::Type::nil)
      return fail(std::string(source), number, ":key must be a string or an integer");
  }
  if (const EdnScalar* value = field("value")) {
    if (value->type == EdnScalar::Type::keyword && value->text == "timed-out") {
      e.timed_out = true;
    } else if (value->type == EdnScalar::Type::vector) {
      if (e.kind != OpKind::cas || value->items.size() != 2)
        return fail(std::string(source), number,
                    "a vector :value is only valid as [from to] of a :cas");
      auto from = edn_to_value(value->items[0], source, number);
      if (!from) return std::unexpected(from.error());
      auto to = edn_to_value(value->items[1], source, number);
      if (!to) return std::unexpected(to.error());
      e.value = *from;
      e.value2 = *to;
    } else {
      auto v = edn_to_value(*value, source, number);
      if (!v) return std::unexpected(v.error());
      e.value = *v;
    }
  }
  return e;
}

// ---- faultline JSON lines

Result<Value> json_to_value(const nlohmann::json& j, std::string_view field,
                            std::string_view source, int line) {
  if (j.is_null()) return Value{};
  if (j.is_number_integer()) return Value{j.get<std::int64_t>()};
  if (j.is_string()) return Value{j.get<std::string>()};
  return fail(std::string(source), line,
              fmt::format("\"{}\" must be null, an integer or a string", field));
}

nlohmann::json value_to_json(const Value& v) {
  if (const auto* n = std::get_if<std::int64_t>(&v)) return *n;
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return nullptr;
}

// The values of a parsed line's operation `op` (its kind and status already read): a cas's
// "from" and "to", a write's or other update's argument, a completed read's result.
Result<void> parse_jsonl_values(const nlohmann::json& j, Operation& op, std::string_view source,
                                int number) {
  auto error = [&](std::string what) { return fail(std::string(source), number, std::move(what)); };
  if (op.kind == OpKind::cas) {
    if (!j.contains("from") || !j.contains("to")) return error("a cas needs \"from\" and \"to\"");
    auto from = json_to_value(j["from"], "from", source, number);
    if (!from) return std::unexpected(from.error());
    auto to = json_to_value(j["to"], "to", source, number);
    if (!to) return std::unexpected(to.error());
    op.argument = *from;
    op.argument2 = *to;
    return {};
  }
  const bool needs_value = op.kind != OpKind::read || op.completed();
  if (needs_value && !j.contains("value"))
    return error(op.kind == OpKind::read
                     ? "a completed read needs \"value\" (its result; null for nil)"
                     : "\"value\" (the argument) is required");
  if (j.contains("value")) {
    auto v = json_to_value(j["value"], "value", source, number);
    if (!v) return std::unexpected(v.error());
    (op.kind == OpKind::read ? op.result : op.argument) = *v;
  }
  return {};
}

// Returns nullopt for a failed operation (dropped).
Result<std::optional<Operation>> parse_jsonl_line(std::string_view line, std::string_view source,
                                                  int number) {
  const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  auto error = [&](std::string what) { return fail(std::string(source), number, std::move(what)); };
  if (j.is_discarded()) return error("not valid JSON (truncated line?)");
  if (!j.is_object()) return error("expected a JSON object per line");
  static constexpr std::string_view known[] = {"client", "invoke", "return", "status", "key",
                                               "f",      "value",  "from",   "to"};
  for (const auto& [name, _] : j.items())
    if (std::find(std::begin(known), std::end(known), name) == std::end(known))
      return error(fmt::format("unknown field \"{}\"", excerpt(name)));
  Operation op;
  op.source_line = number;
  if (!j.contains("client") || !j["client"].is_number_integer())
    return error("\"client\" (integer) is required");
  op.client = j["client"].get<std::int64_t>();
  if (!j.contains("invoke") || !j["invoke"].is_number_integer())
    return error("\"invoke\" (integer nanoseconds) is required");
  op.invoke_ns = j["invoke"].get<std::int64_t>();
  std::string status = "ok";
  if (j.contains("status")) {
    if (!j["status"].is_string()) return error("\"status\" must be \"ok\", \"info\" or \"fail\"");
    status = j["status"].get<std::string>();
    if (status != "ok" && status != "info" && status != "fail")
      return error("\"status\" must be \"ok\", \"info\" or \"fail\"");
  }
  if (status == "fail") return std::optional<Operation>();
  if (j.contains("return") && !j["return"].is_null()) {
    if (!j["return"].is_number_integer())
      return error("\"return\" must be integer nanoseconds or null");
    if (status == "ok") op.return_ns = j["return"].get<std::int64_t>();
  }
  if (status == "ok" && !op.return_ns)
    return error(
        "an \"ok\" operation needs a \"return\" time (use \"status\": \"info\" for unknown "
        "outcomes)");
  if (op.return_ns && *op.return_ns < op.invoke_ns) return error("\"return\" is before \"invoke\"");
  if (j.contains("key")) {
    if (j["key"].is_string())
      op.key = j["key"].get<std::string>();
    else if (j["key"].is_number_integer())
      op.key = std::to_string(j["key"].get<std::int64_t>());
    else
      return error("\"key\" must be a string or an integer");
  }
  if (!j.contains("f") || !j["f"].is_string())
    return error("\"f\" (read, write, cas, append, get or put) is required");
  auto kind = parse_op_kind(j["f"].get<std::string>());
  if (!kind) return error(fmt::format("unknown \"f\": \"{}\"", excerpt(j["f"].get<std::string>())));
  op.kind = *kind;
  if (auto values = parse_jsonl_values(j, op, source, number); !values)
    return std::unexpected(values.error());
  return std::optional<Operation>(std::move(op));
}

}  // namespace

HistoryFormat detect_format(std::string_view text) {
  text = skip_utf8_bom(text);
  std::string_view line;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    line = trim(text.substr(0, end));
    if (!line.empty()) break;
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  }
  if (line.starts_with("{:")) return HistoryFormat::edn;
  if (line.starts_with("{")) return HistoryFormat::jsonl;
  return HistoryFormat::jepsen;
}

Result<History> read_jsonl(std::string_view text, std::string_view source) {
  History history;
  auto r =
      for_each_line(skip_utf8_bom(text), [&](int number, std::string_view line) -> Result<void> {
        if (trim(line).empty()) return {};
        auto op = parse_jsonl_line(line, source, number);
        if (!op) return std::unexpected(op.error());
        if (*op) history.operations.push_back(std::move(**op));
        return {};
      });
  if (!r) return std::unexpected(r.error());
  return history;
}

template <class ParseLine>
Result<History> read_line_log(std::string_view text, std::string_view source,
                              ParseLine parse_line) {
  std::vector<LogEvent> events;
  auto r =
      for_each_line(skip_utf8_bom(text), [&](int number, std::string_view line) -> Result<void> {
        if (trim(line).empty()) return {};
        auto e = parse_line(line, source, number);
        if (!e) return std::unexpected(e.error());
        events.push_back(std::move(*e));
        return {};
      });
  if (!r) return std::unexpected(r.error());
  return assemble(events, source);
}

Result<History> read_jepsen_log(std::string_view text, std::string_view source) {
  return read_line_log(text, source, parse_jepsen_line);
}

Result<History> read_edn_log(std::string_view text, std::string_view source) {
  return read_line_log(text, source, parse_edn_line);
}

Result<History> read_history(std::string_view text, HistoryFormat format, std::string_view source) {
  if (format == HistoryFormat::automatic) format = detect_format(text);
  switch (format) {
    case HistoryFormat::jsonl: return read_jsonl(text, source);
    case HistoryFormat::jepsen: return read_jepsen_log(text, source);
    case HistoryFormat::edn: return read_edn_log(text, source);
    case HistoryFormat::automatic: break;
  }
  FL_UNREACHABLE("format resolved above");
}

Result<History> read_history_file(const std::string& path, HistoryFormat format) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return fail(path, 0, "is a directory; expected a history file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(path, 0, "cannot open the file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return fail(path, 0, "cannot read the file");
  const std::string text = buffer.str();
  if (text.starts_with("\xFF\xFE") || text.starts_with("\xFE\xFF"))
    return fail(path, 0, "UTF-16 text (byte-order mark); save the history as UTF-8");
  if (text.find('\0') != std::string::npos) return fail(path, 0, "binary data, not a history file");
  return read_history(text, format, path);
}

void write_jsonl(const History& history, std::ostream& out) {
  for (const Operation& op : history.operations) {
    nlohmann::ordered_json j;
    j["client"] = op.client;
    j["invoke"] = op.invoke_ns;
    if (op.return_ns)
      j["return"] = *op.return_ns;
    else
      j["status"] = "info";
    if (!op.key.empty()) j["key"] = op.key;
    j["f"] = std::string(to_string(op.kind));
    switch (op.kind) {
      case OpKind::read:
        if (op.completed()) j["value"] = value_to_json(op.result);
        break;
      case OpKind::write:
      case OpKind::append: j["value"] = value_to_json(op.argument); break;
      case OpKind::cas:
        j["from"] = value_to_json(op.argument);
        j["to"] = value_to_json(op.argument2);
        break;
    }
    out << j.dump() << '\n';
  }
}

}  // namespace faultline::lin
