#include "tests/support/golden_file.h"

#include <algorithm>
#include <cstddef>

#include "sim/core/assert.h"

namespace faultline::golden {

namespace {

constexpr std::string_view separator = "----";

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    lines.emplace_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return lines;
}

bool is_comment_or_blank(const std::string& line) { return line.empty() || line[0] == '#'; }

std::string trim(std::string_view text) {
  const std::size_t first = text.find_first_not_of(' ');
  if (first == std::string_view::npos) return "";
  const std::size_t last = text.find_last_not_of(' ');
  return std::string(text.substr(first, last - first + 1));
}

}  // namespace

Result<File> parse_file(std::string_view text, std::string_view origin) {
  const std::vector<std::string> lines = split_lines(text);
  File file;
  std::vector<std::string> pending;
  std::size_t i = 0;
  while (i < lines.size()) {
    if (is_comment_or_blank(lines[i])) {
      pending.push_back(lines[i++]);
      continue;
    }
    Case c;
    c.preamble = std::exchange(pending, {});
    c.line = static_cast<int>(i + 1);
    c.command = lines[i++];
    while (i < lines.size() && lines[i] != separator) c.input.push_back(lines[i++]);
    if (i == lines.size())
      return fail(std::string(origin), c.line, "the command has no '----' line after it");
    ++i;  // the separator
    while (i < lines.size() && !lines[i].empty()) c.expected.push_back(lines[i++]);
    file.cases.push_back(std::move(c));
  }
  file.trailer = std::move(pending);
  return file;
}

std::string render_file(const File& file, const std::vector<std::vector<std::string>>& outputs) {
  FL_ASSERT(outputs.size() == file.cases.size(), "one output per case");
  std::string text;
  const auto line = [&](const std::string& l) { text += l + "\n"; };
  for (std::size_t k = 0; k < file.cases.size(); ++k) {
    const Case& c = file.cases[k];
    std::ranges::for_each(c.preamble, line);
    line(c.command);
    std::ranges::for_each(c.input, line);
    line(std::string(separator));
    for (const std::string& l : outputs[k]) {
      FL_ASSERT(!l.empty(), "an output line is never blank (a blank line ends the case)");
      line(l);
    }
  }
  std::ranges::for_each(file.trailer, line);
  return text;
}

std::string Command::key(std::string_view wanted) const {
  for (const auto& [k, v] : keys)
    if (k == wanted) return v;
  return "";
}

std::vector<std::string> Command::list(std::string_view wanted) const {
  return split_list(key(wanted));
}

std::vector<std::string> split_list(std::string_view value) {
  if (value.size() >= 2 && value.front() == '(' && value.back() == ')')
    value = value.substr(1, value.size() - 2);
  std::vector<std::string> items;
  if (value.empty()) return items;
  std::size_t begin = 0;
  while (begin <= value.size()) {
    std::size_t end = value.find(',', begin);
    if (end == std::string_view::npos) end = value.size();
    items.push_back(trim(value.substr(begin, end - begin)));
    begin = end + 1;
  }
  return items;
}

Result<Command> parse_command(std::string_view line) {
  Command command;
  std::size_t i = 0;
  const auto skip_spaces = [&] {
    while (i < line.size() && line[i] == ' ') ++i;
  };
  const auto word = [&] {  // up to a space, or past a parenthesised value
    const std::size_t begin = i;
    int depth = 0;
    for (; i < line.size() && (depth > 0 || line[i] != ' '); ++i)
      depth += line[i] == '(' ? 1 : line[i] == ')' ? -1 : 0;
    return std::string(line.substr(begin, i - begin));
  };
  skip_spaces();
  command.name = word();
  if (command.name.empty()) return fail("an empty command line");
  skip_spaces();
  command.rest = std::string(line.substr(i));
  while (i < line.size()) {
    const std::string w = word();
    const std::size_t eq = w.find('=');
    if (eq == std::string::npos || eq == 0)
      command.words.push_back(w);
    else
      command.keys.emplace_back(w.substr(0, eq), w.substr(eq + 1));
    skip_spaces();
  }
  return command;
}

std::string line_diff(const std::vector<std::string>& expected,
                      const std::vector<std::string>& actual) {
  // Longest common subsequence by dynamic programming: outputs are tens of lines.
  const std::size_t n = expected.size();
  const std::size_t m = actual.size();
  std::vector<std::vector<std::size_t>> lcs(n + 1, std::vector<std::size_t>(m + 1, 0));
  for (std::size_t a = n; a-- > 0;)
    for (std::size_t b = m; b-- > 0;)
      lcs[a][b] =
          expected[a] == actual[b] ? lcs[a + 1][b + 1] + 1 : std::max(lcs[a + 1][b], lcs[a][b + 1]);
  std::string diff;
  std::size_t a = 0;
  std::size_t b = 0;
  while (a < n || b < m) {
    if (a < n && b < m && expected[a] == actual[b]) {
      diff += "  " + expected[a++] + "\n";
      ++b;
    } else if (a < n && (b == m || lcs[a + 1][b] >= lcs[a][b + 1])) {
      diff += "- " + expected[a++] + "\n";
    } else {
      diff += "+ " + actual[b++] + "\n";
    }
  }
  return diff;
}

}  // namespace faultline::golden
