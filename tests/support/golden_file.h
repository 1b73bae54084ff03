// Golden interaction files, in the format of etcd raft's testdata/*.txt (cockroachdb/datadriven):
//
//   # Comment lines and blank lines between cases are kept as they are.
//   command arg key=value key=(a,b)
//   optional input lines
//   ----
//   the expected output, compared exactly,
//   up to the next blank line or the end of the file
//
// This module knows the format and nothing about protocols: parse a file into cases, render it
// back with new outputs (the rewrite mode), split a command line into arguments, and show how an
// output differs from the expected one. Invariants: render(parse(text)) == text for every text
// parse() accepts that ends in a newline; an output never holds a blank line (it would end the
// case early), so render() refuses one.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/core/result.h"

namespace faultline::golden {

struct Case {
  std::vector<std::string> preamble;  // comment and blank lines before the command, verbatim
  int line = 0;                       // 1-based line of the command
  std::string command;
  std::vector<std::string> input;     // lines between the command and "----"
  std::vector<std::string> expected;  // lines after "----"
};

struct File {
  std::vector<Case> cases;
  std::vector<std::string> trailer;  // comment and blank lines after the last case
};

Result<File> parse_file(std::string_view text, std::string_view origin);
// The file with `outputs[i]` in place of case i's expected output (outputs.size() == cases).
std::string render_file(const File& file, const std::vector<std::vector<std::string>>& outputs);

// A command line split at spaces: the command's name, positional words, and key=value pairs
// (a value in parentheses may hold commas and spaces: fields=(role, commit_index)).
struct Command {
  std::string name;
  std::vector<std::string> words;
  std::vector<std::pair<std::string, std::string>> keys;
  std::string rest;  // the line after the name, as written (for arguments with their own syntax)

  // The value of key=value, or "" when absent.
  std::string key(std::string_view name) const;
  // The items of key=(a,b) or key=a, trimmed; empty when absent.
  std::vector<std::string> list(std::string_view name) const;
};
Result<Command> parse_command(std::string_view line);
// The items of "(a, b)" or "a,b", trimmed; none for "".
std::vector<std::string> split_list(std::string_view value);

// A line diff of expected against actual ("  " same, "- " expected only, "+ " actual only).
std::string line_diff(const std::vector<std::string>& expected,
                      const std::vector<std::string>& actual);

}  // namespace faultline::golden
