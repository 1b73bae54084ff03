// Sharded fuzzing's parts (tools/faultline/fuzz_results.h): shard selection from the command
// line and the environment, which seeds a shard takes, and the results file read back: written
// records round-trip, and bad files are refused at their line.
#include <filesystem>
#include <fstream>
#include <map>

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "tools/faultline/fuzz_results.h"

namespace {

using namespace faultline;
using namespace faultline::cli;

std::filesystem::path scratch_dir() {
  const auto dir = std::filesystem::temp_directory_path() / "faultline_fuzz_results_test";
  std::filesystem::create_directories(dir);
  return dir;
}

std::string scratch_file(const std::string& name, const std::string& text) {
  const auto path = scratch_dir() / name;
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

EnvironmentLookup environment(std::map<std::string, std::string> values) {
  return [values = std::move(values)](const char* name) -> const char* {
    const auto it = values.find(name);
    return it == values.end() ? nullptr : it->second.c_str();
  };
}

TEST_CASE("fuzz shards: K/M parses, and bad values name the option", "[fuzz][shard]") {
  CHECK(parse_shard("0/1", "--shard") == Shard{0, 1});
  CHECK(parse_shard("2/3", "--shard") == Shard{2, 3});
  CHECK(parse_shard("3/3", "--shard").error().what.find("shards count from 0 to 2") !=
        std::string::npos);
  CHECK(parse_shard("0/0", "--shard").error().what.find("must be 1 to") != std::string::npos);
  for (const char* bad : {"", "1", "/3", "1/", "-1/3", "1/3/4", "a/b", "1 /3", "+1/3", "0/2000000"})
    CHECK_FALSE(parse_shard(bad, "--shard").has_value());
  CHECK(parse_shard("x", "FAULTLINE_SHARD").error().where == "FAULTLINE_SHARD");
}

TEST_CASE(
    "fuzz shards: the environment, FAULTLINE_SHARD first, then GoogleTest's, then a "
    "Kubernetes Indexed Job's",
    "[fuzz][shard]") {
  CHECK(*shard_from_environment(environment({})) == std::nullopt);
  CHECK(*shard_from_environment(environment({{"FAULTLINE_SHARD", "1/4"}})) == Shard{1, 4});
  CHECK(*shard_from_environment(
            environment({{"GTEST_SHARD_INDEX", "2"}, {"GTEST_TOTAL_SHARDS", "5"}})) == Shard{2, 5});
  CHECK(*shard_from_environment(environment(
            {{"JOB_COMPLETION_INDEX", "3"}, {"FAULTLINE_TOTAL_SHARDS", "8"}})) == Shard{3, 8});
  CHECK(*shard_from_environment(environment({{"FAULTLINE_SHARD", "0/2"},
                                             {"GTEST_SHARD_INDEX", "2"},
                                             {"GTEST_TOTAL_SHARDS", "5"}})) == Shard{0, 2});
  const auto no_total = shard_from_environment(environment({{"JOB_COMPLETION_INDEX", "3"}}));
  REQUIRE_FALSE(no_total.has_value());
  CHECK(no_total.error().what.find("FAULTLINE_TOTAL_SHARDS is not") != std::string::npos);
  CHECK_FALSE(
      shard_from_environment(environment({{"GTEST_SHARD_INDEX", "5"}, {"GTEST_TOTAL_SHARDS", "5"}}))
          .has_value());
  CHECK_FALSE(
      shard_from_environment(environment({{"GTEST_SHARD_INDEX", "x"}, {"GTEST_TOTAL_SHARDS", "5"}}))
          .has_value());
}

TEST_CASE("fuzz shards: the shards of a range take every seed exactly once", "[fuzz][shard]") {
  rc::prop("s mod M = K, each seed once, in order", [] {
    const auto start = *rc::gen::oneOf(rc::gen::inRange<std::uint64_t>(0, 50),
                                       rc::gen::just(~std::uint64_t{0} - 40));
    const auto count = *rc::gen::inRange<std::uint64_t>(0, 40);
    const auto shards = *rc::gen::inRange<std::uint64_t>(1, 9);
    std::map<std::uint64_t, int> taken;
    for (std::uint64_t k = 0; k < shards; ++k) {
      const ShardSeeds seeds(start, count, Shard{k, shards});
      for (std::uint64_t i = 0; i < seeds.size(); ++i) {
        RC_ASSERT(seeds.seed(i) % shards == k);
        RC_ASSERT(seeds.contains(seeds.seed(i)));
        if (i > 0) RC_ASSERT(seeds.seed(i) > seeds.seed(i - 1));
        ++taken[seeds.seed(i)];
      }
    }
    RC_ASSERT(taken.size() == count);
    for (std::uint64_t i = 0; i < count; ++i) RC_ASSERT(taken[start + i] == 1);
    RC_ASSERT_FALSE(ShardSeeds(start, count, Shard{0, 1}).contains(start + count));
  });
}

ResultsHeader a_header(Shard shard) {
  ResultsHeader header;
  header.faultline_version = "0.1.0";
  header.commit = "abc";
  header.binary = "0123";
  header.profile_hash = "4567";
  header.options = "--max-events 10";
  header.info.profile_path = "p.swarm.yaml";
  header.info.profile_name = "p";
  header.info.protocol = "ping";
  header.info.seed_start = 1;
  header.info.seed_count = 10;
  header.info.shard = shard;
  return header;
}

TEST_CASE("fuzz results: what a shard writes reads back, and merging names lost seeds",
          "[fuzz][shard]") {
  const std::string dir = (scratch_dir() / "roundtrip").string();
  std::filesystem::remove_all(dir);
  auto writer = ResultsWriter::open(dir, a_header(Shard{1, 2}));
  REQUIRE(writer.has_value());
  FuzzOutcome failed;
  failed.seed = 3;
  failed.status = RunStatus::safety_violation;
  failed.check = "safety";
  failed.signature = "x at D";
  failed.failure = "x at 1s \xff";
  failed.fingerprint = 0xabc;
  failed.events = 7;
  failed.repro = "faultline fuzz p --emit 3";
  FuzzOutcome passed;
  passed.seed = 1;
  passed.fingerprint = 0xffffffffffffffff;
  passed.events = 5;
  (*writer)->started(1);
  (*writer)->result(passed);
  (*writer)->started(3);
  (*writer)->result(failed);
  (*writer)->started(5);
  failed.capsule = "caps/p.seed3.capsule.yaml";
  failed.shrunk = "events 7 -> 3";
  failed.capsule_repro = "faultline replay caps/p.seed3.capsule.yaml";
  (*writer)->capsule(failed);
  writer->reset();  // killed: no end line, seed 5 never finished

  auto read = read_results_file(results_file_path(dir, Shard{1, 2}));
  REQUIRE(read.has_value());
  CHECK(read->header.info.shard == Shard{1, 2});
  CHECK(read->header.info.profile_path == "p.swarm.yaml");
  CHECK_FALSE(read->end_reason.has_value());
  REQUIRE(read->results.size() == 2);
  CHECK(read->results.at(1).fingerprint == 0xffffffffffffffff);
  const FuzzOutcome& three = read->results.at(3);
  CHECK(three.status == RunStatus::safety_violation);
  CHECK(three.failure == "x at 1s \xef\xbf\xbd");  // not UTF-8: replaced, not thrown
  CHECK(three.capsule == failed.capsule);
  CHECK(three.capsule_repro == failed.capsule_repro);

  std::vector<ShardResults> shards{*read};
  auto merged = merge_shards(std::move(shards));
  REQUIRE(merged.has_value());
  CHECK(merged->lost == std::vector<std::uint64_t>{5});
  REQUIRE(merged->records.size() == 3);
  CHECK(merged->records[2].check == "lost");
  CHECK(merged->records[2].status == RunStatus::safety_violation);
  REQUIRE(merged->missing.size() == 2);
  CHECK(merged->missing[0] == "shard 0/2: no results file (5 seeds never ran)");
  CHECK(merged->missing[1].find("2 seeds never started (7, 9)") != std::string::npos);
}

TEST_CASE("fuzz results: bad files are refused at their line", "[fuzz][shard]") {
  const std::string header =
      R"({"type":"header","format":"faultline-fuzz-results","version":1,"faultline":"0.1.0",)"
      R"("commit":"c","binary":"b","profile":"p","profile_hash":"h","profile_name":"p",)"
      R"("protocol":"ping","bug":"","swarm":true,"overrides":"","options":"",)"
      R"("seed_start":1,"seed_count":10,"check_determinism":false,"stop_on_failure":false,)"
      R"("shard":0,"shards":2})"
      "\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty"},
      {"garbage\n", "line 1"},
      {R"({"type":"started","seed":2})"
       "\n",
       "expected the header first"},
      {header + header, "a second header"},
      {header + R"({"type":"started","seed":3})"
                "\n",
       "seed 3 is not one of shard 0/2's"},
      {header + R"({"type":"started","seed":-2})"
                "\n",
       "`seed` must be"},
      {header + R"({"type":"result","seed":2,"status":"fine","fingerprint":"0","events":1})"
                "\n",
       "unknown status 'fine'"},
      {header + R"({"type":"result","seed":2,"status":"passed","fingerprint":"zz","events":1})"
                "\n",
       "`fingerprint` must be hex"},
      {header +
           R"({"type":"result","seed":2,"status":"safety_violation","fingerprint":"0","events":1})"
           "\n",
       "`check` must be a string"},
      {header + R"({"type":"capsule","seed":2,"capsule":"c","shrunk":"s","capsule_repro":"r"})"
                "\n",
       "before its result"},
      {header + R"({"type":"nonsense"})"
                "\n",
       "unknown line type"},
      {header + "[1,2]\n", "not a JSON object"},
      {std::string(R"({"type":"header","format":"faultline-fuzz-results","version":2})") + "\n",
       "not a fuzz results header of version 1"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& [text, expected] = cases[i];
    const std::string path = scratch_file("bad" + std::to_string(i) + ".ndjson", text);
    auto read = read_results_file(path);
    INFO(text);
    REQUIRE_FALSE(read.has_value());
    CHECK_THAT(read.error().to_string(), Catch::Contains(expected));
    CHECK_THAT(read.error().to_string(), Catch::Contains(path));
  }
  auto cut = read_results_file(scratch_file("cut.ndjson", header + R"({"type":"resu)"));
  REQUIRE(cut.has_value());
  CHECK(cut->last_line_cut);
  const std::string long_line = header + std::string(kResultsLineBytesMax + 5, ' ') + "\n";
  auto long_read = read_results_file(scratch_file("long.ndjson", long_line));
  REQUIRE_FALSE(long_read.has_value());
  CHECK_THAT(long_read.error().to_string(), Catch::Contains("line 2"));
}

TEST_CASE("fuzz merge: shards of different profiles, or one shard twice, are refused",
          "[fuzz][shard]") {
  const auto shard_file = [](std::string path, Shard shard) {
    ShardResults results;
    results.path = std::move(path);
    results.header = a_header(shard);
    return results;
  };
  const ShardResults a = shard_file("a", Shard{0, 2});
  ShardResults b = shard_file("b", Shard{1, 2});
  b.header.profile_hash = "other";
  auto differ = merge_shards({a, b});
  REQUIRE_FALSE(differ.has_value());
  CHECK_THAT(differ.error().what,
             Catch::Contains("`profile_hash` is 'other' in b but '4567' in a"));
  const ShardResults c = shard_file("c", Shard{0, 2});
  auto twice = merge_shards({a, c});
  REQUIRE_FALSE(twice.has_value());
  CHECK_THAT(twice.error().what, Catch::Contains("shard 0/2 appears twice: a and c"));
}

}  // namespace
