// Two-phase commit's monitors (checkers/two_phase_commit/monitors.h) decide only when the
// simulator re-evaluates a property, never what it says. Shown three ways:
// - on hand-made views: a new record that breaks a property asks for a check, one that cannot
//   does not, and a log that shrinks or is rewritten (the forget_vote_on_restart restart) makes
//   the monitor start over and ask;
// - on the bundled scenarios with and without their bug switches, a 16-node cluster and the
//   timers at their 1 ms floors: every monitor is wrapped in one that evaluates the property's
//   check after every event and counts a lapse whenever the monitor said "unchanged" while the
//   verdict changed (never), and a run with monitors ends exactly as a run without any
//   (fingerprint, events, status, failure text and every verdict);
// - the same on generated fault schedules, with a random bug switch.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "checkers/two_phase_commit/monitors.h"
#include "checkers/two_phase_commit/suite.h"
#include "protocols/two_phase_commit/protocol.h"
#include "sim/engine/load_scenario.h"
#include "sim/scenario/parse.h"
#include "tests/support/scenario_gen.h"

using namespace faultline;
using namespace faultline::two_phase_commit;

namespace {

// ---- hand-made views --------------------------------------------------------------------------

// Three nodes, all down (the log monitors read disks; live states only where a test sets them).
struct Views {
  std::vector<std::optional<Node>> nodes = std::vector<std::optional<Node>>(3);
  std::vector<std::optional<Log>> disks = std::vector<std::optional<Log>>(3);
  View view() const { return View{std::span(nodes), std::span(disks), Time{}}; }
};

bool update(Monitor<TwoPhaseCommit>& monitor, const Views& v, std::vector<NodeId> changed) {
  return monitor.update(v.view(), changed);
}

const std::vector<NodeId> all_three = {NodeId{0}, NodeId{1}, NodeId{2}};

RoutingState state(std::uint64_t version, std::uint32_t weight) {
  return RoutingState{version, "v1", "v2", weight, RoutingStatus::committed};
}

TEST_CASE("2PC monitors: atomicity asks exactly when a tx gets both outcomes") {
  Views v;
  auto monitor = atomicity_monitor()();
  v.disks[1] = Log{{PreparedRecord{TxId{1}, state(2, 500), true}}};
  CHECK_FALSE(update(*monitor, v, all_three));
  v.disks[1]->records.push_back(CommittedRecord{TxId{1}, state(2, 500)});
  CHECK_FALSE(update(*monitor, v, {NodeId{1}}));
  v.disks[2] = Log{{AbortedRecord{TxId{2}}}};
  CHECK_FALSE(update(*monitor, v, {NodeId{2}}));  // another tx
  v.disks[2]->records.push_back(AbortedRecord{TxId{1}});
  CHECK(update(*monitor, v, {NodeId{2}}));
  CHECK(check_atomicity(v.view()).has_value());
}

TEST_CASE("2PC monitors: validity asks when a commit lacks a yes vote, and on a rewritten log") {
  Views v;
  auto monitor = validity_monitor()();
  v.disks[1] = Log{{PreparedRecord{TxId{1}, state(2, 500), true}}};
  v.disks[2] = Log{{PreparedRecord{TxId{1}, state(2, 500), true}}};
  CHECK_FALSE(update(*monitor, v, all_three));
  v.disks[0] = Log{{DecisionRecord{TxId{1}, TxKind::stage, Outcome::commit, state(2, 500)},
                    CommittedRecord{TxId{1}, state(2, 500)}}};
  CHECK_FALSE(update(*monitor, v, {NodeId{0}}));  // every participant voted yes
  CHECK_FALSE(check_validity(v.view()).has_value());

  SECTION("a commit without n2's vote") {
    v.disks[0]->records.push_back(CommittedRecord{TxId{2}, state(3, 2000)});
    CHECK(update(*monitor, v, {NodeId{0}}));
  }
  SECTION("n2's log loses its vote (a restart under forget_vote_on_restart)") {
    v.disks[2] = Log{};
    CHECK(update(*monitor, v, {NodeId{2}}));
    CHECK(check_validity(v.view()).has_value());
  }
  SECTION("n2's log is rewritten to as many records, its vote now no") {
    v.disks[2] = Log{{PreparedRecord{TxId{1}, state(2, 500), false}}};
    CHECK(update(*monitor, v, {NodeId{2}}));
    CHECK(check_validity(v.view()).has_value());
  }
  SECTION("a record appended that breaks nothing, and a node that changed nothing") {
    v.disks[2]->records.push_back(CommittedRecord{TxId{1}, state(2, 500)});
    CHECK_FALSE(update(*monitor, v, {NodeId{2}}));
    CHECK_FALSE(update(*monitor, v, all_three));
  }
}

TEST_CASE("2PC monitors: agreement and durability look at live states too") {
  const Config config;
  Views v;
  auto agreement = agreement_monitor()();
  auto durability = durability_monitor(config)();
  v.disks[1] = Log{{CommittedRecord{TxId{1}, state(2, 500)}}};
  v.nodes[1].emplace(config, NodeId{1}, 3, v.disks[1]);
  v.nodes[2].emplace(config, NodeId{2}, 3, std::nullopt);
  CHECK_FALSE(update(*agreement, v, all_three));
  CHECK_FALSE(update(*durability, v, all_three));

  // n2 comes back from a log that commits version 2 differently.
  v.disks[2] = Log{{CommittedRecord{TxId{1}, state(2, 700)}}};
  v.nodes[2].emplace(config, NodeId{2}, 3, v.disks[2]);
  CHECK(update(*agreement, v, {NodeId{2}}));
  CHECK_FALSE(update(*durability, v, {NodeId{2}}));  // its memory matches its own log

  // n1's memory behind its log: durability's business, not agreement's.
  v.disks[1]->records.push_back(CommittedRecord{TxId{2}, state(3, 2000)});
  CHECK(update(*durability, v, {NodeId{1}}));
  CHECK(check_durability(v.view(), config).has_value());
}

TEST_CASE("2PC monitors: votes_in_order asks when a participant votes on an older tx") {
  Views v;
  auto monitor = votes_in_order_monitor()();
  v.disks[1] = Log{{PreparedRecord{TxId{2}, state(2, 500), true}}};
  CHECK_FALSE(update(*monitor, v, all_three));
  // Resolving an older doubt after a later vote (no on tx 3 while in doubt about tx 2) is fine.
  v.disks[1]->records.push_back(PreparedRecord{TxId{3}, state(2, 2000), false});
  v.disks[1]->records.push_back(AbortedRecord{TxId{3}});
  v.disks[1]->records.push_back(CommittedRecord{TxId{2}, state(2, 500)});
  CHECK_FALSE(update(*monitor, v, {NodeId{1}}));
  CHECK_FALSE(check_votes_in_order(v.view()).has_value());
  // The coordinator's log is not a participant's: its BEGIN and DECISION records do not count.
  v.disks[0] = Log{{AbortedRecord{TxId{5}}, PreparedRecord{TxId{4}, state(2, 500), true}}};
  CHECK_FALSE(update(*monitor, v, {NodeId{0}}));
  CHECK_FALSE(check_votes_in_order(v.view()).has_value());
  // A vote on tx 1 after the log recorded tx 3: a stale PREPARE answered.
  v.disks[1]->records.push_back(PreparedRecord{TxId{1}, state(2, 500), false});
  CHECK(update(*monitor, v, {NodeId{1}}));
  const auto why = check_votes_in_order(v.view());
  REQUIRE(why.has_value());
  CHECK(*why ==
        "n1 voted on tx1 after its log recorded tx3: a vote on a transaction older than "
        "one it already logged");
  // A repeated vote on the same tx is out of order too (a PREPARE is answered from the log).
  Views w;
  auto again = votes_in_order_monitor()();
  w.disks[2] = Log{
      {PreparedRecord{TxId{2}, state(2, 500), true}, PreparedRecord{TxId{2}, state(2, 500), true}}};
  CHECK(update(*again, w, all_three));
  CHECK(check_votes_in_order(w.view()).has_value());
}

TEST_CASE("2PC monitors: committed_a_stage asks once something committed") {
  Views v;
  auto monitor = committed_a_stage_monitor()();
  v.disks[1] = Log{{PreparedRecord{TxId{1}, state(2, 500), true}}};
  CHECK_FALSE(update(*monitor, v, all_three));
  v.disks[1]->records.push_back(AbortedRecord{TxId{1}});
  CHECK_FALSE(update(*monitor, v, {NodeId{1}}));
  v.disks[2] = Log{{CommittedRecord{TxId{2}, state(2, 500)}}};
  CHECK(update(*monitor, v, {NodeId{2}}));
}

// ---- whole runs -------------------------------------------------------------------------------

struct MonitorStats {
  std::uint64_t updates = 0;   // monitor calls after the first of each run
  std::uint64_t rechecks = 0;  // of those, the ones that asked for a check
  std::uint64_t lapses = 0;    // "unchanged" while the verdict changed: a soundness bug
};

// Evaluates the property's check at every update next to the monitor it wraps.
class VerifyingMonitor final : public Monitor<TwoPhaseCommit> {
 public:
  using Check = std::function<std::optional<std::string>(const View&)>;
  VerifyingMonitor(std::unique_ptr<Monitor<TwoPhaseCommit>> inner, Check check, MonitorStats& stats)
      : inner_(std::move(inner)), check_(std::move(check)), stats_(stats) {}

  bool update(const View& view, std::span<const NodeId> changed) override {
    const bool recheck = inner_->update(view, changed);
    const bool holds = !check_(view).has_value();
    if (held_) {
      ++stats_.updates;
      if (recheck) ++stats_.rechecks;
      if (!recheck && holds != *held_) ++stats_.lapses;
    }
    held_ = holds;
    return recheck;
  }

 private:
  std::unique_ptr<Monitor<TwoPhaseCommit>> inner_;
  Check check_;
  MonitorStats& stats_;
  std::optional<bool> held_;  // the verdict at the previous update
};

CheckSuite<TwoPhaseCommit> verifying(CheckSuite<TwoPhaseCommit> suite, MonitorStats& stats) {
  for (Property<TwoPhaseCommit>& property : suite.properties) {
    if (!property.monitor) continue;
    property.monitor = [make = property.monitor, check = property.check, &stats] {
      return std::unique_ptr<Monitor<TwoPhaseCommit>>(new VerifyingMonitor(make(), check, stats));
    };
  }
  return suite;
}

CheckSuite<TwoPhaseCommit> without_monitors(CheckSuite<TwoPhaseCommit> suite) {
  for (Property<TwoPhaseCommit>& property : suite.properties) property.monitor = {};
  return suite;
}

LoadedScenario<TwoPhaseCommit> bind_text(const std::string& text, const std::string& path,
                                         const std::string& bug, std::uint32_t nodes) {
  auto parsed = scenario::parse_scenario(text, path, TwoPhaseCommit::role_names());
  if (!parsed) FAIL(parsed.error().to_string());
  REQUIRE(scenario::apply_override(parsed->config, "bug=" + bug).has_value());
  if (nodes != 0) {
    parsed->node_names.clear();
    for (std::uint32_t i = 0; i < nodes; ++i) parsed->node_names.push_back("n" + std::to_string(i));
  }
  auto loaded = bind_scenario<TwoPhaseCommit>(std::move(*parsed), check_suite(Config{}));
  if (!loaded) FAIL(loaded.error().to_string());
  return std::move(*loaded);
}

// A bundled scenario, with `bug` set and, if nonzero, another node count.
LoadedScenario<TwoPhaseCommit> load(const std::string& name, const std::string& bug,
                                    std::uint32_t nodes = 0) {
  const std::string path =
      std::string(FAULTLINE_SOURCE_DIR) + "/scenarios/two_phase_commit/" + name + ".yaml";
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return bind_text(text.str(), path, bug, nodes);
}

// Every timer at its 1 ms floor, shorter than the 2 ms round trip: every tx times out and
// aborts (a rollback retried every millisecond), so the logs grow all run long; crashes and
// restarts on top. Short, as the verifying monitors rescan every log after every event.
LoadedScenario<TwoPhaseCommit> floors(const std::string& bug) {
  const std::string text =
      "name: floors\nprotocol: two_phase_commit\ncluster:\n  nodes: 5\n  config: { "
      "prepare_timeout: 1ms, decision_retry: 1ms, heartbeat_interval: 1ms, query_interval: 1ms, "
      "stage_interval: 1ms }\nnetwork: { latency: { uniform: [500us, 2ms] } }\n"
      "nemesis: { kinds: [crash, restart], interval: [5ms, 20ms], crashed_max: 1 }\n"
      "workload: { predict_interval: 100us, duration: 300ms, health_interval: 1ms }\n"
      "run: { until: 300ms, converge_within: 1s }\n";
  return bind_text(text, "floors.yaml", bug, 0);
}

std::string verdicts(const RunOutcome& outcome) {
  std::string text;
  for (const CheckVerdict& v : outcome.verdicts)
    text += v.name + (v.passed ? " ok " : " FAIL ") + v.detail + "\n";
  return text;
}

// Runs one seed with verifying monitors and without monitors; both must end alike.
RunOutcome run_both(const LoadedScenario<TwoPhaseCommit>& loaded, std::uint64_t seed,
                    MonitorStats& stats) {
  RunOptions options;
  options.seed = seed;
  const auto plain = without_monitors(check_suite(loaded.config));
  const auto watched = verifying(check_suite(loaded.config), stats);
  const RunOutcome a = run_simulation(loaded, plain, options);
  const RunOutcome b = run_simulation(loaded, watched, options);
  CHECK(a.fingerprint == b.fingerprint);
  CHECK(a.events == b.events);
  CHECK(a.status == b.status);
  CHECK(a.failure == b.failure);
  CHECK(verdicts(a) == verdicts(b));
  return b;
}

}  // namespace

TEST_CASE("2PC's monitors never miss a changed verdict and change no outcome") {
  struct Row {
    std::string scenario, bug;
    std::uint64_t seeds;
    std::uint32_t nodes = 0;
  };
  // Each bug switch on its scenarios (tests/protocols/two_phase_commit/bug_switches.txt), every
  // bundled scenario correct, and 16 nodes with and without a bug.
  const std::vector<Row> rows = {
      {"participant_votes_no", "commit_on_majority", 5},
      {"degraded_health_aborts_stage", "commit_on_majority", 5},
      {"participant_crash_during_prepare", "forget_vote_on_restart", 5},
      {"restart_log_replay", "forget_vote_on_restart", 5},
      {"loss_and_duplication", "none", 2, 16},
      {"restart_log_replay", "forget_vote_on_restart", 2, 16},
      {"canary_rollout", "none", 2},
      {"cooperative_termination", "none", 2},
      {"coordinator_crash_after_decision", "none", 2},
      {"coordinator_crash_before_decision", "none", 2},
      {"degraded_health_aborts_stage", "none", 2},
      {"loss_and_duplication", "none", 2},
      {"participant_crash_during_prepare", "none", 2},
      {"participant_votes_no", "none", 2},
      {"partition_during_decision", "none", 2},
      {"restart_log_replay", "none", 2},
      {"seven_node_cluster", "none", 2},
  };
  MonitorStats stats;
  std::map<std::string, int> caught;  // bug -> violations
  for (const Row& row : rows) {
    const auto loaded = load(row.scenario, row.bug, row.nodes);
    for (std::uint64_t seed = 1; seed <= row.seeds; ++seed) {
      INFO(row.scenario << " bug=" << row.bug << " nodes=" << row.nodes << " seed " << seed);
      const RunOutcome outcome = run_both(loaded, seed, stats);
      if (outcome.status == RunStatus::safety_violation) ++caught[row.bug];
      if (row.bug == "none") CHECK(outcome.status != RunStatus::safety_violation);
    }
  }
  for (const std::string bug : {"none", "commit_on_majority", "forget_vote_on_restart"}) {
    INFO("bug=" << bug << " nodes=0");
    const auto loaded = floors(bug);
    for (std::uint64_t seed = 1; seed <= 3; ++seed) run_both(loaded, seed, stats);
  }
  CHECK(stats.lapses == 0);
  // The bug switches were caught, so monitors said yes when it mattered.
  CHECK(caught["commit_on_majority"] >= 2);
  CHECK(caught["forget_vote_on_restart"] >= 2);
  // Most events append nothing that could break a verdict: the monitors skip most evaluations.
  CHECK(stats.rechecks * 20 < stats.updates);
}

TEST_CASE("2PC's monitors agree with whole-view checks on generated fault schedules") {
  rc::prop("no lapse, same outcome", [] {
    auto s = *faultline::testing::gen_scenario(2, 6, Duration::from_seconds(4));
    s.protocol = "two_phase_commit";
    LoadedScenario<TwoPhaseCommit> loaded;
    loaded.scenario = std::move(s);
    loaded.workload.duration = Duration::from_seconds(4);
    loaded.config.bug =
        *rc::gen::element(Bug::none, Bug::commit_on_majority, Bug::forget_vote_on_restart);
    MonitorStats stats;
    RunOptions options;
    options.seed = *rc::gen::arbitrary<std::uint64_t>();
    const RunOutcome a =
        run_simulation(loaded, without_monitors(check_suite(loaded.config)), options);
    const RunOutcome b =
        run_simulation(loaded, verifying(check_suite(loaded.config), stats), options);
    RC_ASSERT(stats.lapses == 0u);
    RC_ASSERT(a.fingerprint == b.fingerprint);
    RC_ASSERT(a.status == b.status);
    RC_ASSERT(a.failure == b.failure);
    RC_ASSERT(verdicts(a) == verdicts(b));
    RC_TAG(std::string(to_string(loaded.config.bug)), to_string(a.status));
  });
}
