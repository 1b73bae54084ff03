// CI-shaped output of `run`: the JUnit writer and the determinism self-check, on values built by
// hand (ci_output_test.sh runs them through the command line). The determinism check is trusted
// because it reports two runs of one seed that differ: the simulator itself never gives such a
// pair, so the pair is made here.
#include <catch2/catch.hpp>

#include "tools/faultline/junit.h"
#include "tools/faultline/report.h"

namespace faultline::cli {
namespace {

RunOutcome outcome(std::uint64_t seed, std::uint64_t fingerprint, std::uint64_t events) {
  RunOutcome o;
  o.seed = seed;
  o.fingerprint = fingerprint;
  o.events = events;
  return o;
}

}  // namespace

TEST_CASE("determinism_difference names the seed and both fingerprints") {
  const RunOutcome first = outcome(7, 0xabc, 100);
  CHECK_FALSE(determinism_difference(first, first).has_value());
  const auto difference = determinism_difference(first, outcome(7, 0xabd, 101));
  REQUIRE(difference.has_value());
  CHECK(*difference ==
        "seed 7: fingerprint 0000000000000abc then 0000000000000abd, events 100 then 101, "
        "passed then passed");
}

TEST_CASE("a wall-time or memory stop is not compared, an event-budget stop is") {
  RunOutcome stopped = outcome(3, 1, 10);
  stopped.status = RunStatus::budget_exceeded;
  stopped.budget_stop = BudgetStop{"wall time", "passed 1s"};
  CHECK_FALSE(determinism_difference(stopped, outcome(3, 2, 20)).has_value());
  stopped.budget_stop = BudgetStop{"events", "handled 10"};
  CHECK(determinism_difference(stopped, outcome(3, 2, 20)).has_value());
}

TEST_CASE("a nondeterministic seed makes the sweep exit 2 even when every run passed") {
  SeedsSummary summary;
  summary.outcomes = {outcome(1, 1, 1), outcome(2, 2, 2)};
  CHECK(seeds_exit_code(summary) == 0);
  summary.determinism_checked = true;
  summary.nondeterminism = {"seed 2: ..."};
  CHECK(seeds_exit_code(summary) == 2);
}

TEST_CASE("JUnit XML escapes names and messages and counts failures and errors") {
  const std::vector<JunitCase> cases = {
      {"ok <1>", "faultline.run.raft", JunitCase::Result::passed, "", ""},
      {"bad", "c", JunitCase::Result::failure, "a \"quoted\" & <tagged>\x01", "repro: x --y 'z'"},
      {"stopped", "c", JunitCase::Result::error, "events budget", ""}};
  CHECK(junit_xml("faultline run", cases) ==
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<testsuite name=\"faultline run\" tests=\"3\" failures=\"1\" errors=\"1\">\n"
        "  <testcase name=\"ok &lt;1&gt;\" classname=\"faultline.run.raft\"/>\n"
        "  <testcase name=\"bad\" classname=\"c\">\n"
        "    <failure message=\"a &quot;quoted&quot; &amp; &lt;tagged&gt;?\">repro: x --y "
        "&apos;z&apos;</failure>\n"
        "  </testcase>\n"
        "  <testcase name=\"stopped\" classname=\"c\">\n"
        "    <error message=\"events budget\"></error>\n"
        "  </testcase>\n"
        "</testsuite>\n");
}

}  // namespace faultline::cli
