// History files (sim/real/history_io.h): a history written with its header reads back into the
// same values with the line of each event; the header's config survives the JSON round trip;
// files without a header still read; and a header of another protocol, an unknown version, a
// second header, a node beyond the header's and a line cut short are errors naming the line.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "protocols/two_phase_commit/protocol.h"
#include "sim/real/history_io.h"
#include "sim/scenario/parse.h"
#include "tests/support/real_support.h"

using namespace faultline;
using namespace faultline::real;
using faultline::real::testing::TempDir;
using faultline::real::testing::write_text;
using TPC = TwoPhaseCommit;

namespace {

HistoryHeader header_of(const std::string& yaml_config) {
  HistoryHeader header;
  header.protocol = "two_phase_commit";
  header.node_names = {"n0", "n1"};
  header.recorded_by = "faultline client 'my cluster.yaml' --history h.jsonl";
  header.clock = "monotonic";
  header.clock_origin_ns = 42;
  auto tree = scenario::parse_yaml(yaml_config, "config");
  REQUIRE(tree.has_value());
  header.config = *tree;
  return header;
}

History<TPC> small_history() {
  History<TPC> h;
  h.invocations.push_back({Time{10}, NodeId{1}, ClientId{3},
                           two_phase_commit::Input{two_phase_commit::Predict{7, 42}}, true});
  h.invocations.push_back({Time{30}, NodeId{0}, ClientId{0},
                           two_phase_commit::Input{two_phase_commit::Predict{8, 9}}, false});
  h.emissions.push_back(
      {Time{20}, NodeId{1}, two_phase_commit::Output{two_phase_commit::PredictServed{}}});
  return h;
}

std::string write_file(const TempDir& dir, const HistoryHeader& header, const History<TPC>& h) {
  const std::string path = dir.path + "/h.jsonl";
  std::FILE* out = std::fopen(path.c_str(), "wb");
  REQUIRE(out != nullptr);
  write_history(out, header, h);
  std::fclose(out);
  return path;
}

std::string error_of(const std::string& path) {
  auto read = read_recorded_history<TPC>(path);
  REQUIRE_FALSE(read.has_value());
  return read.error().to_string();
}

}  // namespace

TEST_CASE("history file: header and events round trip, with the line of each event") {
  TempDir dir;
  const auto header = header_of("{ stage_interval: 2s, stages: [5%, 50%] }");
  const auto path = write_file(dir, header, small_history());
  auto read = read_recorded_history<TPC>(path);
  REQUIRE(read.has_value());
  REQUIRE(read->header.has_value());
  CHECK(read->header->protocol == "two_phase_commit");
  CHECK(read->header->node_names == header.node_names);
  CHECK(read->header->recorded_by == header.recorded_by);
  CHECK(read->header->clock_origin_ns == 42);
  CHECK(config_to_json(read->header->config) == config_to_json(header.config));
  CHECK(read->header->config.find("stages")->items.size() == 2);
  CHECK(read->header->config.find("stages")->items[1].path == "config.stages[1]");
  const History<TPC> expected = small_history();
  REQUIRE(read->history.invocations.size() == 2);
  CHECK(read->history.invocations[0].input == expected.invocations[0].input);
  CHECK(read->history.invocations[0].client == ClientId{3});
  CHECK_FALSE(read->history.invocations[1].delivered);
  REQUIRE(read->history.emissions.size() == 1);
  // Merged in time order: invocation (10), emission (20), invocation (30), after the header.
  CHECK(read->invocation_lines == std::vector<int>{2, 4});
  CHECK(read->emission_lines == std::vector<int>{3});
}

TEST_CASE("history file: a file without a header reads, with nodes named by index") {
  TempDir dir;
  const auto path = write_file(dir, header_of("{}"), small_history());
  std::ifstream in(path);
  const std::string text{std::istreambuf_iterator<char>(in), {}};
  write_text(path, text.substr(text.find('\n') + 1));  // drop the header line
  auto read = read_recorded_history<TPC>(path);
  REQUIRE(read.has_value());
  CHECK_FALSE(read->header.has_value());
  CHECK(read->node_names == std::vector<std::string>{"n0", "n1"});
  CHECK(read->invocation_lines == std::vector<int>{1, 3});
}

TEST_CASE("history file: bad headers and lines are errors naming the file and line") {
  TempDir dir;
  const std::string path = dir.path + "/h.jsonl";
  const std::string event = R"({"event":"emission","time_ns":1,"node_index":0,"codec":"0000"})";
  const std::string header = R"({"format":"faultline-history","version":1,)"
                             R"("protocol":"two_phase_commit","node_names":["n0"]})";
  write_text(path,
             R"({"format":"faultline-history","version":1,"protocol":"raft","node_names":["n0"]})"
             "\n");
  CHECK(
      error_of(path).ends_with("h.jsonl (line 1): the header says this is a raft history, not "
                               "two_phase_commit"));
  write_text(path, R"({"format":"faultline-history","version":7,"protocol":"raft"})"
                   "\n");
  CHECK(
      error_of(path).ends_with("(line 1): header: version 7 is not one this faultline reads (1)"));
  write_text(path, header + "\n" + header + "\n");
  CHECK(error_of(path).ends_with("(line 2): a header line may only be the first line of the file"));
  write_text(path, header + "\n" +
                       R"({"event":"emission","time_ns":1,"node_index":1,"codec":"00"})" + "\n");
  CHECK(error_of(path).ends_with("(line 2): node_index 1 is beyond the header's 1 nodes"));
  write_text(path, header + "\n" + event.substr(0, 30));
  CHECK(error_of(path).find("(line 2): the line is cut short: the file ends inside it") !=
        std::string::npos);
  write_text(path, header + "\n" +
                       R"({"event":"emission","time_ns":1,"node_index":0,"codec":"0g"})" + "\n");
  CHECK(error_of(path).find("(line 2): codec: hex text has a non-hex digit at 0") !=
        std::string::npos);
  write_text(path, "\xEF\xBB\xBF" + header + "\n\n" + event + "\n");
  auto read = read_history_lines(path);
  REQUIRE(read.has_value());  // a byte-order mark and blank lines are skipped
  CHECK(read->events.size() == 1);
  CHECK(read->events[0].line == 3);
}
