// What lint knows beyond the schema: names checked against the protocol with "did you mean",
// bounds on metrics that can have no samples, warnings for periods shorter than the network's
// latency, the latency bounds and fault classes bindings ask about, value quoting, and files.
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "sim/scenario/limits.h"
#include "sim/scenario/names.h"
#include "sim/scenario/parse.h"

namespace {

using namespace faultline;
using namespace faultline::scenario;

const std::vector<std::string> kRoles{"leader"};
const std::string kHeader = "name: x\nprotocol: raft\ncluster: { nodes: 3 }\n";  // lines 1-3

Scenario parsed(const std::string& text) {
  auto s = parse_scenario(text, "", kRoles);
  INFO((s ? "" : s.error().to_string()));
  REQUIRE(s);
  return std::move(*s);
}

TEST_CASE("lint: nearest_name suggests within a few edits", "[scenario][lint]") {
  const std::vector<std::string> metrics{"election", "failover", "commit_latency"};
  CHECK(nearest_name("failovr", metrics) == "failover");
  CHECK(nearest_name("failvoer", metrics) == "failover");  // a swap is one edit
  CHECK(nearest_name("comit_latncy", metrics) == "commit_latency");
  CHECK_FALSE(nearest_name("latency", metrics));
  CHECK_FALSE(nearest_name("", metrics));
  CHECK_FALSE(nearest_name(std::string(65, 'a'), metrics));
  const std::vector<std::string> protocols{"two_phase_commit", "raft", "ping"};
  CHECK(nearest_name("raftt", protocols) == "raft");
  CHECK(nearest_name("pong", protocols) == "ping");
  CHECK_FALSE(nearest_name("zab", protocols));
  CHECK(unknown_name("protocol", "raftt", protocols) ==
        "unknown protocol 'raftt'; did you mean 'raft'? (expected one of: two_phase_commit, raft, "
        "ping)");
  CHECK(unknown_name("metric", "zzz", protocols, "p reports") ==
        "unknown metric 'zzz' (p reports: two_phase_commit, raft, ping)");
}

TEST_CASE("lint: values are quoted cut to 80 bytes", "[scenario][lint]") {
  CHECK(quote("short") == "'short'");
  CHECK(cut_value(std::string(80, 'a')) == std::string(80, 'a'));
  CHECK(cut_value(std::string(81, 'a')) == std::string(80, 'a') + "... (81 bytes)");
  // A cut never splits a UTF-8 character: "é" is two bytes, 79 + 2 crosses byte 80.
  const std::string accented = std::string(79, 'a') + "\xC3\xA9" + std::string(10, 'b');
  CHECK(cut_value(accented) == std::string(79, 'a') + "... (91 bytes)");

  ConfigTree tree = *parse_yaml("a: { b: " + std::string(300, 'x') + " }\n", "");
  const Error error{"a.b", 1, "got '" + std::string(300, 'x') + "'"};
  const Error cut = shorten_values(error, tree);
  CHECK(cut.what == "got '" + std::string(80, 'x') + "... (300 bytes)'");
  CHECK(shorten_values(Error{"elsewhere", 1, error.what}, tree).what == error.what);
}

TEST_CASE("lint: checks and metrics are checked with their lines", "[scenario][lint]") {
  const Scenario s =
      parsed(kHeader + "checks:\n  - log_matching\n  - election_safty\nexpect:\n  failovr:\n" +
             "    max: \"< 1s\"\n");
  const std::vector<std::string> checks{"election_safety", "log_matching"};
  auto bad_check = check_check_names(s, checks);
  REQUIRE_FALSE(bad_check);
  CHECK(bad_check.error().where == "checks[1]");
  CHECK(bad_check.error().line == 6);
  CHECK(bad_check.error().what ==
        "unknown check 'election_safty'; did you mean 'election_safety'? (expected one of: "
        "election_safety, log_matching)");

  const std::vector<std::string> metrics{"failover", "convergence"};
  auto bad_metric = check_metric_names(s, metrics);
  REQUIRE_FALSE(bad_metric);
  CHECK(bad_metric.error().where == "expect.failovr");
  CHECK(bad_metric.error().line == 8);  // the metric's key, not its statistic's line
  CHECK_THAT(bad_metric.error().what,
             Catch::StartsWith("unknown metric 'failovr'; did you mean 'failover'? (raft reports: "
                               "failover, convergence)"));

  const Scenario good =
      parsed(kHeader + "checks: [log_matching]\nexpect: { failover: { count: \"< 1\" } }\n");
  CHECK(check_check_names(good, checks));
  CHECK(check_metric_names(good, metrics));
}

TEST_CASE("lint: a bound that needs a sample of a metric that has none", "[scenario][lint]") {
  const auto none = [](std::string_view) -> std::optional<std::string> { return "no leader lost"; };
  const auto some = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  struct Case {
    std::string bound;
    bool fails;
  };
  for (const Case& c : std::vector<Case>{{"max: \"< 1s\"", true},
                                         {"p50: \"> 0\"", true},
                                         {"count: \">= 1\"", true},
                                         {"count: \"> 0\"", true},
                                         {"count: \"< 1\"", false},
                                         {"count: \"< 0\"", true},
                                         {"count: \"<= 0\"", false},
                                         {"count: \">= 0\"", false}}) {
    INFO(c.bound);
    const Scenario s = parsed(kHeader + "expect:\n  failover: { " + c.bound + " }\n");
    auto result = check_metric_samples(s, none);
    CHECK(result.has_value() == !c.fails);
    if (!result) {
      CHECK(result.error().where.starts_with("expect.failover."));
      CHECK(result.error().line == 5);
      CHECK_THAT(result.error().what,
                 Catch::Contains("failover can have no samples in this scenario (no leader lost)"));
    }
    CHECK(check_metric_samples(s, some));
  }
}

TEST_CASE("lint: periods shorter than the network's latency are warnings", "[scenario][lint]") {
  const Scenario quiet =
      parsed(kHeader + "faults:\n  - { at: 1s, flap: { groups: [[n0], [rest]], " +
             "period: 5ms, for: 1s } }\n");
  CHECK(quiet.warnings.empty());  // the default latency is 1-10ms
  const Scenario slow =
      parsed(kHeader + "network: { latency: { fixed: 20ms } }\n" +
             "faults:\n  - { at: 1s, flap: { groups: [[n0], [rest]], " +
             "period: 5ms, for: 1s } }\nnemesis:\n  kinds: [crash]\n" + "  interval: [2ms, 5ms]\n");
  REQUIRE(slow.warnings.size() == 2);
  CHECK(slow.warnings[0].where == "faults[0].flap.period");
  CHECK(slow.warnings[0].line == 6);
  CHECK_THAT(slow.warnings[0].what,
             Catch::StartsWith("period 5ms is shorter than the network's shortest one-way "
                               "latency (20ms)"));
  CHECK(slow.warnings[1].where == "nemesis.interval");
  CHECK(slow.warnings[1].line == 9);
}

TEST_CASE("lint: latency bounds and fault classes", "[scenario][lint]") {
  const Scenario plain = parsed(kHeader);
  CHECK(shortest_latency(plain) == Duration::from_milliseconds(1));
  CHECK(longest_latency(plain) == Duration::from_milliseconds(10));
  CHECK_FALSE(network_misbehaves(plain));
  CHECK_FALSE(may_stop_or_cut(plain));
  CHECK_FALSE(has_network_or_node_fault(plain));

  const Scenario mixed =
      parsed(kHeader + "network:\n  latency: { fixed: 5ms }\n  links:\n" +
             "    - { from: n0, to: n1, latency: { pareto: { scale: 2ms, cap: 1s } } }\n" +
             "faults:\n  - { at: 1s, network: { latency: { uniform: [3ms, 4ms] } } }\n" +
             "  - { at: 2s, clog: { from: n0, to: n1, for: 1s } }\n");
  CHECK(shortest_latency(mixed) == Duration::from_milliseconds(2));
  CHECK(longest_latency(mixed) == Duration::from_seconds(1));
  CHECK_FALSE(may_stop_or_cut(mixed));  // a clog holds messages; it cuts no one off
  CHECK(has_network_or_node_fault(mixed));

  const Scenario exponential =
      parsed(kHeader + "network: { latency: { exponential: 5ms }, duplicate: 1% }\n");
  CHECK(shortest_latency(exponential) == Duration{});
  CHECK_FALSE(longest_latency(exponential));
  CHECK(network_misbehaves(exponential));

  for (const std::string fault :
       {"crash: n0", "pause: leader", "isolate: n1", "partition: [[n0], [rest]]",
        "one_way: { from: n0, to: n1 }", "flap: { groups: [[n0], [rest]], period: 1s, for: 2s }"})
    CHECK(may_stop_or_cut(parsed(kHeader + "faults:\n  - { at: 1s, " + fault + " }\n")));
  CHECK(may_stop_or_cut(parsed(kHeader + "nemesis: { kinds: [restart, isolate] }\n")));
  CHECK_FALSE(may_stop_or_cut(parsed(kHeader + "nemesis: { kinds: [clog, heal] }\n")));
}

TEST_CASE("lint: key_error points at the key, or at its section for a default",
          "[scenario][lint]") {
  const Scenario s = parsed(kHeader + "workload:\n  request_timeout: 5ms\n");
  const Error given = key_error(s.workload, "request_timeout", "too short");
  CHECK(given.where == "workload.request_timeout");
  CHECK(given.line == 5);
  const Error defaulted = key_error(s.config, "election_timeout", "too short");
  CHECK(defaulted.where == "cluster.config");
  CHECK(defaulted.what == "election_timeout (default): too short");
}

TEST_CASE("lint: the protocol name is checked with its line", "[scenario][lint]") {
  const std::vector<std::string> known{"two_phase_commit", "raft", "ping"};
  CHECK(peek_protocol("name: x\nprotocol: raft\n", "f.yaml", known) == "raft");
  auto bad = peek_protocol("name: x\nprotocol: raftt\n", "f.yaml", known);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().to_string() ==
        "f.yaml: protocol (line 2): unknown protocol 'raftt'; did you mean 'raft'? (expected one "
        "of: two_phase_commit, raft, ping)");
}

TEST_CASE("lint: files: a byte-order mark is skipped, a directory is named", "[scenario][lint]") {
  CHECK(parsed("\xEF\xBB\xBF" + kHeader).name == "x");
  CHECK(parse_yaml("\xEF\xBB\xBF", "").error().what == "the document is empty");

  const auto dir = std::filesystem::temp_directory_path() / "faultline_lint_test_dir";
  std::filesystem::create_directories(dir);
  auto read = read_scenario_file(dir.string());
  REQUIRE_FALSE(read);
  CHECK(read.error().what == "is a directory, not a scenario file");
  std::filesystem::remove(dir);

  const auto big = std::filesystem::temp_directory_path() / "faultline_lint_test_big.yaml";
  std::ofstream(big) << std::string((8u << 20) + 10, '#');
  auto too_big = read_scenario_file(big.string());
  REQUIRE_FALSE(too_big);
  CHECK_THAT(too_big.error().what, Catch::StartsWith("file is larger than 8388608 bytes"));
  std::filesystem::remove(big);
}

}  // namespace
