// Every documented scenario key parses to the value the schema (README.md, "Scenario file
// reference") promises.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "sim/scenario/parse.h"
#include "tests/sim/scenario/example_scenario.h"

namespace {

using namespace faultline;
using namespace faultline::literals;
using namespace faultline::scenario;
using faultline::test::kFullExample;

const std::vector<std::string> kRoles{"coordinator", "participant"};

Scenario parse_full() {
  auto parsed = parse_scenario(kFullExample, "", kRoles);
  if (!parsed) FAIL(parsed.error().to_string());
  return *parsed;
}

std::vector<std::string> texts(const NodeSelectors& selectors) {
  std::vector<std::string> out;
  for (const NodeSelector& s : selectors) out.push_back(s.text);
  return out;
}

template <class T>
const T& action_at(const Scenario& s, std::size_t i) {
  REQUIRE(i < s.faults.size());
  REQUIRE(std::holds_alternative<T>(s.faults[i].action));
  return std::get<T>(s.faults[i].action);
}

}  // namespace

TEST_CASE("scenario: full example: header, cluster and protocol sections", "[scenario]") {
  const Scenario s = parse_full();
  CHECK(s.name == "canary_rollout");
  CHECK(s.description == "Coordinator crashes mid-commit");
  CHECK(s.protocol == "two_phase_commit");
  CHECK(s.node_names == std::vector<std::string>{"a", "b", "c", "d"});
  REQUIRE(s.config.kind == ConfigTree::Kind::map);
  CHECK(s.config.path == "cluster.config");
  CHECK(s.config.line == 6);
  REQUIRE(s.config.find("prepare_timeout") != nullptr);
  CHECK(s.config.find("prepare_timeout")->scalar == "200ms");
  CHECK(s.config.find("stages")->items.at(1).path == "cluster.config.stages[1]");
  REQUIRE(s.workload.kind == ConfigTree::Kind::map);
  CHECK(s.workload.path == "workload");
  CHECK(s.workload.find("transactions")->scalar == "20");
  CHECK(s.checks == std::vector<std::string>{"atomicity", "agreement"});
}

TEST_CASE("scenario: full example: network and link overrides", "[scenario]") {
  const Scenario s = parse_full();
  const NetworkSpec& n = s.network;
  CHECK(n.latency ==
        LatencyModel{LatencyModel::Shape::uniform, 1_ms, 10_ms, Ratio{3, 2}, Ratio::zero()});
  CHECK(n.drop == Ratio{1, 100});
  CHECK(n.duplicate == Ratio{1, 200});
  CHECK(n.reorder == Ratio{1, 100});
  CHECK(n.queue_capacity == 512);
  REQUIRE(n.links.size() == 3);

  CHECK(texts(n.links[0].from) == std::vector<std::string>{"a"});
  CHECK(texts(n.links[0].to) == std::vector<std::string>{"b", "c"});
  CHECK(n.links[0].to[1].path == "network.links[0].to[1]");
  CHECK(n.links[0].to[1].line == 14);
  CHECK(n.links[0].symmetric);
  CHECK(n.links[0].settings.latency ==
        LatencyModel{LatencyModel::Shape::fixed, 80_ms, 80_ms, Ratio{3, 2}, Ratio::zero()});
  CHECK(n.links[0].settings.drop == Ratio{1, 10});
  CHECK_FALSE(n.links[0].settings.duplicate);
  CHECK_FALSE(n.links[0].settings.queue_capacity);

  CHECK(texts(n.links[1].from) == std::vector<std::string>{"d"});
  CHECK(texts(n.links[1].to) == std::vector<std::string>{"all"});
  CHECK_FALSE(n.links[1].symmetric);
  CHECK(n.links[1].settings.latency ==
        LatencyModel{LatencyModel::Shape::pareto, 2_ms, 1_s, Ratio{5, 4}, Ratio::zero()});
  CHECK(n.links[1].settings.duplicate == Ratio::one());
  CHECK(n.links[1].settings.reorder == Ratio::zero());
  CHECK(n.links[1].settings.queue_capacity == 8u);

  CHECK(n.links[2].settings.latency ==
        LatencyModel{LatencyModel::Shape::exponential, 3_ms, 3_ms, Ratio{3, 2}, Ratio::zero()});
}

TEST_CASE("scenario: full example: faults are sorted stably by time", "[scenario]") {
  const Scenario s = parse_full();
  REQUIRE(s.faults.size() == 12);
  // File order: 2s 3s 3s 4s 2s 2s 0 6s 1s 1s 1.5s 1s -> stable sort by `at`.
  const std::vector<std::string> expected_paths{
      "faults[6]", "faults[8]", "faults[9]", "faults[11]", "faults[10]", "faults[0]",
      "faults[4]", "faults[5]", "faults[1]", "faults[2]",  "faults[3]",  "faults[7]"};
  for (std::size_t i = 0; i < s.faults.size(); ++i) {
    CHECK(s.faults[i].path == expected_paths[i]);
    if (i > 0) CHECK(s.faults[i - 1].at <= s.faults[i].at);
  }
  CHECK(s.faults[0].at == Time{0});
  CHECK(s.faults[0].line == 25);
  CHECK(s.faults[4].at == Time{1'500'000'000});
}

TEST_CASE("scenario: a fault time may be a range, drawn per run", "[scenario]") {
  auto s = parse_scenario(R"(name: r
protocol: p
cluster: { nodes: 3 }
faults:
  - { at: [2s, 2075ms], crash: n0 }
  - { at: 1s, crash: n1 }
  - { at: [1500ms, 1500ms], crash: n2 }
run: { until: 3s }
)",
                          "", {});
  REQUIRE(s);
  REQUIRE(s->faults.size() == 3);
  // Sorted by the earliest time each may fire; a plain duration has no range.
  CHECK(s->faults[0].path == "faults[1]");
  CHECK(s->faults[0].at == Time{1'000'000'000});
  CHECK_FALSE(s->faults[0].at_max);
  CHECK(s->faults[1].path == "faults[2]");
  CHECK(s->faults[1].at_max == Time{1'500'000'000});
  CHECK(s->faults[2].path == "faults[0]");
  CHECK(s->faults[2].at == Time{2'000'000'000});
  CHECK(s->faults[2].at_max == Time{2'075'000'000});
}

TEST_CASE("scenario: full example: every fault action", "[scenario]") {
  const Scenario s = parse_full();
  const auto& one_way = action_at<OneWayPartition>(s, 0);
  CHECK(texts(one_way.from) == std::vector<std::string>{"a"});
  CHECK(texts(one_way.to) == std::vector<std::string>{"b"});

  const auto& change = action_at<NetworkChange>(s, 1);
  CHECK(change.settings.drop == Ratio{1, 10});
  CHECK(change.settings.latency ==
        LatencyModel{LatencyModel::Shape::fixed, 50_ms, 50_ms, Ratio{3, 2}, Ratio::zero()});
  CHECK_FALSE(change.settings.reorder);

  const auto& clog = action_at<Clog>(s, 2);
  CHECK(texts(clog.from) == std::vector<std::string>{"a"});
  CHECK(texts(clog.to) == std::vector<std::string>{"b"});
  CHECK(clog.duration == 500_ms);

  const auto& input = action_at<OperatorInput>(s, 3);
  CHECK(input.target.text == "any");
  CHECK(input.target.path == "faults[11].input.node");
  REQUIRE(input.input.kind == ConfigTree::Kind::map);
  REQUIRE(input.input.entries.size() == 1);
  CHECK(input.input.entries[0].first == "begin");
  CHECK(input.input.entries[0].second.path == "faults[11].input.begin");
  CHECK(input.input.entries[0].second.find("tx")->scalar == "7");

  const auto& flap = action_at<Flap>(s, 4);
  REQUIRE(flap.groups.size() == 2);
  CHECK(texts(flap.groups[0]) == std::vector<std::string>{"a"});
  CHECK(texts(flap.groups[1]) == std::vector<std::string>{"rest"});
  CHECK(flap.period == 300_ms);
  CHECK(flap.duration == 3_s);

  const auto& crash = action_at<Crash>(s, 5);
  CHECK(texts(crash.targets) == std::vector<std::string>{"coordinator"});
  CHECK(crash.targets[0].path == "faults[0].crash");
  CHECK(crash.targets[0].line == 19);
  CHECK(texts(action_at<Isolate>(s, 6).targets) == std::vector<std::string>{"c"});
  const auto& partition = action_at<Partition>(s, 7);
  REQUIRE(partition.groups.size() == 2);
  CHECK(partition.groups[1][0].path == "faults[5].partition[1][0]");
  CHECK(texts(action_at<Restart>(s, 8).targets) == std::vector<std::string>{"b"});
  CHECK(texts(action_at<Pause>(s, 9).targets) == std::vector<std::string>{"b", "c"});
  CHECK(texts(action_at<Resume>(s, 10).targets) == std::vector<std::string>{"b"});
  CHECK(std::holds_alternative<Heal>(s.faults[11].action));
}

TEST_CASE("scenario: full example: nemesis, run and expectations", "[scenario]") {
  const Scenario s = parse_full();
  REQUIRE(s.nemesis);
  CHECK(s.nemesis->kinds.size() == 8);
  CHECK(s.nemesis->kinds.front() == Nemesis::Kind::crash);
  CHECK(s.nemesis->kinds.back() == Nemesis::Kind::clog);
  CHECK(s.nemesis->interval == DurationRange{500_ms, 2_s});
  CHECK(s.nemesis->start == Time{1'000'000'000});
  CHECK(s.nemesis->stop == Time{8'000'000'000});
  CHECK(s.nemesis->crashed_max == 1);

  CHECK(s.run.until == 10_s);
  CHECK(s.run.converge_within == 5_s);
  CHECK_FALSE(s.run.restart_crashed);
  CHECK(s.run.seed == 42);

  using C = Expectation::Comparison;
  REQUIRE(s.expectations.size() == 6);
  const auto& e = s.expectations;
  CHECK((e[0].metric == "decision_latency" && e[0].statistic == "p99" &&
         e[0].comparison == C::less && e[0].bound == (600_ms).nanoseconds));
  CHECK(e[0].path == "expect.decision_latency.p99");
  CHECK(e[0].line == 40);
  CHECK((e[1].statistic == "max" && e[1].comparison == C::less_equal &&
         e[1].bound == (2_s).nanoseconds));
  CHECK((e[2].metric == "commits" && e[2].statistic == "count" &&
         e[2].comparison == C::greater_equal && e[2].bound == 3));
  CHECK((e[3].statistic == "min" && e[3].comparison == C::greater && e[3].bound == 0));
  CHECK((e[4].statistic == "p50" && e[4].bound == (60_s).nanoseconds));
  CHECK((e[5].statistic == "p90" && e[5].bound == (1500_ms).nanoseconds));
}

TEST_CASE("scenario: minimal scenario takes every default", "[scenario]") {
  auto s = parse_scenario("name: m\nprotocol: p\ncluster: { nodes: 3 }\n", "", {});
  REQUIRE(s);
  CHECK(s->node_names == std::vector<std::string>{"n0", "n1", "n2"});
  CHECK(s->description.empty());
  CHECK(s->config.kind == ConfigTree::Kind::null);
  CHECK(s->config.path == "cluster.config");
  CHECK(s->workload.kind == ConfigTree::Kind::null);
  CHECK(s->workload.path == "workload");
  CHECK(s->network.latency == LatencyModel{});
  CHECK(s->network.drop == Ratio::zero());
  CHECK(s->network.duplicate == Ratio::zero());
  CHECK(s->network.reorder == Ratio::zero());
  CHECK(s->network.queue_capacity == 1024);
  CHECK(s->network.links.empty());
  CHECK(s->faults.empty());
  CHECK_FALSE(s->nemesis);
  CHECK(s->run.until == 10_s);
  CHECK(s->run.converge_within == 5_s);
  CHECK(s->run.restart_crashed);
  CHECK(s->run.seed == 1);
  CHECK(s->checks.empty());
  CHECK(s->expectations.empty());
}

TEST_CASE("scenario: nemesis defaults", "[scenario]") {
  auto s = parse_scenario(
      "name: m\nprotocol: p\ncluster: { nodes: 3 }\nnemesis: { kinds: [crash] }\n", "", {});
  REQUIRE(s);
  REQUIRE(s->nemesis);
  CHECK(s->nemesis->interval == DurationRange{500_ms, 2_s});
  CHECK(s->nemesis->start == Time{0});
  CHECK_FALSE(s->nemesis->stop);
  CHECK(s->nemesis->crashed_max == 1);
}

TEST_CASE("scenario: selector forms and probability forms", "[scenario]") {
  auto s = parse_scenario(R"(name: m
protocol: p
cluster: { nodes: 2 }
network: { drop: 1, duplicate: "0", reorder: 100% }
faults:
  - { at: 1s, partition: [n0, [rest]] }
  - { at: 1s, crash: [all] }
)",
                          "", {});
  REQUIRE(s);
  CHECK(s->network.drop == Ratio::one());
  CHECK(s->network.reorder == Ratio::one());
  const auto& partition = std::get<Partition>(s->faults[0].action);
  CHECK(partition.groups[0][0].text == "n0");
  CHECK(partition.groups[0][0].path == "faults[0].partition[0]");
}

TEST_CASE("scenario: load_scenario reads a file and names it in errors", "[scenario]") {
  const auto dir = std::filesystem::temp_directory_path() / "faultline_scenario_test";
  std::filesystem::create_directories(dir);
  const std::string good = (dir / "good.yaml").string();
  const std::string bad = (dir / "bad.yaml").string();
  std::ofstream(good) << kFullExample;
  std::ofstream(bad)
      << "name: x\nprotocol: p\ncluster: { nodes: 2 }\nfaults:\n  - { at: soon, crash: n0 }\n";

  auto loaded = load_scenario(good, kRoles);
  REQUIRE(loaded);
  CHECK(loaded->source_path == good);
  CHECK(loaded->faults.size() == 12);

  auto failed = load_scenario(bad, kRoles);
  REQUIRE_FALSE(failed);
  CHECK(failed.error().to_string() ==
        bad + ": faults[0].at (line 5): expected a duration like 150ms, 2s or 1.5s, got 'soon'");

  auto missing = load_scenario((dir / "missing.yaml").string(), kRoles);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().where == (dir / "missing.yaml").string());
  CHECK(missing.error().what == "no such file");

  auto directory = load_scenario(dir.string(), kRoles);
  REQUIRE_FALSE(directory);
  CHECK_THAT(directory.error().what, Catch::Contains("directory"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("scenario: peek_protocol reads only the protocol key", "[scenario]") {
  CHECK(peek_protocol("protocol: raft\nfaults: [garbage that the full parser rejects]\n", "") ==
        "raft");
  auto missing = peek_protocol("name: x\n", "f.yaml");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().where == "f.yaml: protocol");
  CHECK_THAT(missing.error().what, Catch::Contains("missing"));
  CHECK_FALSE(peek_protocol("[1, 2]", ""));
  CHECK_FALSE(peek_protocol("protocol: [a]", ""));
}

TEST_CASE("scenario: anchors and aliases reuse settings", "[scenario]") {
  auto s = parse_scenario(R"(name: m
protocol: p
cluster: { nodes: 3 }
network:
  links:
    - &slow { from: n0, to: n1, latency: { fixed: 80ms } }
    - *slow
)",
                          "", {});
  REQUIRE(s);
  REQUIRE(s->network.links.size() == 2);
  CHECK(s->network.links[1].settings.latency == s->network.links[0].settings.latency);
  CHECK(s->network.links[1].from[0].path == "network.links[1].from");
}

TEST_CASE("scenario: the DESIGN.md section 7 example parses", "[scenario]") {
  auto s =
      parse_scenario(R"(name: raft_leader_isolated
protocol: raft
cluster: { nodes: 5, config: { election_timeout: [150ms, 300ms], heartbeat: 50ms } }
network: { latency: { uniform: [1ms, 10ms] }, drop: 1/100, duplicate: 1/1000 }
workload: { clients: 3, requests: 200, mix: { put: 1/2, get: 1/2 }, keys: 8 }
faults:
  - { at: 2s, partition: [[leader], [rest]] }
  - { at: 6s, heal: all }
run: { until: 20s, converge_within: 5s }
checks: [election_safety, log_matching, linearizable, converged]
expect: { failover: { p99: "< 600ms" } }
)",
                     "scenarios/raft/leader_isolated.yaml", {"leader", "follower", "candidate"});
  if (!s) FAIL(s.error().to_string());
  CHECK(s->source_path == "scenarios/raft/leader_isolated.yaml");
  CHECK(s->node_names.size() == 5);
  CHECK(s->network.duplicate == Ratio{1, 1000});
  CHECK(s->run.until == 20_s);
  CHECK(std::get<Partition>(s->faults[0].action).groups[0][0].text == "leader");
  CHECK(s->expectations.at(0).metric == "failover");
}
