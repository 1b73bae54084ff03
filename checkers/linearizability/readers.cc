#include "checkers/linearizability/readers.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>
#include <unordered_map>
#include <utility>

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
enum class EventType : std::uint8_t { invoke, ok, fail, info };

struct LogEvent {
  int line = 0;
  std::int64_t process = 0;
  EventType type = EventType::invoke;
  OpKind kind = OpKind::read;
  std::string key;
  Value value;
  Value value2;            // cas: to
  bool timed_out = false;  // the value was :timed-out (no result)
};

std::optional<EventType> parse_event_type(std::string_view name) {
  if (name == "invoke") return EventType::invoke;
  if (name == "ok") return EventType::ok;
  if (name == "fail") return EventType::fail;
  if (name == "info") return EventType::info;
  return std::nullopt;
}

// Pairs each completion with its process's pending invocation as the lines are read (time is
// the line index), building the operations in place. The first pairing error is kept, not
// returned at once: a later line that does not parse is reported first, as when every line was
// parsed before pairing.
class Assembler {
 public:
  // `bytes`: the log's size, for a first guess at the number of operations (two lines each).
  Assembler(std::string_view source, std::size_t bytes) : source_(source) {
    ops_.reserve(bytes / 80 + 16);
    failed_.reserve(bytes / 80 + 16);
  }

  void add(LogEvent& e) {
    if (error_) return;
    if (e.type == EventType::invoke) {
      invoke(e);
      return;
    }
    const std::uint32_t index = take_pending(e.process);
    if (index == none) {
      error_ = Error{std::string(source_), e.line,
                     fmt::format("process {} completes an operation it never invoked", e.process)};
      return;
    }
    Operation& op = ops_[index];
    if (op.kind != e.kind || op.key != e.key) {
      error_ = Error{std::string(source_), e.line,
                     fmt::format("process {} completes a {} but invoked a {} (line {})", e.process,
                                 to_string(e.kind), to_string(op.kind), op.source_line)};
      return;
    }
    if (e.type == EventType::fail) {
      failed_[index] = 1;  // definitely did not happen
      any_failed_ = true;
    } else if (e.type == EventType::ok) {
      op.return_ns = e.line;
      if (e.kind == OpKind::read) op.result = std::move(e.value);
    }  // info: outcome unknown, no return time
  }

  Result<History> finish() {
    if (error_) return std::unexpected(std::move(*error_));
    History history;
    if (any_failed_) {
      std::size_t kept = 0;
      for (std::size_t i = 0; i < ops_.size(); ++i)
        if (!failed_[i]) ops_[kept++] = std::move(ops_[i]);
      ops_.resize(kept);
    }
    history.operations = std::move(ops_);
    return history;
  }

 private:
  static constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();
  static constexpr std::int64_t dense_processes = 4096;

  // The pending operation of `process` (none if it has none), which is no longer pending.
  std::uint32_t take_pending(std::int64_t process) {
    if (process >= 0 && process < dense_processes) {
      const auto p = static_cast<std::size_t>(process);
      if (p >= dense_.size()) return none;
      return std::exchange(dense_[p], none);
    }
    auto it = sparse_.find(process);
    if (it == sparse_.end()) return none;
    const std::uint32_t index = it->second;
    sparse_.erase(it);
    return index;
  }
  // Makes `index` the pending operation of `process`; false if it already has one.
  bool set_pending(std::int64_t process, std::uint32_t index) {
    if (process >= 0 && process < dense_processes) {
      const auto p = static_cast<std::size_t>(process);
      if (p >= dense_.size()) dense_.resize(p + 1, none);
      if (dense_[p] != none) return false;
      dense_[p] = index;
      return true;
    }
    return sparse_.try_emplace(process, index).second;
  }

  void invoke(LogEvent& e) {
    if (!set_pending(e.process, static_cast<std::uint32_t>(ops_.size()))) {
      error_ = Error{std::string(source_), e.line,
                     fmt::format("process {} invokes while its previous operation is still pending",
                                 e.process)};
      return;
    }
    Operation& op = ops_.emplace_back();
    failed_.push_back(0);
    op.client = e.process;
    op.invoke_ns = e.line;
    op.key = std::move(e.key);
    op.kind = e.kind;
    op.source_line = e.line;
    if (e.kind != OpKind::read) {
      op.argument = std::move(e.value);
      op.argument2 = std::move(e.value2);
    }
  }

  std::string_view source_;
  std::vector<Operation> ops_;
  std::vector<std::uint8_t> failed_;
  bool any_failed_ = false;
  // Pending operations by process: a vector for the usual small process numbers, else a map.
  std::vector<std::uint32_t> dense_;
  std::unordered_map<std::int64_t, std::uint32_t> sparse_;
  std::optional<Error> error_;
};

// ---- Jepsen etcd logs: "INFO  jepsen.util - 3\t:ok\t:read\t4"

Result<Value> parse_jepsen_scalar(std::string_view token, std::string_view source, int line) {
  if (token == "nil") return Value{};
  if (auto n = parse_int(token)) return Value{*n};
  return fail(std::string(source), line,
              fmt::format("expected nil or an integer, found '{}'", excerpt(token)));
}

// The value of a cas line: "[from to]".
Result<void> parse_jepsen_cas(std::string_view value, LogEvent& e, std::string_view source) {
  auto error = [&] {
    return fail(std::string(source), e.line,
                fmt::format("expected [from to] for a cas, found '{}'", excerpt(value)));
  };
  if (value.size() < 2 || value.front() != '[' || value.back() != ']') return error();
  const std::string_view inner = trim(value.substr(1, value.size() - 2));
  const std::size_t space = inner.find_first_of(" \t");
  if (space == std::string_view::npos) return error();
  auto from = parse_jepsen_scalar(trim(inner.substr(0, space)), source, e.line);
  if (!from) return std::unexpected(from.error());
  auto to = parse_jepsen_scalar(trim(inner.substr(space)), source, e.line);
  if (!to) return std::unexpected(to.error());
  e.value = *from;
  e.value2 = *to;
  return {};
}

// Parses `line` into `e` (whose line number is set), reusing its storage.
Result<void> parse_jepsen_line(std::string_view line, std::string_view source, LogEvent& e) {
  const int number = e.line;
  constexpr std::string_view marker = "jepsen.util - ";
  constexpr std::string_view usual_start = "INFO  jepsen.util - ";
  const std::size_t at =
      line.starts_with(usual_start) ? usual_start.size() - marker.size() : line.find(marker);
  if (at == std::string_view::npos)
    return fail(std::string(source), number,
                "not a Jepsen log line (expected 'INFO  jepsen.util - PROCESS :TYPE :F VALUE')");
  // Tokens are separated by spaces and tabs; '\r' is also skipped before a token and at the end.
  const std::string_view rest = trim(line.substr(at + marker.size()));
  std::size_t pos = 0;
  auto next_token = [&rest, &pos]() {
    while (pos < rest.size() && (rest[pos] == ' ' || rest[pos] == '\t' || rest[pos] == '\r')) ++pos;
    const std::size_t start = pos;
    while (pos < rest.size() && rest[pos] != ' ' && rest[pos] != '\t') ++pos;
    return rest.substr(start, pos - start);
  };
  const std::string_view process = next_token();
  const std::string_view type = next_token();
  const std::string_view f = next_token();
  const std::string_view value = trim(rest.substr(pos));
  auto p = parse_int(process);
  if (!p)
    return fail(std::string(source), number,
                fmt::format("expected a process number, found '{}'", excerpt(process)));
  e.process = *p;
  auto event_type = type.starts_with(':') ? parse_event_type(type.substr(1)) : std::nullopt;
  if (!event_type)
    return fail(std::string(source), number,
                fmt::format("expected :invoke, :ok, :fail or :info, found '{}'", excerpt(type)));
  e.type = *event_type;
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
    if (e.type == EventType::ok)
      return fail(std::string(source), number, "an :ok completion cannot be :timed-out");
    return {};
  }
  if (e.kind == OpKind::cas) return parse_jepsen_cas(value, e, source);
  auto v = parse_jepsen_scalar(value, source, number);
  if (!v) return std::unexpected(v.error());
  e.value = std::move(*v);
  return {};
}

// ---- EDN maps: {:process 9, :type :ok, :f :append, :key "0", :value "x 9 0 y"}

// An EDN scalar as scanned: `text` views the line (a string's contents, a keyword's name
// without ':'), except for a string with escapes, whose unescaped contents are in `unescaped`.
struct EdnAtom {
  enum class Type : std::uint8_t { nil, integer, string, keyword } type = Type::nil;
  std::int64_t integer = 0;
  std::string_view text;
  bool escaped = false;
  std::string unescaped;

  std::string_view contents() const { return escaped ? std::string_view(unescaped) : text; }
};

// A map value: a scalar, or a vector of scalars (its first two kept: only [from to] is used).
struct EdnValue {
  EdnAtom atom;
  bool vector = false;
  std::size_t items = 0;
  EdnAtom item[2];
};

// The map's fields this reader uses; others are scanned (so errors in them are found) and
// dropped. A repeated key keeps its last value.
struct EdnFields {
  enum Slot { process, type, f, key, value, count };
  EdnValue values[count];
  bool present[count] = {};
  EdnValue ignored;

  EdnValue& slot(std::string_view name) {
    // The names differ in length, so the length picks the one candidate to compare.
    static constexpr std::string_view by_length[] = {"",     "f",     "", "key",
                                                     "type", "value", "", "process"};
    static constexpr Slot slots[] = {count, f, count, key, type, value, count, process};
    if (name.size() >= std::size(by_length) || slots[name.size()] == count ||
        std::memcmp(name.data(), by_length[name.size()].data(), name.size()) != 0)
      return ignored;
    present[slots[name.size()]] = true;
    return values[slots[name.size()]];
  }
  const EdnValue* find(Slot s) const { return present[s] ? &values[s] : nullptr; }
};

bool is_edn_space(char c) { return c == ' ' || c == ',' || c == '\t' || c == '\r'; }

// A scanner over one line: no allocation except for strings with escapes.
class EdnLineParser {
 public:
  EdnLineParser(std::string_view line, std::string_view source, int number)
      : s_(line), source_(source), number_(number) {}

  Result<void> parse_map(EdnFields& fields) {
    skip();
    if (!consume('{')) return error("expected '{' at the start of an EDN map");
    EdnAtom key;
    for (;;) {
      skip();
      if (consume('}')) break;
      if (pos_ >= s_.size()) return error("unterminated map (truncated line?)");
      if (auto k = parse_atom(key); !k) return k;
      if (key.type != EdnAtom::Type::keyword) return error("expected a :keyword as map key");
      skip();
      if (auto v = parse_value(fields.slot(key.text)); !v) return v;
    }
    skip();
    if (pos_ != s_.size()) return error("unexpected text after the map");
    return {};
  }

 private:
  void skip() {
    while (pos_ < s_.size() && is_edn_space(s_[pos_])) ++pos_;
  }
  bool consume(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  std::unexpected<Error> error(std::string_view what) const {
    return fail(std::string(source_), number_, fmt::format("{} (column {})", what, pos_ + 1));
  }
  std::string_view symbol() {
    const std::size_t start = pos_;
    while (pos_ < s_.size() && !is_edn_space(s_[pos_]) && s_[pos_] != '}' && s_[pos_] != ']')
      ++pos_;
    return s_.substr(start, pos_ - start);
  }
  Result<void> parse_string(EdnAtom& v);
  Result<void> parse_atom(EdnAtom& v);
  Result<void> parse_value(EdnValue& v);

  std::string_view s_;
  std::size_t pos_ = 0;
  std::string_view source_;
  int number_;
};

// After the opening quote. The common string has no escapes and stays a view of the line.
Result<void> EdnLineParser::parse_string(EdnAtom& v) {
  v.type = EdnAtom::Type::string;
  v.escaped = false;
  const std::size_t start = pos_;
  while (pos_ < s_.size() && s_[pos_] != '"' && s_[pos_] != '\\') ++pos_;
  if (pos_ >= s_.size()) return error("unterminated string (truncated line?)");
  if (s_[pos_] == '"') {
    v.text = s_.substr(start, pos_ - start);
    ++pos_;
    return {};
  }
  v.escaped = true;
  v.unescaped.assign(s_.substr(start, pos_ - start));
  for (;;) {
    if (pos_ >= s_.size()) return error("unterminated string (truncated line?)");
    const char d = s_[pos_++];
    if (d == '"') return {};
    if (d != '\\') {
      v.unescaped += d;
      continue;
    }
    if (pos_ >= s_.size()) return error("unterminated string (truncated line?)");
    const char esc = s_[pos_++];
    v.unescaped += esc == 'n' ? '\n' : esc == 't' ? '\t' : esc;
  }
}

// A scalar; a '[' here is an error (vectors hold scalars only, keys are keywords).
Result<void> EdnLineParser::parse_atom(EdnAtom& v) {
  if (pos_ >= s_.size()) return error("missing value (truncated line?)");
  const char c = s_[pos_];
  if (c == '"') {
    ++pos_;
    return parse_string(v);
  }
  if (c == '[') return error("unexpected vector");
  if (c == ':') {
    ++pos_;
    v.type = EdnAtom::Type::keyword;
    v.text = symbol();
    if (v.text.empty()) return error("empty keyword");
    return {};
  }
  const std::string_view word = symbol();
  if (word == "nil") {
    v.type = EdnAtom::Type::nil;
    return {};
  }
  if (auto n = parse_int(word)) {
    v.type = EdnAtom::Type::integer;
    v.integer = *n;
    return {};
  }
  return error(fmt::format("unexpected '{}'", excerpt(word)));
}

Result<void> EdnLineParser::parse_value(EdnValue& v) {
  v.vector = false;
  if (pos_ >= s_.size() || s_[pos_] != '[') return parse_atom(v.atom);
  ++pos_;
  v.vector = true;
  v.items = 0;
  EdnAtom extra;
  for (;;) {
    skip();
    if (consume(']')) return {};
    if (pos_ >= s_.size()) return error("unterminated vector (truncated line?)");
    if (auto item = parse_atom(v.items < 2 ? v.item[v.items] : extra); !item) return item;
    ++v.items;
  }
}

Result<Value> edn_to_value(const EdnAtom& v, std::string_view source, int line) {
  switch (v.type) {
    case EdnAtom::Type::nil: return Value{};
    case EdnAtom::Type::integer: return Value{v.integer};
    case EdnAtom::Type::string: return Value{std::string(v.contents())};
    case EdnAtom::Type::keyword: break;
  }
  return fail(std::string(source), line, "expected nil, an integer or a string as :value");
}

// The :value field into `e`: a scalar, :timed-out, or a cas's [from to].
Result<void> edn_value(const EdnValue& value, LogEvent& e, std::string_view source) {
  if (!value.vector && value.atom.type == EdnAtom::Type::keyword &&
      value.atom.text == "timed-out") {
    e.timed_out = true;
    return {};
  }
  if (!value.vector) {
    auto v = edn_to_value(value.atom, source, e.line);
    if (!v) return std::unexpected(v.error());
    e.value = std::move(*v);
    return {};
  }
  if (e.kind != OpKind::cas || value.items != 2)
    return fail(std::string(source), e.line,
                "a vector :value is only valid as [from to] of a :cas");
  auto from = edn_to_value(value.item[0], source, e.line);
  if (!from) return std::unexpected(from.error());
  auto to = edn_to_value(value.item[1], source, e.line);
  if (!to) return std::unexpected(to.error());
  e.value = std::move(*from);
  e.value2 = std::move(*to);
  return {};
}

// The usual line, `{:process N, :type :T, :f :F, :key K, :value V}` with V nil, an integer, a
// keyword or a string without escapes, scanned without the general parser; fills `fields` as
// EdnLineParser::parse_map would, or returns false (nothing decided) for the general parser.
class UsualEdnLine {
 public:
  explicit UsualEdnLine(std::string_view line) : s_(line) {}

  bool scan(EdnFields& fields) {
    EdnAtom* atoms[EdnFields::count];
    for (int i = 0; i < EdnFields::count; ++i) {
      atoms[i] = &fields.values[i].atom;
      fields.values[i].vector = false;
    }
    if (!(literal("{:process ") && integer(*atoms[EdnFields::process]) && literal(", :type :") &&
          keyword(*atoms[EdnFields::type]) && literal(", :f :") && keyword(*atoms[EdnFields::f]) &&
          literal(", :key ") && scalar(*atoms[EdnFields::key]) && literal(", :value ") &&
          scalar(*atoms[EdnFields::value]) && literal("}")))
      return false;
    while (pos_ < s_.size() && is_edn_space(s_[pos_])) ++pos_;
    if (pos_ != s_.size()) return false;
    std::fill(std::begin(fields.present), std::end(fields.present), true);
    return true;
  }

 private:
  static bool is_word(char c) { return (c >= 'a' && c <= 'z') || c == '-'; }
  // A string literal's length is a constant here, so the comparison compiles to a few loads.
  template <std::size_t N>
  bool literal(const char (&text)[N]) {
    constexpr std::size_t size = N - 1;
    if (s_.size() - pos_ < size || std::memcmp(s_.data() + pos_, text, size) != 0) return false;
    pos_ += size;
    return true;
  }
  bool integer(EdnAtom& atom) {
    const std::size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    auto n = parse_int(s_.substr(start, pos_ - start));
    if (!n) return false;
    atom.type = EdnAtom::Type::integer;
    atom.integer = *n;
    return true;
  }
  bool keyword(EdnAtom& atom) {
    const std::size_t start = pos_;
    while (pos_ < s_.size() && is_word(s_[pos_])) ++pos_;
    atom.type = EdnAtom::Type::keyword;
    atom.text = s_.substr(start, pos_ - start);
    return !atom.text.empty();
  }
  // A string without escapes, nil, an integer or a keyword; each must end at ',' or '}'.
  bool scalar(EdnAtom& atom) {
    if (pos_ >= s_.size()) return false;
    if (s_[pos_] == '"') {
      const std::size_t start = ++pos_;
      while (pos_ < s_.size() && s_[pos_] != '"' && s_[pos_] != '\\') ++pos_;
      if (pos_ >= s_.size() || s_[pos_] != '"') return false;
      atom.type = EdnAtom::Type::string;
      atom.escaped = false;
      atom.text = s_.substr(start, pos_++ - start);
      return true;
    }
    if (s_[pos_] == ':') {
      ++pos_;
      if (!keyword(atom)) return false;
    } else if (literal("nil")) {
      atom.type = EdnAtom::Type::nil;
    } else if (!integer(atom)) {
      return false;
    }
    return pos_ < s_.size() && (s_[pos_] == ',' || s_[pos_] == '}');
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

// Parses `line` into `e` (whose line number is set); `fields` is scratch space kept across
// lines so that its strings' storage is reused.
Result<void> parse_edn_line(std::string_view line, std::string_view source, LogEvent& e,
                            EdnFields& fields) {
  const int number = e.line;
  if (!UsualEdnLine(line).scan(fields)) {
    std::fill(std::begin(fields.present), std::end(fields.present), false);
    if (auto map = EdnLineParser(line, source, number).parse_map(fields); !map) return map;
  }
  auto is = [](const EdnValue* v, EdnAtom::Type type) {
    return v && !v->vector && v->atom.type == type;
  };
  const EdnValue* process = fields.find(EdnFields::process);
  const EdnValue* type = fields.find(EdnFields::type);
  const EdnValue* f = fields.find(EdnFields::f);
  if (!is(process, EdnAtom::Type::integer))
    return fail(std::string(source), number, "missing or non-integer :process");
  e.process = process->atom.integer;
  auto event_type =
      is(type, EdnAtom::Type::keyword) ? parse_event_type(type->atom.text) : std::nullopt;
  if (!event_type)
    return fail(std::string(source), number,
                "missing :type (expected :invoke, :ok, :fail or :info)");
  e.type = *event_type;
  auto kind = is(f, EdnAtom::Type::keyword) ? parse_op_kind(f->atom.text) : std::nullopt;
  if (!kind)
    return fail(std::string(source), number,
                "missing or unknown :f (expected :get, :put, :append, :read, :write or :cas)");
  e.kind = *kind;
  if (const EdnValue* key = fields.find(EdnFields::key)) {
    if (is(key, EdnAtom::Type::string))
      e.key.assign(key->atom.contents());
    else if (is(key, EdnAtom::Type::integer))
      e.key = std::to_string(key->atom.integer);
    else if (!is(key, EdnAtom::Type::nil))
      return fail(std::string(source), number, ":key must be a string or an integer");
  }
  if (const EdnValue* value = fields.find(EdnFields::value)) return edn_value(*value, e, source);
  return {};
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

// Reads a line-ordered log, pairing events as they come: one LogEvent is reused for every line,
// so a line allocates only for strings too long to fit a std::string's own buffer.
template <class ParseLine>
Result<History> read_line_log(std::string_view text, std::string_view source,
                              ParseLine parse_line) {
  Assembler assembler(source, text.size());
  LogEvent e;
  auto r =
      for_each_line(skip_utf8_bom(text), [&](int number, std::string_view line) -> Result<void> {
        if (trim(line).empty()) return {};
        e.line = number;
        e.key.clear();
        e.value = Value{};
        e.value2 = Value{};
        e.timed_out = false;
        if (auto parsed = parse_line(line, source, e); !parsed) return parsed;
        assembler.add(e);
        return {};
      });
  if (!r) return std::unexpected(r.error());
  return assembler.finish();
}

Result<History> read_jepsen_log(std::string_view text, std::string_view source) {
  return read_line_log(text, source, parse_jepsen_line);
}

Result<History> read_edn_log(std::string_view text, std::string_view source) {
  EdnFields fields;
  return read_line_log(text, source,
                       [&fields](std::string_view line, std::string_view from, LogEvent& e) {
                         return parse_edn_line(line, from, e, fields);
                       });
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

// The whole file in one read into a buffer of its size (fstat), not through a stream.
Result<std::string> read_file_text(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(path, 0, "cannot open the file");
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    ::close(fd);
    return fail(path, 0, "cannot read the file");
  }
  if (S_ISDIR(info.st_mode)) {
    ::close(fd);
    return fail(path, 0, "is a directory; expected a history file");
  }
  std::string text;
  std::size_t size = 0;
  text.resize(S_ISREG(info.st_mode) ? static_cast<std::size_t>(info.st_size) + 1 : 65536);
  for (;;) {  // until end of file: the size may change, and pipes have none
    if (size == text.size()) text.resize(text.size() * 2);
    const ssize_t got = ::read(fd, text.data() + size, text.size() - size);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      ::close(fd);
      return fail(path, 0, "cannot read the file");
    }
    if (got == 0) break;
    size += static_cast<std::size_t>(got);
    // A regular file's read returns less than asked only at its end: no read to see 0.
    if (S_ISREG(info.st_mode) && size < text.size()) break;
  }
  ::close(fd);
  text.resize(size);
  return text;
}

Result<History> read_history_file(const std::string& path, HistoryFormat format) {
  auto text = read_file_text(path);
  if (!text) return std::unexpected(text.error());
  if (text->starts_with("\xFF\xFE") || text->starts_with("\xFE\xFF"))
    return fail(path, 0, "UTF-16 text (byte-order mark); save the history as UTF-8");
  if (text->find('\0') != std::string::npos)
    return fail(path, 0, "binary data, not a history file");
  return read_history(*text, format, path);
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
