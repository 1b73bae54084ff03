// 2PC scenario tests through the protocol registry (the same path as `faultline run`): any
// generated fault schedule keeps 2PC's safety properties; the same seed gives the same
// fingerprint. The bug switches are in tests/protocols/two_phase_commit/bug_switches.txt
// (tests/support/bug_switches_test.sh).
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <set>

#include "checkers/two_phase_commit/suite.h"
#include "protocols/two_phase_commit/protocol.h"
#include "sim/engine/load_scenario.h"
#include "tests/support/scenario_gen.h"
#include "tools/faultline/entry.h"

using namespace faultline;

namespace {

std::string scenario_path(const std::string& name) {
  return std::string(FAULTLINE_SOURCE_DIR) + "/scenarios/two_phase_commit/" + name + ".yaml";
}

cli::BoundScenario load(const std::string& name, const std::string& bug) {
  auto bound = cli::load_scenario_file(scenario_path(name), {"bug=" + bug});
  if (!bound) FAIL(bound.error().to_string());
  return std::move(*bound);
}

}  // namespace

TEST_CASE("a failing seed reproduces its fingerprint and its violation") {
  const auto bound = load("participant_votes_no", "commit_on_majority");
  RunOptions options;
  options.seed = 3;
  const RunOutcome a = bound.run(options);
  const RunOutcome b = bound.run(options);
  CHECK(a.status == RunStatus::safety_violation);
  CHECK(a.fingerprint == b.fingerprint);
  CHECK(a.failure == b.failure);
}

namespace {

// The 2PC run for a generated scenario: default config (optionally a bug), default workload.
RunOutcome run_two_phase_commit(scenario::Scenario s, std::uint64_t seed,
                                two_phase_commit::Bug bug) {
  s.protocol = "two_phase_commit";
  LoadedScenario<TwoPhaseCommit> loaded;
  loaded.scenario = std::move(s);
  loaded.config.bug = bug;
  const auto suite = two_phase_commit::check_suite(loaded.config);
  RunOptions options;
  options.seed = seed;
  options.wire_check = true;
  return run_simulation(loaded, suite, options);
}

}  // namespace

TEST_CASE("any generated fault schedule keeps the 2PC safety properties") {
  rc::prop("no always-property or history check fails with bug=none", [] {
    auto s = *faultline::testing::gen_scenario(2, 6, Duration::from_seconds(8));
    s.checks = {"atomicity", "agreement", "validity", "durability", "termination"};
    s.run.converge_within = Duration::from_seconds(30);
    const auto seed = *rc::gen::arbitrary<std::uint64_t>();
    const RunOutcome outcome = run_two_phase_commit(s, seed, two_phase_commit::Bug::none);
    RC_ASSERT(outcome.status != RunStatus::safety_violation);
    RC_ASSERT(outcome.status == RunStatus::passed);
  });
}

TEST_CASE("generated 2PC runs reproduce their fingerprint") {
  rc::prop("same seed, same fingerprint", [] {
    auto s = *faultline::testing::gen_scenario(2, 5, Duration::from_seconds(4));
    const auto seed = *rc::gen::arbitrary<std::uint64_t>();
    const RunOutcome a = run_two_phase_commit(s, seed, two_phase_commit::Bug::none);
    const RunOutcome b = run_two_phase_commit(s, seed, two_phase_commit::Bug::none);
    RC_ASSERT(a.fingerprint == b.fingerprint);
    RC_ASSERT(a.events == b.events);
  });
}
