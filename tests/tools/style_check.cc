// style_check: the layout rules clang-format cannot enforce, checked over the C++ sources under
// sim/, protocols/, checkers/, tools/ and tests/ (*.h, *.cc, *.h.in, *.cc.in; folders whose name
// starts with '.' or "build", and third_party/, external/, vendor/, _deps/ are skipped).
//
//   style_check [--all] [--functions] [--allowlist FILE] ROOT
//
// FILE defaults to ROOT/tests/tools/style_allowlist.txt.
//
// Rules, each reported as `path:line: message`:
// - A function body is at most 70 lines, counted from the line of its opening brace to the line of
//   its closing brace, both included (a signature wrapped over several lines before the brace does
//   not count). A function is a brace block opened outside any other function: a free or member
//   function, a lambda assigned at namespace scope, a TEST_CASE body. Everything inside it
//   (lambdas, control blocks, SECTIONs, local classes) counts toward it and is not reported on its
//   own. Namespace, class, struct, union and enum bodies, and brace initialisers, are not
//   functions.
// - A line is at most 100 columns, counted in UTF-8 code points (a continuation byte 10xxxxxx is
//   not a column), so a comment with "é" or "→" is measured as it is displayed.
//
// The allowlist exempts known offenders and may only shrink. Its first line that is neither blank
// nor a comment is `max-entries: N`; then one entry per line, each with a reason after " # ":
//   path function-name  # reason        a long function (the name as reported)
//   path:line-prefix  # reason          a long line whose text (indentation removed) starts so
// The check fails on a violation no entry matches, on an entry that matches no violation (stale:
// remove it), on an entry without a reason, and when the number of entries differs from N (more:
// the list grew; fewer: lower N in the same change, so the slot cannot be reused).
//
// Exit 0 with a one-line summary (files, functions, allowlisted, longest function and file), 1
// with the list of problems, 2 on a usage or I/O error. --all also lists allowlisted violations;
// --functions lists every function found, `path:line: name length` (to check the parser).
//
// The parser relies on the code being clang-formatted and compiling: comments, string, character
// and raw string literals and preprocessor lines are blanked before braces are matched; a brace
// outside any function is classified from the text since the previous ';', '{' or '}'.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace fs = std::filesystem;

namespace {

constexpr int kMaxFunctionLines = 70;
constexpr int kMaxColumns = 100;

// One long function or one long line.
struct Violation {
  bool is_function = false;
  std::string path;  // relative to the root, with '/'
  int line = 0;      // 1-based: the opening brace, or the long line
  int size = 0;      // lines of the function, or columns of the line
  std::string name;  // the function's name, or the long line without its indentation
  bool allowed = false;
};

struct Function {
  std::string name;
  int first = 0;  // 1-based line of the opening brace
  int last = 0;   // 1-based line of the closing brace
  int length() const { return last - first + 1; }
};

struct Entry {
  int line = 0;  // in the allowlist file
  std::string text;
  std::string path;
  std::string key;  // a function name, or a line prefix
  bool is_line = false;
  bool matched = false;
};

struct Allowlist {
  int max_entries = -1;
  std::vector<Entry> entries;
  std::vector<std::string> problems;  // malformed entries, entries without a reason
};

bool is_ident(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '@';
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

int columns(const std::string& line) {
  int n = 0;
  for (const char c : line) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Blanking: the same lines with comments, literals and preprocessor lines replaced by spaces (a
// string keeps its quotes, so the raw text of a TEST_CASE name can be found at the same offsets).

struct Blanker {
  enum class State { kCode, kBlockComment, kRawString };
  State state = State::kCode;
  std::string raw_end;  // `)delim"` that closes the current raw string
  bool continued_directive = false;

  std::string line(const std::string& raw);

 private:
  std::size_t code(const std::string& raw, std::string& out, std::size_t i);
  static std::size_t quoted(const std::string& raw, std::string& out, std::size_t i);
  static bool digit_separator(const std::string& raw, std::size_t i);
  static bool raw_string_start(const std::string& raw, std::size_t i);
};

std::string Blanker::line(const std::string& raw) {
  std::string out(raw.size(), ' ');
  const std::string t = trim(raw);
  if (state == State::kCode && (continued_directive || (!t.empty() && t[0] == '#'))) {
    continued_directive = !t.empty() && t.back() == '\\';
    return out;
  }
  std::size_t i = 0;
  while (i < raw.size()) {
    if (state == State::kBlockComment) {
      const auto end = raw.find("*/", i);
      if (end == std::string::npos) return out;
      i = end + 2;
      state = State::kCode;
    } else if (state == State::kRawString) {
      const auto end = raw.find(raw_end, i);
      if (end == std::string::npos) return out;
      i = end + raw_end.size();
      state = State::kCode;
    } else {
      i = code(raw, out, i);
    }
  }
  return out;
}

// Copies code from i to the next comment or literal, handles that, returns where to go on.
std::size_t Blanker::code(const std::string& raw, std::string& out, std::size_t i) {
  for (; i < raw.size(); ++i) {
    const char c = raw[i];
    const char next = i + 1 < raw.size() ? raw[i + 1] : '\0';
    if (c == '/' && next == '/') return raw.size();
    if (c == '/' && next == '*') {
      state = State::kBlockComment;
      return i + 2;
    }
    if (c == '"' && raw_string_start(raw, i)) {
      const auto open = raw.find('(', i);
      if (open == std::string::npos) return raw.size();
      raw_end = ")" + raw.substr(i + 1, open - i - 1) + "\"";
      state = State::kRawString;
      return open + 1;
    }
    if (c == '"' || (c == '\'' && !digit_separator(raw, i))) return quoted(raw, out, i);
    out[i] = c;
  }
  return i;
}

// A "string" or 'c' literal starting at i: keeps the quotes, blanks the rest.
std::size_t Blanker::quoted(const std::string& raw, std::string& out, std::size_t i) {
  const char quote = raw[i];
  out[i] = quote;
  for (std::size_t j = i + 1; j < raw.size(); ++j) {
    if (raw[j] == '\\') {
      ++j;
    } else if (raw[j] == quote) {
      out[j] = quote;
      return j + 1;
    }
  }
  return raw.size();
}

// 1'000'000: a quote inside a token that starts with a digit.
bool Blanker::digit_separator(const std::string& raw, std::size_t i) {
  std::size_t b = i;
  while (b > 0 && (is_ident(raw[b - 1]) || raw[b - 1] == '\'' || raw[b - 1] == '.')) --b;
  return b < i && std::isdigit(static_cast<unsigned char>(raw[b])) != 0;
}

// R"delim( with an optional u8, u, U or L prefix, not the end of an identifier like FOOR".
bool Blanker::raw_string_start(const std::string& raw, std::size_t i) {
  if (i == 0 || raw[i - 1] != 'R') return false;
  std::size_t b = i - 1;
  while (b > 0 && is_ident(raw[b - 1])) --b;
  const std::string prefix = raw.substr(b, i - 1 - b);
  return prefix.empty() || prefix == "u8" || prefix == "u" || prefix == "U" || prefix == "L";
}

// ---------------------------------------------------------------------------------------------
// Declarations: what a brace outside any function opens, judged from the text before it (the
// head) at bracket depth 0. Angle brackets count as brackets after an identifier; `operator<`
// and `->` do not open or close one.

enum class Opens { kScope, kFunction, kInitialiser, kBlock };  // kBlock: any brace in a function

struct Head {
  std::string code;  // blanked text since the last ';', '{' or '}' outside initialisers
  std::string raw;   // the same offsets in the source text
};

bool word_at(const std::string& code, std::size_t i, const std::string& word) {
  return code.compare(i, word.size(), word) == 0 && (i == 0 || !is_ident(code[i - 1])) &&
         (i + word.size() >= code.size() || !is_ident(code[i + word.size()]));
}

// Offsets in `code` at depth 0 of (), [] and <>, with the operator symbol after `operator`
// skipped. Calls f(offset) for each; f returns true to stop.
template <class F>
void top_level(const std::string& code, F f) {
  int parens = 0;  // ( and [
  int angles = 0;
  for (std::size_t i = 0; i < code.size(); ++i) {
    const char c = code[i];
    const bool top = parens == 0 && angles == 0;
    if (word_at(code, i, "operator")) {
      std::size_t j = i + 8;
      while (j < code.size() && code[j] == ' ') ++j;
      if (code.compare(j, 2, "()") == 0) j += 2;
      while (j < code.size() && code[j] != '(' && !is_ident(code[j])) ++j;
      if (top && f(i)) return;
      i = j - 1;
      continue;
    }
    std::size_t p = i;
    while (p > 0 && code[p - 1] == ' ') --p;
    const bool after_name = p > 0 && (is_ident(code[p - 1]) || code[p - 1] == '>');
    if (c == '(' || c == '[' || (c == '<' && after_name && code[i + 1] != '<')) {
      if (top && f(i)) return;
      ++(c == '<' ? angles : parens);
    } else if (c == ')' || c == ']') {
      parens = std::max(0, parens - 1);
    } else if (c == '>' && angles > 0 && parens == 0 && i > 0 && code[i - 1] != '-') {
      --angles;
    } else if (top && f(i)) {
      return;
    }
  }
}

std::optional<std::size_t> find_top(const std::string& code, char wanted, std::size_t from = 0) {
  std::optional<std::size_t> found;
  top_level(code, [&](std::size_t i) {
    if (i < from || code[i] != wanted) return false;
    found = i;
    return true;
  });
  return found;
}

// An assignment '=' at depth 0 (not ==, !=, <=, >=, nor inside `operator=`).
std::optional<std::size_t> find_assignment(const std::string& code) {
  std::optional<std::size_t> found;
  top_level(code, [&](std::size_t i) {
    if (code[i] != '=') return false;
    const char before = i > 0 ? code[i - 1] : ' ';
    const char after = i + 1 < code.size() ? code[i + 1] : ' ';
    if (after == '=' || before == '=' || before == '!' || before == '<' || before == '>') {
      return false;
    }
    found = i;
    return true;
  });
  return found;
}

// The words of the head after `template <...>`, attributes and specifiers that say nothing.
std::vector<std::string> leading_words(const std::string& code) {
  std::vector<std::string> words;
  std::size_t i = 0;
  int angle = 0;
  int square = 0;
  while (i < code.size() && words.size() < 3) {
    const char c = code[i];
    if (c == '<') ++angle;
    if (c == '>' && angle > 0) --angle;
    if (c == '[') ++square;
    if (c == ']' && square > 0) --square;
    if (!is_ident(c) || angle > 0 || square > 0) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < code.size() && is_ident(code[j])) ++j;
    const std::string w = code.substr(i, j - i);
    static const std::set<std::string> kSkipped = {"template", "inline",    "export", "typedef",
                                                   "public",   "protected", "private"};
    if (kSkipped.count(w) == 0 && w[0] != '@') words.push_back(w);  // @VAR@: a *.in template
    i = j;
  }
  return words;
}

// The name written just before offset `open` (a '(' or '='): `ns::Class<T>::f`, `~Foo`, ...
std::string name_before(const std::string& code, std::size_t open) {
  std::size_t e = open;
  while (e > 0 && code[e - 1] == ' ') --e;
  std::size_t b = e;
  int angle = 0;
  while (b > 0) {
    const char c = code[b - 1];
    if (c == '>') ++angle;
    if (c == '<' && angle > 0) --angle;
    if (angle > 0 || is_ident(c) || c == ':' || c == '~' || c == '<' || c == '>') {
      --b;
    } else {
      break;
    }
  }
  std::string name = code.substr(b, e - b);
  name.erase(std::remove(name.begin(), name.end(), ' '), name.end());
  return name;
}

// The concatenated string literals that follow offset `from` in the head: a TEST_CASE's name.
std::string first_string(const Head& head, std::size_t from) {
  std::string text;
  std::size_t i = head.code.find('"', from);
  while (i != std::string::npos) {
    const auto close = head.code.find('"', i + 1);
    if (close == std::string::npos) break;
    text += head.raw.substr(i + 1, close - i - 1);
    i = close + 1;
    while (i < head.code.size() && head.code[i] == ' ') ++i;
    if (i >= head.code.size() || head.code[i] != '"') break;
  }
  return text;
}

// `operator==`, `Foo::operator()`, `operator bool` when the parameter list at `open` follows an
// operator; nothing otherwise.
std::optional<std::string> operator_name(const std::string& code, std::size_t open) {
  std::size_t op = code.rfind("operator", open);
  while (op != std::string::npos && !word_at(code, op, "operator")) {
    op = op == 0 ? std::string::npos : code.rfind("operator", op - 1);
  }
  if (op == std::string::npos) return std::nullopt;
  std::string symbol = trim(code.substr(op + 8, open - op - 8));
  const std::string rest = symbol.starts_with("()") ? symbol.substr(2) : symbol;
  if (rest.find_first_of("(),") != std::string::npos) return std::nullopt;
  const std::string scope = op > 0 && code[op - 1] == ':' ? name_before(code, op) : "";
  return scope + "operator" +
         (std::isalpha(static_cast<unsigned char>(symbol[0])) != 0 ? " " : "") + symbol;
}

// The name of a function whose parameter list opens at `open`: as written, and for a macro
// such as TEST_CASE with its name, `TEST_CASE("name")`.
std::string function_name(const Head& head, std::size_t open) {
  if (auto op = operator_name(head.code, open)) return *op;
  const std::string name = name_before(head.code, open);
  const bool macro = name.size() > 1 && std::all_of(name.begin(), name.end(), [](char c) {
                       return std::isupper(static_cast<unsigned char>(c)) != 0 ||
                              std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '_';
                     });
  if (!macro) return name;
  return name + "(\"" + first_string(head, open) + "\")";
}

// What the brace after `head` opens, and its name (a scope's for classes; a function's).
std::pair<Opens, std::string> classify(const Head& head) {
  const std::string& code = head.code;
  // static_assert(T{} == T{}): a brace inside parentheses is an expression's.
  if (std::count(code.begin(), code.end(), '(') > std::count(code.begin(), code.end(), ')')) {
    return {Opens::kInitialiser, ""};
  }
  const auto words = leading_words(code);
  const std::string first = words.empty() ? "" : words[0];
  const auto paren = find_top(code, '(');
  if (first == "namespace" || first == "extern") return {Opens::kScope, ""};
  if (first == "class" || first == "struct" || first == "union" || first == "enum") {
    if (!paren) {
      const std::size_t at = first == "enum" && words.size() > 1 && words[1] == "class" ? 2 : 1;
      const bool named = words.size() > at && words[at] != "final";
      return {Opens::kScope, named ? words[at] : ""};
    }
  }
  if (const auto eq = find_assignment(code)) {
    if (find_top(code, '[', *eq)) return {Opens::kFunction, name_before(code, *eq)};
    return {Opens::kInitialiser, ""};
  }
  if (!paren) return {Opens::kInitialiser, ""};
  // Foo() : a_{x}, b_(y) {: in a constructor's initialiser list, a brace after a name
  // initialises a member; the body's brace follows ')' or '}'.
  const std::string before = trim(code);
  const char last = before.empty() ? ' ' : before.back();
  const auto colon = find_top(code, ':', *paren);
  const bool init_list =
      colon && code.compare(*colon, 2, "::") != 0 && (*colon == 0 || code[*colon - 1] != ':');
  if (init_list && (is_ident(last) || last == '>')) return {Opens::kInitialiser, ""};
  return {Opens::kFunction, function_name(head, *paren)};
}

// ---------------------------------------------------------------------------------------------
// Matching braces over a file's blanked lines.

class FunctionFinder {
 public:
  std::vector<Function> run(const std::vector<std::string>& raw,
                            const std::vector<std::string>& code);

 private:
  struct Frame {
    Opens opens;
    std::string name;
    int first;
  };
  void open_brace(int line, std::size_t col, const std::string& raw);
  void close_brace(int line);
  bool in_function() const;
  std::string qualified(const std::string& name) const;

  std::vector<Frame> stack_;
  Head head_;
  std::vector<Function> found_;
};

bool FunctionFinder::in_function() const {
  return std::any_of(stack_.begin(), stack_.end(),
                     [](const Frame& f) { return f.opens == Opens::kFunction; });
}

std::string FunctionFinder::qualified(const std::string& name) const {
  std::string prefix;
  for (const Frame& f : stack_) {
    if (f.opens == Opens::kScope && !f.name.empty()) prefix += f.name + "::";
  }
  return prefix + name;
}

void FunctionFinder::open_brace(int line, std::size_t col, const std::string& raw) {
  if (in_function()) {
    stack_.push_back({Opens::kBlock, "", line});
    return;
  }
  if (!stack_.empty() && stack_.back().opens == Opens::kInitialiser) {
    stack_.push_back({Opens::kInitialiser, "", line});
  } else {
    auto [opens, name] = classify(head_);
    if (opens == Opens::kFunction) name = qualified(name);
    stack_.push_back({opens, name, line});
  }
  if (stack_.back().opens == Opens::kInitialiser) {
    head_.code += '{';
    head_.raw += raw[col];
  } else {
    head_ = {};
  }
}

void FunctionFinder::close_brace(int line) {
  if (stack_.empty()) return;  // unbalanced (an #if branch): ignore it
  const Frame frame = stack_.back();
  stack_.pop_back();
  if (frame.opens == Opens::kFunction) found_.push_back({frame.name, frame.first, line});
  if (in_function()) return;
  if (frame.opens == Opens::kInitialiser) {
    head_.code += '}';
    head_.raw += '}';
  } else {
    head_ = {};
  }
}

std::vector<Function> FunctionFinder::run(const std::vector<std::string>& raw,
                                          const std::vector<std::string>& code) {
  for (std::size_t l = 0; l < code.size(); ++l) {
    const int line = static_cast<int>(l) + 1;
    for (std::size_t c = 0; c < code[l].size(); ++c) {
      const char ch = code[l][c];
      if (ch == '{') {
        open_brace(line, c, raw[l]);
      } else if (ch == '}') {
        close_brace(line);
      } else if (!in_function()) {
        const bool top = stack_.empty() || stack_.back().opens != Opens::kInitialiser;
        if (ch == ';' && top) {
          head_ = {};
        } else {
          head_.code += ch;
          head_.raw += raw[l][c];
        }
      }
    }
    if (!in_function()) {
      head_.code += ' ';
      head_.raw += ' ';
    }
  }
  return found_;
}

// ---------------------------------------------------------------------------------------------
// Files.

bool is_source(const fs::path& p) {
  const std::string name = p.filename().string();
  for (const char* ext : {".h", ".cc", ".h.in", ".cc.in"}) {
    const std::string e = ext;
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0) {
      return true;
    }
  }
  return false;
}

bool skipped_dir(const fs::path& p) {
  const std::string name = p.filename().string();
  return name.starts_with(".") || name.starts_with("build") || name == "third_party" ||
         name == "external" || name == "vendor" || name == "_deps";
}

std::vector<std::string> source_files(const fs::path& root) {
  std::vector<std::string> files;
  for (const char* dir : {"sim", "protocols", "checkers", "tools", "tests"}) {
    const fs::path top = root / dir;
    if (!fs::is_directory(top)) continue;
    for (auto it = fs::recursive_directory_iterator(top); it != fs::recursive_directory_iterator();
         ++it) {
      if (it->is_directory() && skipped_dir(it->path())) {
        it.disable_recursion_pending();
      } else if (it->is_regular_file() && is_source(it->path())) {
        files.push_back(fs::relative(it->path(), root).generic_string());
      }
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::optional<std::vector<std::string>> read_lines(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  if (in.bad()) return std::nullopt;
  return lines;
}

// ---------------------------------------------------------------------------------------------
// The allowlist.

std::optional<Entry> parse_entry(const std::string& line, int number, std::string& problem) {
  Entry e;
  e.line = number;
  e.text = trim(line);
  const auto hash = e.text.rfind(" # ");
  if (hash == std::string::npos || trim(e.text.substr(hash + 3)).empty()) {
    problem = "entry without a reason (add ' # why'): " + e.text;
  }
  const std::string body = trim(e.text.substr(0, hash));
  const auto space = body.find_first_of(" \t");
  const std::string first = body.substr(0, space);
  const auto colon = first.find(':');
  if (colon != std::string::npos) {
    e.is_line = true;
    e.path = body.substr(0, colon);
    e.key = trim(body.substr(colon + 1));
  } else if (space != std::string::npos) {
    e.path = first;
    e.key = trim(body.substr(space));
  }
  if (e.path.empty() || e.key.empty()) {
    problem = "malformed entry (want 'path function' or 'path:line-prefix'): " + e.text;
    return std::nullopt;
  }
  return e;
}

std::optional<Allowlist> read_allowlist(const fs::path& path, std::string& error) {
  const auto lines = read_lines(path);
  if (!lines) {
    error = "cannot read the allowlist " + path.string();
    return std::nullopt;
  }
  Allowlist list;
  for (std::size_t i = 0; i < lines->size(); ++i) {
    const std::string t = trim((*lines)[i]);
    const int number = static_cast<int>(i) + 1;
    if (t.empty() || t[0] == '#') continue;
    if (list.max_entries < 0) {
      if (!t.starts_with("max-entries:")) break;
      try {
        list.max_entries = std::stoi(t.substr(12));
      } catch (const std::exception&) {
        break;
      }
      continue;
    }
    std::string problem;
    if (auto e = parse_entry(t, number, problem)) list.entries.push_back(*e);
    if (!problem.empty()) list.problems.push_back(std::to_string(number) + ": " + problem);
  }
  if (list.max_entries < 0) {
    error = path.string() + ": the first line that is not a comment must be 'max-entries: N'";
    return std::nullopt;
  }
  return list;
}

bool matches(const Entry& e, const Violation& v) {
  if (e.path != v.path || e.is_line == v.is_function) return false;
  return e.is_line ? v.name.starts_with(e.key) : v.name == e.key;
}

// ---------------------------------------------------------------------------------------------
// The check.

struct Totals {
  int files = 0;
  int functions = 0;
  Violation longest_function;
  std::string longest_file;
  int longest_file_lines = 0;
};

void check_file(const std::string& rel, const std::vector<std::string>& raw,
                std::vector<Violation>& out, Totals& totals, bool list_functions) {
  Blanker blanker;
  std::vector<std::string> code;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    code.push_back(blanker.line(raw[i]));
    const int cols = columns(raw[i]);
    if (cols > kMaxColumns) {
      out.push_back({false, rel, static_cast<int>(i) + 1, cols, trim(raw[i])});
    }
  }
  for (const Function& f : FunctionFinder().run(raw, code)) {
    ++totals.functions;
    if (list_functions)
      std::cout << rel << ":" << f.first << ": " << f.name << " " << f.length() << "\n";
    if (f.length() > totals.longest_function.size) {
      totals.longest_function = {true, rel, f.first, f.length(), f.name};
    }
    if (f.length() > kMaxFunctionLines) out.push_back({true, rel, f.first, f.length(), f.name});
  }
  ++totals.files;
  if (static_cast<int>(raw.size()) > totals.longest_file_lines) {
    totals.longest_file = rel;
    totals.longest_file_lines = static_cast<int>(raw.size());
  }
}

std::string describe(const Violation& v) {
  std::ostringstream s;
  s << v.path << ":" << v.line << ": ";
  if (v.is_function) {
    s << "function " << v.name << " is " << v.size << " lines (limit " << kMaxFunctionLines << ")";
  } else {
    s << "line is " << v.size << " columns (limit " << kMaxColumns << ")";
  }
  return s.str();
}

// Marks the allowed violations; returns the allowlist's own problems.
std::vector<std::string> apply_allowlist(Allowlist& list, std::vector<Violation>& violations,
                                         const std::string& list_name) {
  std::vector<std::string> problems;
  for (const std::string& p : list.problems) problems.push_back(list_name + ":" + p);
  for (Violation& v : violations) {
    for (Entry& e : list.entries) {
      if (matches(e, v)) {
        e.matched = true;
        v.allowed = true;
      }
    }
  }
  for (const Entry& e : list.entries) {
    if (!e.matched) {
      problems.push_back(list_name + ":" + std::to_string(e.line) +
                         ": stale entry, no violation matches it (remove it): " + e.text);
    }
  }
  const int n = static_cast<int>(list.entries.size());
  if (n != list.max_entries) {
    problems.push_back(list_name + ": " + std::to_string(n) +
                       " entries but max-entries: " + std::to_string(list.max_entries) +
                       (n > list.max_entries ? " (the allowlist may only shrink: fix the code)"
                                             : " (lower max-entries to the count)"));
  }
  return problems;
}

int usage() {
  std::cerr << "usage: style_check [--all] [--functions] [--allowlist FILE] ROOT\n";
  return 2;
}

struct Options {
  bool all = false;
  bool functions = false;
  fs::path root;
  fs::path allowlist;
};

std::optional<Options> parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--all") {
      o.all = true;
    } else if (a == "--functions") {
      o.functions = true;
    } else if (a == "--allowlist" && i + 1 < argc) {
      o.allowlist = argv[++i];
    } else if (!a.starts_with("-") && o.root.empty()) {
      o.root = a;
    } else {
      return std::nullopt;
    }
  }
  if (o.root.empty()) return std::nullopt;
  if (o.allowlist.empty()) o.allowlist = o.root / "tests/tools/style_allowlist.txt";
  return o;
}

void print_summary(const Totals& t, int allowed, std::size_t entries) {
  std::cout << "style: " << t.files << " files, " << t.functions << " functions, " << allowed
            << " allowlisted violations (" << entries << " entries); longest function "
            << t.longest_function.path << ":" << t.longest_function.line << " "
            << t.longest_function.name << " (" << t.longest_function.size
            << " lines); longest file " << t.longest_file << " (" << t.longest_file_lines
            << " lines)\n";
}

}  // namespace

int main(int argc, char** argv) {
  const auto options = parse_args(argc, argv);
  if (!options) return usage();
  if (!fs::is_directory(options->root)) {
    std::cerr << "style_check: not a directory: " << options->root.string() << "\n";
    return 2;
  }
  std::string error;
  auto list = read_allowlist(options->allowlist, error);
  if (!list) {
    std::cerr << "style_check: " << error << "\n";
    return 2;
  }
  std::vector<Violation> violations;
  Totals totals;
  for (const std::string& rel : source_files(options->root)) {
    const auto lines = read_lines(options->root / rel);
    if (!lines) {
      std::cerr << "style_check: cannot read " << rel << "\n";
      return 2;
    }
    check_file(rel, *lines, violations, totals, options->functions);
  }
  const auto problems = apply_allowlist(*list, violations, options->allowlist.string());
  int allowed = 0;
  int failures = static_cast<int>(problems.size());
  for (const Violation& v : violations) {
    allowed += v.allowed ? 1 : 0;
    failures += v.allowed ? 0 : 1;
    if (!v.allowed || options->all) {
      std::cout << describe(v) << (v.allowed ? " (allowlisted)" : "") << "\n";
    }
  }
  for (const std::string& p : problems) std::cout << p << "\n";
  print_summary(totals, allowed, list->entries.size());
  if (failures == 0) return 0;
  std::cout << "style: " << failures << " problems (tests/README.md says how to fix them)\n";
  return 1;
}
