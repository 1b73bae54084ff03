// Ping's checks earn their trust by failing: each catches bug forget_on_restart on its own (the
// other deselected), and none fails on the correct protocol over the same seeds.
#include <catch2/catch.hpp>

#include <string>

#include "checkers/ping/binding.h"
#include "sim/engine/load_scenario.h"
#include "sim/scenario/parse.h"

using namespace faultline;

namespace {

// crash_restart.yaml for one seed, with only `check` selected.
RunOutcome run_with_only(const std::string& check, const std::string& bug, std::uint64_t seed) {
  const std::string path = std::string(FAULTLINE_SOURCE_DIR) + "/scenarios/ping/crash_restart.yaml";
  auto parsed = scenario::load_scenario(path, ping::Ping::role_names());
  REQUIRE(parsed.has_value());
  parsed->checks = {check};
  REQUIRE(scenario::apply_override(parsed->config, "bug=" + bug).has_value());
  auto loaded = bind_scenario<ping::Ping>(std::move(*parsed), ping::check_suite({}));
  REQUIRE(loaded.has_value());
  const auto suite = ping::check_suite(loaded->config);
  RunOptions options;
  options.seed = seed;
  return run_simulation(*loaded, suite, options);
}

bool failed(const RunOutcome& outcome, const std::string& check) {
  for (const auto& verdict : outcome.verdicts)
    if (verdict.name == check && !verdict.passed) return true;
  return false;
}

}  // namespace

TEST_CASE("ping: each check alone catches forget_on_restart and passes the correct protocol") {
  for (const std::string check : {"count_durable", "counts_monotone"}) {
    INFO(check);
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
      INFO("seed " << seed);
      const RunOutcome buggy = run_with_only(check, "forget_on_restart", seed);
      CHECK(buggy.status == RunStatus::safety_violation);
      CHECK(failed(buggy, check));
      const RunOutcome correct = run_with_only(check, "none", seed);
      CHECK(correct.status == RunStatus::passed);
    }
  }
}
