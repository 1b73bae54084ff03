// Swarm profiles (sim/scenario/swarm.h): malformed profiles give key paths and lines, draw
// expressions draw within their ranges, a seed draws the same scenario every time, the swarm
// rule enables a subset of kinds (at least one) and `swarm: false` all of them, probes meet every
// alternative, and the text a draw is written as parses back as a scenario.
#include <set>

#include <catch2/catch.hpp>

#include "sim/scenario/parse.h"
#include "sim/scenario/swarm.h"

namespace {

using namespace faultline;
using namespace faultline::scenario;

const std::vector<std::string> kRoles{"leader", "follower", "candidate"};

// Lines 1-3; a case appends from line 4 on.
const std::string kHeader = "name: p\nprotocol: raft\ncluster: { nodes: 3 }\n";

SwarmProfile profile_of(const std::string& text) {
  auto profile = parse_swarm_profile(text, "p.yaml", kRoles);
  INFO((profile ? "" : profile.error().to_string()));
  REQUIRE(profile);
  return std::move(*profile);
}

DrawnScenario drawn_of(const SwarmProfile& profile, std::uint64_t seed) {
  auto drawn = draw_scenario(profile, seed);
  INFO((drawn ? "" : drawn.error().to_string()));
  REQUIRE(drawn);
  return std::move(*drawn);
}

struct BadProfile {
  std::string label;
  std::string text;
  std::string where;
  int line;
  std::string what_fragment;
};

TEST_CASE("swarm: a malformed profile names the key path and line", "[scenario][swarm]") {
  const std::string h = kHeader;
  const std::vector<BadProfile> cases{
      {"unknown top-level key", h + "nemsis: { kinds: [crash] }\n", "p.yaml: nemsis", 4,
       "unknown key 'nemsis'"},
      {"expect in a profile", h + "expect:\n  failover: { max: \"< 1s\" }\n", "p.yaml: expect", 4,
       "a profile has no expect"},
      {"run.seed in a profile", h + "run:\n  until: 5s\n  seed: 3\n", "p.yaml: run.seed", 6,
       "a profile has no run.seed"},
      {"bug in cluster.config",
       "name: p\nprotocol: raft\ncluster:\n  nodes: 3\n  config: { bug: read_without_quorum }\n",
       "p.yaml: cluster.config.bug", 5, "top-level key bug"},
      {"node names", "name: p\nprotocol: raft\ncluster:\n  nodes: [a, b]\n",
       "p.yaml: cluster.nodes", 4, "a profile draws a node count"},
      {"unknown fault kind", h + "faults:\n  kinds:\n    crsh: {}\n", "p.yaml: faults.kinds.crsh",
       6, "unknown fault kind 'crsh' (expected one of: crash, restart,"},
      {"unknown fault parameter", h + "faults:\n  kinds:\n    crash: { target: any }\n",
       "p.yaml: faults.kinds.crash.target", 6,
       "unknown key 'target' (expected one of: targets, restart_after)"},
      {"faults as a list", h + "faults:\n  - { at: 1s, crash: n0 }\n", "p.yaml: faults", 4,
       "a profile's faults is a map of count and kinds"},
      {"input without bodies", h + "faults:\n  kinds:\n    input: {}\n",
       "p.yaml: faults.kinds.input.bodies", 6, "required key 'bodies' is missing"},
      {"empty one_of", h + "workload:\n  clients: { one_of: [] }\n",
       "p.yaml: workload.clients.one_of", 5, "non-empty list of choices"},
      {"range of one bound", h + "workload:\n  clients: { range: [1] }\n",
       "p.yaml: workload.clients.range", 5, "expected [low, high]"},
      {"inverted range", h + "run:\n  until: { range: [8s, 4s] }\n", "p.yaml: run.until.range", 5,
       "range low '8s' is above high '4s'"},
      {"mixed range bounds", h + "run:\n  until: { range: [1, 4s] }\n",
       "p.yaml: run.until.range[0]", 5, "expected a duration like 150ms"},
      {"ratio off the 1/10000 grid", h + "network:\n  drop: { range: [0, 1/3] }\n",
       "p.yaml: network.drop.range[1]", 5, "steps of 1/10000"},
      {"draw expression with two keys",
       h + "workload:\n  clients: { one_of: [1], range: [1, 2] }\n",
       "p.yaml: workload.clients.range", 5, "a draw expression has one key"},
      {"nemesis kind", h + "nemesis:\n  kinds: [crash, explode]\n", "p.yaml: nemesis.kinds[1]", 5,
       "unknown value 'explode'"},
      {"two rest kinds",
       h + "operations:\n  kinds:\n    put: { mix: rest }\n    get: { mix: rest }\n",
       "p.yaml: operations.kinds.get.mix", 7, "both have mix 'rest'"},
      {"swarm not a bool", h + "swarm: maybe\n", "p.yaml: swarm", 4, "expected true or false"},
  };
  for (const BadProfile& c : cases) {
    INFO(c.label);
    auto profile = parse_swarm_profile(c.text, "p.yaml", kRoles);
    REQUIRE_FALSE(profile);
    CHECK(profile.error().where == c.where);
    CHECK(profile.error().line == c.line);
    CHECK_THAT(profile.error().what, Catch::Contains(c.what_fragment));
  }
}

TEST_CASE("swarm: ranges draw within their bounds, on their grid", "[scenario][swarm]") {
  const SwarmProfile profile = profile_of(
      kHeader +
      "network:\n  drop: { range: [0.5%, 2%] }\n  latency: { fixed: { range: [1ms, 3ms] } }\n"
      "workload:\n  clients: { range: [2, 4] }\n  keys: { one_of: [1, 7] }\n"
      "run:\n  until: { range: [1s, 2s] }\n");
  std::set<std::string> clients;
  std::set<std::string> keys;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    const DrawnScenario d = drawn_of(profile, seed);
    const ConfigTree& w = *d.tree.find("workload");
    clients.insert(w.find("clients")->scalar);
    keys.insert(w.find("keys")->scalar);
    const Duration until = *parse_duration(d.tree.find("run")->find("until")->scalar);
    CHECK(until >= Duration::from_seconds(1));
    CHECK(until <= Duration::from_seconds(2));
    CHECK(until.nanoseconds % 1'000'000 == 0);  // whole milliseconds, as the bounds are
    const Ratio drop = *parse_probability(d.tree.find("network")->find("drop")->scalar);
    CHECK_FALSE(drop < Ratio{5, 1000});
    CHECK_FALSE(Ratio{2, 100} < drop);
    CHECK(d.tree.find("network")->find("drop")->scalar.ends_with("%"));
    CHECK(d.tree.find("run")->find("seed")->scalar == std::to_string(seed));
  }
  CHECK(clients == std::set<std::string>{"2", "3", "4"});
  CHECK(keys == std::set<std::string>{"1", "7"});
}

const std::string kKinds =
    "faults:\n  count: { range: [0, 3] }\n  kinds:\n    crash: {}\n    partition: {}\n"
    "    clog: {}\nnemesis:\n  kinds: [crash, restart]\n"
    "operations:\n  kinds:\n    get: { mix: read_percent }\n    cas: { mix: cas_percent }\n"
    "    put: { mix: rest }\n";

TEST_CASE("swarm: a seed draws the same scenario every time", "[scenario][swarm]") {
  const SwarmProfile profile = profile_of(kHeader + kKinds);
  for (std::uint64_t seed = 1; seed <= 30; ++seed)
    CHECK(scenario_yaml(drawn_of(profile, seed), {}) == scenario_yaml(drawn_of(profile, seed), {}));
  CHECK(scenario_yaml(drawn_of(profile, 1), {}) != scenario_yaml(drawn_of(profile, 2), {}));
}

TEST_CASE("swarm: each seed enables a subset of kinds, at least one, and swarm: false all",
          "[scenario][swarm]") {
  const SwarmProfile profile = profile_of(kHeader + kKinds);
  std::set<std::vector<std::string>> fault_sets;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    const DrawnScenario d = drawn_of(profile, seed);
    CHECK_FALSE(d.faults_enabled.empty());
    CHECK_FALSE(d.operations_enabled.empty());
    fault_sets.insert(d.faults_enabled);
    // The mix of the enabled kinds sums to 100; a disabled kind gets 0.
    const ConfigTree& w = *d.tree.find("workload");
    const int read = std::stoi(w.find("read_percent")->scalar);
    const int cas = std::stoi(w.find("cas_percent")->scalar);
    const auto on = [&](const std::string& k) {
      return std::ranges::find(d.operations_enabled, k) != d.operations_enabled.end();
    };
    CHECK((read > 0) == on("get"));
    CHECK((cas > 0) == on("cas"));
    CHECK(read + cas <= 100);
    if (!on("put")) CHECK(read + cas == 100);
  }
  CHECK(fault_sets.size() == 31);  // every non-empty subset of 5 features appears

  const SwarmProfile all = profile_of(kHeader + "swarm: false\n" + kKinds);
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const DrawnScenario d = drawn_of(all, seed);
    CHECK(d.faults_enabled == std::vector<std::string>{"crash", "partition", "clog",
                                                       "nemesis.crash", "nemesis.restart"});
    CHECK(d.operations_enabled == std::vector<std::string>{"get", "cas", "put"});
  }
}

TEST_CASE("swarm: a drawn scenario's text parses back as a scenario", "[scenario][swarm]") {
  const SwarmProfile profile = profile_of(
      kHeader +
      "network:\n  latency: { one_of: [{ uniform: [1ms, { range: [2ms, 9ms] }] }, "
      "{ exponential: 3ms }] }\n" +
      "faults:\n  count: { range: [2, 6] }\n  kinds:\n    crash: { restart_after: 500ms }\n"
      "    partition: { shapes: { one_of: [one, minority, halves, random, leader] } }\n"
      "    flap: {}\n    one_way: { heal_after: 1s }\n    network: { drop: { range: [1%, 9%] } }\n"
      "run: { until: { range: [2s, 5s] } }\n");
  for (std::uint64_t seed = 1; seed <= 100; ++seed) {
    const DrawnScenario d = drawn_of(profile, seed);
    const std::string text = scenario_yaml(d, {"a header", "of two lines"});
    CHECK(text.starts_with("# a header\n# of two lines\nname: p_seed_"));
    auto from_text = parse_scenario(text, "drawn", kRoles);
    INFO(text);
    REQUIRE(from_text);
    auto from_tree = parse_scenario_tree(d.tree, "drawn", kRoles);
    REQUIRE(from_tree);
    CHECK(from_text->faults.size() == from_tree->faults.size());
    CHECK(from_text->run.seed == seed);
    CHECK(from_text->network.latency == from_tree->network.latency);
    for (std::size_t i = 0; i < from_text->faults.size(); ++i) {
      CHECK(from_text->faults[i].at == from_tree->faults[i].at);
      CHECK(from_text->faults[i].at < Time{from_text->run.until.nanoseconds});
      CHECK(from_text->faults[i].action.index() == from_tree->faults[i].action.index());
    }
  }
}

TEST_CASE("swarm: a network change with restore_after restores the drawn network",
          "[scenario][swarm]") {
  const std::string faults =
      "faults:\n  count: 1\n  kinds:\n    network: { drop: 50%, latency: { fixed: 9ms }, "
      "restore_after: 100ms }\nrun: { until: 10s }\n";
  const SwarmProfile with_network =
      profile_of(kHeader + "network: { drop: 1%, latency: { fixed: 3ms } }\n" + faults);
  const SwarmProfile without = profile_of(kHeader + faults);
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const DrawnScenario changed = drawn_of(with_network, seed);
    const ConfigTree& drawn = *changed.tree.find("faults");
    REQUIRE(drawn.items.size() == 2);
    CHECK(to_flow_yaml(*drawn.items[0].find("network")) == "{drop: 50%, latency: {fixed: 9ms}}");
    CHECK(to_flow_yaml(*drawn.items[1].find("network")) == "{drop: 1%, latency: {fixed: 3ms}}");
    const Duration first = *parse_duration(drawn.items[0].find("at")->scalar);
    const Duration second = *parse_duration(drawn.items[1].find("at")->scalar);
    CHECK(second - first == Duration::from_milliseconds(100));
    // With no network section, the scenario defaults come back.
    const DrawnScenario restored = drawn_of(without, seed);
    const ConfigTree& defaults = *restored.tree.find("faults");
    REQUIRE(defaults.items.size() == 2);
    CHECK(to_flow_yaml(*defaults.items[1].find("network")) ==
          "{drop: 0, latency: {uniform: [1ms, 10ms]}}");
  }
}

TEST_CASE("swarm: probes meet every alternative and carry the profile's lines",
          "[scenario][swarm]") {
  std::set<std::string> clients;
  std::set<std::string> keys;
  const auto check = [&](const ConfigTree& tree) -> Result<void> {
    const ConfigTree& c = *tree.find("workload")->find("clients");
    clients.insert(c.scalar);
    keys.insert(tree.find("workload")->find("keys")->scalar);
    if (c.scalar == "oops") return c.error("not a number");
    return {};
  };
  const std::string workload = "workload:\n  keys: { range: [1, 3] }\n  clients: ";
  REQUIRE(probe_swarm_profile(profile_of(kHeader + workload + "{ one_of: [1, 2, 3] }\n"), check));
  CHECK(clients == std::set<std::string>{"1", "2", "3"});
  CHECK(keys == std::set<std::string>{"1", "3"});  // low and high of the range

  auto bad = probe_swarm_profile(profile_of(kHeader + workload + "{ one_of: [1, oops] }\n"), check);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().where == "workload.clients.one_of[1]");
  CHECK(bad.error().line == 6);
}

}  // namespace

// cluster.clocks in a profile is drawn like any other value, and the drawn scenario carries the
// rates (the scenario parser checks them: a drawn node name must exist).
TEST_CASE("swarm: clock rates are drawn per seed", "[scenario][swarm]") {
  const SwarmProfile profile = profile_of(
      "name: p\nprotocol: raft\ncluster:\n  nodes: 3\n"
      "  clocks: { n1: { rate: { one_of: [1, 101/100, 9/10] } } }\n");
  std::set<std::uint64_t> numerators;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    const DrawnScenario d = drawn_of(profile, seed);
    auto scenario = parse_scenario_tree(d.tree, "drawn", kRoles);
    REQUIRE(scenario);
    REQUIRE(scenario->clock_rates.size() == 3);
    CHECK(scenario->clock_rates[0] == Ratio::one());
    numerators.insert(scenario->clock_rates[1].numerator * 100 /
                      scenario->clock_rates[1].denominator);
  }
  CHECK(numerators == std::set<std::uint64_t>{90, 100, 101});  // every alternative drawn
}
