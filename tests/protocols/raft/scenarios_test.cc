// Raft scenario tests through the protocol registry (the same path as `faultline run`):
// generated fault schedules never break Raft's safety or linearizability and always converge; a
// seed reproduces its fingerprint; snapshot_install exercises InstallSnapshot. The bug switches
// are in tests/protocols/raft/bug_switches.txt (tests/support/bug_switches_test.sh).
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>

#include "checkers/raft/suite.h"
#include "protocols/raft/protocol.h"
#include "sim/engine/load_scenario.h"
#include "tests/support/scenario_gen.h"
#include "tools/faultline/entry.h"

using namespace faultline;

namespace {

cli::BoundScenario load(const std::string& name, const std::string& bug) {
  const std::string path = std::string(FAULTLINE_SOURCE_DIR) + "/scenarios/raft/" + name + ".yaml";
  auto bound = cli::load_scenario_file(path, {"bug=" + bug});
  if (!bound) FAIL(bound.error().to_string());
  return std::move(*bound);
}

}  // namespace

TEST_CASE("a failing Raft seed reproduces its fingerprint and its violation") {
  const auto bound = load("figure8_commit_previous_term", "commit_previous_term_by_count");
  RunOptions options;
  options.seed = 7;
  const RunOutcome a = bound.run(options);
  const RunOutcome b = bound.run(options);
  CHECK(a.status == RunStatus::safety_violation);
  CHECK(a.fingerprint == b.fingerprint);
  CHECK(a.failure == b.failure);
}

namespace {

// Counts InstallSnapshot messages in a run's trace: delivered to each node, and sent at all
// (delivered or dropped on the way to a crashed node).
struct SnapshotCounter final : TraceSink {
  std::map<std::string, int> delivered;
  int sent = 0;
  void record(const TraceEvent& event) override {
    if (!event.text.starts_with("InstallSnapshot{")) return;
    if (event.kind == "deliver" || event.kind == "drop") ++sent;
    if (event.kind == "deliver") ++delivered[std::string(event.node)];
  }
};

}  // namespace

// The scenario must keep exercising InstallSnapshot now that a leader compacts only what its
// followers matched: n2 is down for 4 s, past the 2 x threshold cap, so it needs the snapshot.
// While it is down the leader offers the snapshot once per heartbeat (50 ms), not once per
// client write (the base code sent 655-673 over seeds 1-5, now 70-72).
TEST_CASE(
    "snapshot_install: the restarted follower is repaired by InstallSnapshot, offered once per "
    "heartbeat") {
  const auto bound = load("snapshot_install", "none");
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    INFO("seed " << seed);
    SnapshotCounter counter;
    RunOptions options;
    options.seed = seed;
    options.trace = &counter;
    const RunOutcome outcome = bound.run(options);
    CHECK(outcome.status == RunStatus::passed);
    CHECK(counter.delivered["n2"] >= 1);
    CHECK(counter.sent <= 4000 / 50 + 10);
  }
}

namespace {

RunOutcome run_raft(scenario::Scenario s, std::uint64_t seed) {
  s.protocol = "raft";
  LoadedScenario<Raft> loaded;
  loaded.scenario = std::move(s);
  loaded.workload.clients = 3;
  loaded.workload.duration = Duration::from_seconds(4);
  const auto suite = raft::check_suite(loaded.config);
  RunOptions options;
  options.seed = seed;
  options.wire_check = true;
  return run_simulation(loaded, suite, options);
}

}  // namespace

TEST_CASE("any generated fault schedule keeps Raft safe and linearizable, and it converges") {
  rc::prop("no check fails with bug=none", [] {
    auto s = *faultline::testing::gen_scenario(3, 5, Duration::from_seconds(4));
    s.run.converge_within = Duration::from_seconds(20);
    const auto seed = *rc::gen::arbitrary<std::uint64_t>();
    const RunOutcome outcome = run_raft(s, seed);
    RC_LOG() << outcome.failure << "\n";
    RC_ASSERT(outcome.status == RunStatus::passed);
  });
}

TEST_CASE("generated Raft runs reproduce their fingerprint") {
  rc::prop("same seed, same fingerprint", [] {
    auto s = *faultline::testing::gen_scenario(3, 5, Duration::from_seconds(3));
    const auto seed = *rc::gen::arbitrary<std::uint64_t>();
    const RunOutcome a = run_raft(s, seed);
    const RunOutcome b = run_raft(s, seed);
    RC_ASSERT(a.fingerprint == b.fingerprint);
    RC_ASSERT(a.events == b.events);
  });
}

namespace {

// The time each node's first timer fired: an election timeout (each node is cut off from the
// others, so no vote request resets another's timer).
struct FirstTimers final : TraceSink {
  std::map<std::string, Time> first;
  void record(const TraceEvent& event) override {
    if (event.kind == "timer") first.try_emplace(std::string(event.node), event.time);
  }
};

FirstTimers first_timers(const std::string& clocks) {
  const std::string text = "name: clocks\nprotocol: raft\ncluster: { nodes: 3" + clocks +
                           ", config: { election_timeout: [150ms, 300ms] } }\nrun: { until: 1s }\n"
                           "faults:\n  - { at: 0s, partition: [[n0], [n1], [n2]] }\n";
  auto bound = cli::load_scenario_text(text, "clocks.yaml", {});
  if (!bound) FAIL(bound.error().to_string());
  FirstTimers timers;
  RunOptions options;
  options.seed = 3;
  options.trace = &timers;
  bound->run(options);
  return timers;
}

}  // namespace

// cluster.clocks: a node whose clock runs at rate r has its timers fire after local / r of
// virtual time, and nothing else moves (the same draws: the other nodes' timers are unchanged).
TEST_CASE("a node's clock rate scales its timers, and only its timers") {
  const FirstTimers exact = first_timers("");
  const FirstTimers drifting = first_timers(", clocks: { n1: { rate: 2 }, n2: { rate: 4/5 } }");
  REQUIRE(exact.first.size() == 3);
  REQUIRE(drifting.first.size() == 3);
  const auto ns = [](const FirstTimers& t, const char* node) {
    return t.first.at(node).nanoseconds;
  };
  CHECK(ns(drifting, "n0") == ns(exact, "n0"));
  CHECK(ns(drifting, "n1") == ns(exact, "n1") / 2);      // twice as fast: half the time
  CHECK(ns(drifting, "n2") == ns(exact, "n2") * 5 / 4);  // 4/5 as fast: 5/4 of the time
  CHECK(ns(exact, "n1") >= 150'000'000);                 // a drawn election timeout
}
