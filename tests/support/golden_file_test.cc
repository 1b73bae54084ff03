// The golden file format (golden_file.h): parsing and rendering round-trip byte for byte,
// command lines split into words and keys, and the diff shows what changed.
#include <catch2/catch.hpp>

#include "tests/support/golden_file.h"

namespace faultline::golden {
namespace {

constexpr std::string_view example =
    "# A comment before the first case.\n"
    "\n"
    "cluster nodes=3\n"
    "pre_vote: true\n"
    "----\n"
    "n0 follower\n"
    "n1 follower\n"
    "\n"
    "# Between cases.\n"
    "tick n1 ElectionTimer\n"
    "----\n"
    "timer n1 ElectionTimer{}\n"
    "\n"
    "# After the last case.\n";

TEST_CASE("golden file: cases, inputs and comments parse, and render back unchanged") {
  const auto file = parse_file(example, "example");
  REQUIRE(file.has_value());
  REQUIRE(file->cases.size() == 2);
  CHECK(file->cases[0].line == 3);
  CHECK(file->cases[0].command == "cluster nodes=3");
  CHECK(file->cases[0].input == std::vector<std::string>{"pre_vote: true"});
  CHECK(file->cases[0].expected == std::vector<std::string>{"n0 follower", "n1 follower"});
  CHECK(file->cases[1].preamble == std::vector<std::string>{"", "# Between cases."});
  CHECK(file->trailer == std::vector<std::string>{"", "# After the last case."});
  std::vector<std::vector<std::string>> outputs;
  for (const Case& c : file->cases) outputs.push_back(c.expected);
  CHECK(render_file(*file, outputs) == example);
  outputs[1] = {"timer n1 ElectionTimer{}", "  set ElectionTimer{} [150ms, 300ms]"};
  CHECK(render_file(*file, outputs).find("  set ElectionTimer{}") != std::string::npos);
}

TEST_CASE("golden file: a command without its separator is an error naming the line") {
  const auto file = parse_file("# x\ncluster nodes=3\n", "broken.txt");
  REQUIRE_FALSE(file.has_value());
  CHECK(file.error().to_string() == "broken.txt (line 2): the command has no '----' line after it");
}

TEST_CASE("golden file: command lines split into words, keys and parenthesised lists") {
  const auto command = parse_command("state n0 n1 fields=(role, commit_index) disk");
  REQUIRE(command.has_value());
  CHECK(command->name == "state");
  CHECK(command->words == std::vector<std::string>{"n0", "n1", "disk"});
  CHECK(command->list("fields") == std::vector<std::string>{"role", "commit_index"});
  CHECK(command->key("count").empty());
  CHECK(command->rest == "n0 n1 fields=(role, commit_index) disk");
  CHECK(split_list("n0,n1") == std::vector<std::string>{"n0", "n1"});
  CHECK(split_list("").empty());
}

TEST_CASE("golden file: the diff marks removed and added lines around the common ones") {
  CHECK(line_diff({"a", "b", "c"}, {"a", "x", "c"}) == "  a\n- b\n+ x\n  c\n");
  CHECK(line_diff({"a"}, {"a", "b"}) == "  a\n+ b\n");
  CHECK(line_diff({"a", "b"}, {}) == "- a\n- b\n");
}

}  // namespace
}  // namespace faultline::golden
