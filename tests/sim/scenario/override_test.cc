// apply_override: `--set key.path=value` edits of a ConfigTree.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "sim/scenario/parse.h"

namespace {
using namespace faultline;
using namespace faultline::scenario;
using Kind = ConfigTree::Kind;

ConfigTree config_of(std::string_view yaml) {
  auto s = parse_scenario(yaml, "", {});
  REQUIRE(s);
  return s->config;
}
}  // namespace

TEST_CASE("scenario: apply_override replaces an existing scalar", "[scenario][override]") {
  ConfigTree config = config_of(
      "name: x\nprotocol: p\ncluster:\n  nodes: 2\n  config: { bug: none, timeout: 1s }\n");
  REQUIRE(apply_override(config, "bug=commit_on_majority"));
  CHECK(config.find("bug")->scalar == "commit_on_majority");
  CHECK(config.find("bug")->path == "cluster.config.bug");
  CHECK(config.find("bug")->line == 0);
  CHECK(config.find("timeout")->line == 5);  // untouched keys keep their lines
  CHECK(config.entries.size() == 2);
}

TEST_CASE("scenario: apply_override creates missing maps and parses YAML values",
          "[scenario][override]") {
  ConfigTree config = config_of("name: x\nprotocol: p\ncluster: { nodes: 2 }\n");
  REQUIRE(config.kind == Kind::null);
  REQUIRE(apply_override(config, " election.timeout = [150ms, 300ms] "));
  REQUIRE(config.kind == Kind::map);
  const ConfigTree& timeout = *config.find("election")->find("timeout");
  CHECK(timeout.kind == Kind::list);
  CHECK(timeout.path == "cluster.config.election.timeout");
  CHECK(timeout.items.at(1).path == "cluster.config.election.timeout[1]");
  CHECK(timeout.items.at(1).scalar == "300ms");
  REQUIRE(apply_override(config, "election.timeout[0]=100ms"));
  CHECK(config.find("election")->find("timeout")->items.at(0).scalar == "100ms");
}

TEST_CASE("scenario: apply_override rejects bad syntax and leaves the tree unchanged",
          "[scenario][override]") {
  ConfigTree config =
      config_of("name: x\nprotocol: p\ncluster:\n  nodes: 2\n  config: { bug: none, list: [1] }\n");
  const std::vector<std::pair<std::string, std::string>> bad{
      {"bug", "expected key=value"},
      {"=x", "missing the key"},
      {"bug=", "missing the value"},
      {"a..b=1", "empty key name"},
      {"bug.deeper=1", "'cluster.config.bug' is a scalar, not a map"},
      {"list[3]=1", "has 1 items, no [3]"},
      {"list[x]=1", "list index"},
      {"bug[0]=1", "not a list"},
      {"b ug=1", "expected [index]"},
      {"bug=[unclosed", "bad value"},
  };
  for (const auto& [assignment, fragment] : bad) {
    INFO(assignment);
    const ConfigTree before = config;
    auto result = apply_override(config, assignment);
    REQUIRE_FALSE(result);
    CHECK(result.error().where == "--set '" + assignment + "'");
    CHECK_THAT(result.error().what, Catch::Contains(fragment));
    CHECK(config.entries.size() == before.entries.size());
    CHECK(config.find("bug")->scalar == "none");
  }
}
