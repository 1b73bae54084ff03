// Malformed scenarios: each error names the exact key path and 1-based line, and says what is
// wrong. This table is the contract of the README's scenario error list.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "sim/scenario/parse.h"

namespace {

using namespace faultline;
using namespace faultline::scenario;

const std::vector<std::string> kRoles{"coordinator", "participant"};

// Lines 1-3; the cases append from line 4 on.
constexpr std::string_view kHeader = "name: x\nprotocol: two_phase_commit\ncluster: { nodes: 3 }\n";

struct BadCase {
  std::string label;
  std::string text;
  std::string where;
  int line;
  std::string what_fragment;
};

const std::vector<BadCase>& bad_cases() {
  const std::string h(kHeader);
  static const std::vector<BadCase> cases{
      {"bad YAML syntax", h + "faults: [\n  { at: 1s, crash: n0 }\n", "", 6, "invalid YAML"},
      {"tab-indented garbage", "name: x\n\tprotocol: p\n", "", 2, "invalid YAML"},
      {"unknown top-level key", h + "nemsis: { kinds: [crash] }\n", "nemsis", 4,
       "unknown key 'nemsis' (expected one of: name,"},
      {"unknown nested key", h + "run:\n  until: 5s\n  untill: 6s\n", "run.untill", 6,
       "unknown key 'untill' (expected one of: until, converge_within, restart_crashed, seed)"},
      {"unknown link key", h + "network:\n  links:\n    - { from: n0, to: n1, dorp: 1/10 }\n",
       "network.links[0].dorp", 6, "unknown key 'dorp'"},
      {"list where map expected", h + "run: [10s]\n", "run", 4,
       "expected a map with keys until, converge_within, restart_crashed, seed, got a list"},
      {"map where list expected", h + "faults: { at: 1s }\n", "faults", 4,
       "expected a list of faults, got a map"},
      {"negative duration", h + "faults:\n  - { at: -1s, crash: n0 }\n", "faults[0].at", 5,
       "duration must not be negative"},
      {"duration without unit", h + "faults:\n  - { at: 5, crash: n0 }\n", "faults[0].at", 5,
       "expected a duration like 150ms, 2s or 1.5s, got '5'"},
      {"probability 3/2", h + "network:\n  drop: 3/2\n", "network.drop", 5,
       "probability must be at most 1, got '3/2'"},
      {"probability in a link",
       h + "network:\n  links:\n    - from: n0\n      to: n1\n      drop: 150%\n",
       "network.links[0].drop", 8, "at most 1"},
      {"unknown node name", h + "faults:\n  - { at: 1s, crash: [n0, n7] }\n", "faults[0].crash[1]",
       5,
       "unknown node 'n7' (expected a node (n0..n2), a role (coordinator, participant), or all, "
       "rest, any)"},
      {"unknown node in a link",
       h + "network:\n  links:\n    - { from: n0, to: [n1, leader], drop: 1 }\n",
       "network.links[0].to[1]", 6, "unknown node 'leader'"},
      {"fault time past run.until",
       h + "run: { until: 5s }\nfaults:\n  - { at: 1s, crash: n0 }\n  - { at: 5s, crash: n1 }\n",
       "faults[1].at", 7, "fault at 5s is not before run.until (5s)"},
      {"fault time range past run.until",
       h + "run: { until: 5s }\nfaults:\n  - { at: [4s, 5s], crash: n0 }\n", "faults[0].at", 6,
       "fault time range [4s, 5s] does not end before run.until (5s)"},
      {"inverted fault time range", h + "faults:\n  - { at: [2s, 1s], crash: n0 }\n",
       "faults[0].at", 5, "range minimum 2s exceeds maximum 1s"},
      {"fault time range of three", h + "faults:\n  - { at: [1s, 2s, 3s], crash: n0 }\n",
       "faults[0].at", 5, "expected a duration range like [150ms, 300ms]"},
      {"fault time range without unit", h + "faults:\n  - { at: [1s, 2], crash: n0 }\n",
       "faults[0].at[1]", 5, "expected a duration like 150ms, 2s or 1.5s, got '2'"},
      {"empty partition group", h + "faults:\n  - { at: 1s, partition: [[n0], []] }\n",
       "faults[0].partition[1]", 5, "partition group is empty"},
      {"partition with one group", h + "faults:\n  - { at: 1s, partition: [[n0, n1]] }\n",
       "faults[0].partition", 5, "at least two groups"},
      {"node in two groups", h + "faults:\n  - { at: 1s, partition: [[n0, n1], [n1, n2]] }\n",
       "faults[0].partition[1][0]", 5, "'n1' appears in more than one group"},
      {"two action keys in one fault", h + "faults:\n  - at: 1s\n    crash: n0\n    pause: n1\n",
       "faults[0].pause", 7, "a fault has exactly one action, got both 'crash' and 'pause'"},
      {"fault without an action", h + "faults:\n  - { at: 1s }\n", "faults[0]", 5,
       "a fault needs one action"},
      {"fault without at", h + "faults:\n  - { crash: n0 }\n", "faults[0].at", 5,
       "required key 'at' is missing"},
      {"unknown fault key", h + "faults:\n  - { at: 1s, kill: n0 }\n", "faults[0].kill", 5,
       "unknown key 'kill' (expected 'at' and one of: crash, restart,"},
      {"heal something else", h + "faults:\n  - { at: 1s, heal: n0 }\n", "faults[0].heal", 5,
       "expected 'all'"},
      {"input with two kinds",
       h + "faults:\n  - { at: 1s, input: { node: n0, begin: {}, abort: {} } }\n",
       "faults[0].input.abort", 5, "an input has one kind"},
      {"clog without for", h + "faults:\n  - { at: 1s, clog: { from: n0, to: n1 } }\n",
       "faults[0].clog.for", 5, "required key 'for' is missing"},
      {"zero flap period",
       h + "faults:\n  - { at: 1s, flap: { groups: [[n0], [rest]], period: 0, for: 1s } }\n",
       "faults[0].flap.period", 5, "must be greater than 0"},
      {"empty network change", h + "faults:\n  - { at: 1s, network: {} }\n", "faults[0].network", 5,
       "expected at least one of: latency,"},
      {"duplicate node names", "name: x\nprotocol: p\ncluster:\n  nodes: [a, b, c, b]\n",
       "cluster.nodes[3]", 4, "duplicate node name 'b' (also cluster.nodes[1])"},
      {"node named like a role", "name: x\nprotocol: p\ncluster:\n  nodes: [a, coordinator]\n",
       "cluster.nodes[1]", 4, "is a role"},
      {"node named all", "name: x\nprotocol: p\ncluster:\n  nodes: [a, all]\n", "cluster.nodes[1]",
       4, "reserved"},
      {"too many nodes", "name: x\nprotocol: p\ncluster:\n  nodes: 4194305\n", "cluster.nodes", 4,
       "expected a node count (1 to 4194304)"},
      {"zero nodes", "name: x\nprotocol: p\ncluster: { nodes: 0 }\n", "cluster.nodes", 3,
       "got '0'"},
      {"missing cluster.nodes", "name: x\nprotocol: p\ncluster:\n  config: {}\n", "cluster.nodes",
       3, "required key 'nodes' is missing"},
      {"missing name", "protocol: p\ncluster: { nodes: 1 }\n", "name", 1,
       "required key 'name' is missing"},
      {"duplicate YAML keys", h + "run:\n  until: 5s\n  until: 6s\n", "run.until", 6,
       "duplicate key 'until' (first given at line 5)"},
      {"duplicate top-level keys", h + "name: y\n", "name", 4,
       "duplicate key 'name' (first given at line 1)"},
      {"two latency models", h + "network:\n  latency: { fixed: 1ms, uniform: [1ms, 2ms] }\n",
       "network.latency", 5, "exactly one latency model"},
      {"inverted uniform range", h + "network:\n  latency: { uniform: [10ms, 1ms] }\n",
       "network.latency.uniform", 5, "exceeds maximum"},
      {"pareto cap below scale", h + "network:\n  latency: { pareto: { scale: 5ms, cap: 1ms } }\n",
       "network.latency.pareto.cap", 5, "below scale"},
      {"bimodal slow below fast",
       h + "network:\n  latency: { bimodal: { fast: 5ms, slow: 1ms, slow_chance: 1/2 } }\n",
       "network.latency.bimodal.slow", 5, "below fast"},
      {"bimodal chance above 1",
       h + "network:\n  latency: { bimodal: { fast: 5ms, slow: 9ms, slow_chance: 3/2 } }\n",
       "network.latency.bimodal.slow_chance", 5, "at most 1"},
      {"bimodal without its chance",
       h + "network:\n  latency: { bimodal: { fast: 5ms, slow: 9ms } }\n",
       "network.latency.bimodal", 5, "slow_chance"},
      {"zero queue capacity", h + "network: { queue_capacity: 0 }\n", "network.queue_capacity", 4,
       "at least 1"},
      {"link without settings", h + "network:\n  links: [{ from: n0, to: n1 }]\n",
       "network.links[0]", 5, "needs at least one of"},
      {"nemesis stop past until", h + "run: { until: 5s }\nnemesis: { kinds: [crash], stop: 6s }\n",
       "nemesis.stop", 5, "after run.until"},
      {"nemesis unknown kind", h + "nemesis: { kinds: [crash, explode] }\n", "nemesis.kinds[1]", 4,
       "unknown value 'explode'"},
      {"nemesis zero interval", h + "nemesis: { kinds: [crash], interval: [0, 1s] }\n",
       "nemesis.interval", 4, "greater than 0"},
      {"unknown statistic", h + "expect:\n  latency: { p95: \"< 1s\" }\n", "expect.latency.p95", 5,
       "unknown key 'p95' (expected one of: min, p50, p90, p99, max, count)"},
      {"bad bound", h + "expect:\n  latency: { p99: \"about 1s\" }\n", "expect.latency.p99", 5,
       "expected a bound like \"< 600ms\""},
      {"count with a duration", h + "expect:\n  commits: { count: \">= 1s\" }\n",
       "expect.commits.count", 5, "count takes a plain integer"},
      {"bad bool", h + "run: { restart_crashed: yes }\n", "run.restart_crashed", 4,
       "expected true or false, got 'yes'"},
      {"top level is a list", "- a\n- b\n", "", 1, "expected a map of scenario keys"},
      {"top level is a scalar", "just some words\n", "", 1, "expected a map of scenario keys"},
      {"empty file", "", "", 0, "the document is empty"},
      {"only comments", "# nothing here\n", "", 0, "the document is empty"},
      {"two documents", "name: x\n---\nname: y\n", "", 2, "single YAML document"},
      {"NUL byte", std::string("name: x\nprotocol: p\0\n", 21), "", 2, "NUL byte"},
      {"invalid UTF-8", "name: x\nprotocol: \xff\xfe\n", "", 2, "not valid UTF-8"},
      {"merge key", h + "base: &b { until: 1s }\nrun: { <<: *b }\n", "run.<<", 5,
       "YAML merge keys ('<<') are not supported"},
      {"merge key in a map", h + "run: { <<: { until: 1s } }\n", "run.<<", 4, "merge keys"},
      {"recursive alias", "a: &x [1, *x]\n", "a[1]", 1, "recursive"},
      {"unknown alias", "a: *nope\n", "", 1, "invalid YAML"},
      {"list as a key", "? [a]\n: 1\n", "", 1, "map keys must be plain strings"},
      // Values that cannot make sense (limits.h; README "Floors and maxima").
      {"flap period below the floor",
       h + "faults:\n  - { at: 1s, flap: { groups: [[n0], [rest]], period: 1ns, for: 1s } }\n",
       "faults[0].flap.period", 5, "period 1ns is below the floor of 1ms"},
      {"flap toggling too often",
       h + "faults:\n  - { at: 1s, flap: { groups: [[n0], [rest]], period: 1ms, for: 1h } }\n",
       "faults[0].flap.for", 5, "toggles 3600000 times; at most 10000"},
      {"nemesis interval below the floor",
       h + "nemesis: { kinds: [crash], interval: [1ns, 1ns] }\n", "nemesis.interval", 4,
       "the shortest interval 1ns is below the floor of 1ms"},
      {"nemesis drawing too many faults",
       h + "run: { until: 200s }\nnemesis:\n  kinds: [crash]\n  interval: [1ms, 2ms]\n",
       "nemesis.interval", 7,
       "the nemesis may draw 200000 faults in 200s (one per 1ms); at most 100000"},
      {"run.until past a day", h + "run: { until: 1000h }\n", "run.until", 4,
       "must be at most 86400s of simulated time, got 3600000s"},
      {"converge_within 1000h", h + "run: { until: 10s, converge_within: 1000h }\n",
       "run.converge_within", 4, "converge_within 3600000s is more than 100 times run.until (10s)"},
      {"converge_within just over 100 times",
       h + "run:\n  until: 100ms\n  converge_within: 10001ms\n", "run.converge_within", 6,
       "more than 100 times run.until (100ms)"},
      // Long values are quoted cut to 80 bytes and their length.
      {"a long node count",
       "name: x\nprotocol: p\ncluster: { nodes: " + std::string(5000, '9') + " }\n",
       "cluster.nodes", 3, "got '" + std::string(80, '9') + "... (5000 bytes)'"},
      {"a long unknown node",
       h + "faults:\n  - { at: 1s, crash: " + std::string(3000, 'z') + " }\n", "faults[0].crash", 5,
       "unknown node '" + std::string(80, 'z') + "... (3000 bytes)' (expected"},
      {"a long duration", h + "run: { until: " + std::string(2'000'000, '5') + " }\n", "run.until",
       4, "got '" + std::string(80, '5') + "... (2000000 bytes)'"},
      {"a long bound", h + "expect:\n  x: { p99: \"< " + std::string(500, 'q') + "\" }\n",
       "expect.x.p99", 5, "got '< " + std::string(78, 'q') + "... (502 bytes)'"},
      {"a long duplicate key",
       h + "run:\n  " + std::string(100, 'k') + ": 1\n  " + std::string(100, 'k') + ": 2\n",
       "run." + std::string(76, 'k') + "... (104 bytes)", 6,
       "duplicate key '" + std::string(80, 'k') + "... (100 bytes)' (first given at line 5)"},
      {"a byte-order mark does not shift lines", "\xEF\xBB\xBF" + h + "run: { untill: 1s }\n",
       "run.untill", 4, "unknown key 'untill'"},
  };
  return cases;
}

}  // namespace

namespace {

// The case's text fails to parse, at its key path and line, saying what it should.
void check_bad_case(const BadCase& c) {
  auto parsed = parse_scenario(c.text, "", kRoles);
  REQUIRE_FALSE(parsed);
  INFO(parsed.error().to_string());
  CHECK(parsed.error().where == c.where);
  CHECK(parsed.error().line == c.line);
  CHECK_THAT(parsed.error().what, Catch::Contains(c.what_fragment));
}

}  // namespace

TEST_CASE("scenario: malformed scenarios name the path and line", "[scenario][errors]") {
  for (const BadCase& c : bad_cases()) DYNAMIC_SECTION(c.label) {
      check_bad_case(c);
    }
}

TEST_CASE("scenario: the origin prefixes every error", "[scenario][errors]") {
  auto parsed = parse_scenario(std::string(kHeader) + "faults:\n  - { at: 1s, crash: n9 }\n",
                               "scenarios/x.yaml", kRoles);
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error().where == "scenarios/x.yaml: faults[0].crash");
  CHECK_THAT(parsed.error().to_string(),
             Catch::StartsWith("scenarios/x.yaml: faults[0].crash (line 5): unknown node 'n9'"));

  auto empty = parse_scenario("", "scenarios/empty.yaml", kRoles);
  REQUIRE_FALSE(empty);
  CHECK(empty.error().to_string() == "scenarios/empty.yaml: the document is empty");

  auto syntax = parse_scenario("a: [\n", "s.yaml", kRoles);
  REQUIRE_FALSE(syntax);
  CHECK_THAT(syntax.error().to_string(), Catch::StartsWith("s.yaml (line "));
}

TEST_CASE("scenario: deep nesting and alias bombs fail fast instead of crashing",
          "[scenario][errors]") {
  const std::string deep = "a: " + std::string(100'000, '[') + std::string(100'000, ']') + "\n";
  auto nested = parse_scenario(deep, "", kRoles);
  REQUIRE_FALSE(nested);
  CHECK_THAT(nested.error().what, Catch::Contains("nested deeper than 64 levels"));

  const std::string deep_maps = [] {
    std::string text;
    for (int i = 0; i < 5'000; ++i) text += std::string(static_cast<std::size_t>(i), ' ') + "k:\n";
    return text;
  }();
  CHECK_FALSE(parse_scenario(deep_maps, "", kRoles));

  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    const char prev = static_cast<char>(c - 1);
    bomb += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" +
            prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
            ", *" + prev + "]\n";
  }
  auto expanded = parse_yaml(bomb, "");
  REQUIRE_FALSE(expanded);
  CHECK_THAT(expanded.error().what, Catch::Contains("too large after expanding aliases"));
}

// cluster.clocks: a rate per named node, between 1/2 and 2; each mistake names its key and line.
TEST_CASE("scenario: clock rates are read per node and checked", "[scenario][errors]") {
  const std::string head = "name: x\nprotocol: two_phase_commit\n";
  auto parsed = parse_scenario(
      head + "cluster: { nodes: 3, clocks: { n1: { rate: 101/100 }, n2: { rate: 0.5 } } }\n", "",
      kRoles);
  REQUIRE(parsed);
  REQUIRE(parsed->clock_rates.size() == 3);
  CHECK(parsed->clock_rates[0] == Ratio::one());
  CHECK(parsed->clock_rates[1] == (Ratio{101, 100}));
  CHECK(parsed->clock_rates[2] == (Ratio{1, 2}));
  auto none = parse_scenario(head + "cluster: { nodes: 3 }\n", "", kRoles);
  REQUIRE(none);
  CHECK(none->clock_rates.empty());  // every clock exact: the engine scales nothing
  auto skewed = parse_scenario(
      head + "cluster: { nodes: 2, clocks: { n0: { offset: -250ms }, n1: { offset: 1s } } }\n", "",
      kRoles);
  REQUIRE(skewed);
  CHECK(skewed->clock_rates[0] == Ratio::one());
  CHECK(skewed->clock_offsets[0] == Duration::from_milliseconds(-250));
  CHECK(skewed->clock_offsets[1] == Duration::from_seconds(1));

  const std::vector<BadCase> cases{
      {"a clock for no node", head + "cluster: { nodes: 3, clocks: { n7: { rate: 1 } } }\n",
       "cluster.clocks.n7", 3, "no node is named 'n7'"},
      {"a rate too fast", head + "cluster: { nodes: 3, clocks: { n0: { rate: 3 } } }\n",
       "cluster.clocks.n0.rate", 3, "between 1/2 and 2, got '3'"},
      {"a stopped clock", head + "cluster: { nodes: 3, clocks: { n0: { rate: 0 } } }\n",
       "cluster.clocks.n0.rate", 3, "between 1/2 and 2"},
      {"not a ratio", head + "cluster: { nodes: 3, clocks: { n0: { rate: fast } } }\n",
       "cluster.clocks.n0.rate", 3, ""},
      {"an unknown clock key", head + "cluster: { nodes: 3, clocks: { n0: { skew: 5ms } } }\n",
       "cluster.clocks.n0.skew", 3, "unknown key 'skew' (expected one of: rate, offset)"},
      {"an empty clock", head + "cluster: { nodes: 3, clocks: { n0: {} } }\n", "cluster.clocks.n0",
       3, "expected rate, offset or both"},
      {"an offset beyond a day", head + "cluster: { nodes: 3, clocks: { n0: { offset: -25h } } }\n",
       "cluster.clocks.n0.offset", 3, "within 24h either way, got '-25h'"},
      {"an offset that is no duration",
       head + "cluster: { nodes: 3, clocks: { n0: { offset: soon } } }\n",
       "cluster.clocks.n0.offset", 3, ""},
      {"clocks as a list", head + "cluster: { nodes: 3, clocks: [n0] }\n", "cluster.clocks", 3,
       "expected a map from node names"},
  };
  for (const BadCase& c : cases) DYNAMIC_SECTION(c.label) {
      check_bad_case(c);
    }
}
