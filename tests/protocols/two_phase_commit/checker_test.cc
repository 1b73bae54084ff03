// The two-phase-commit checkers: they pass on the correct protocol and catch every bug switch
// when the harness drives it into the schedule that exposes it.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "checkers/two_phase_commit/suite.h"
#include "tests/protocols/two_phase_commit/steps.h"

namespace faultline::two_phase_commit {
namespace {

using namespace testing;  // Harness and the steps of steps.h

// Runs every always-property; returns "name: why" for each violation.
std::vector<std::string> violations(const Harness& h) {
  std::vector<std::string> found;
  for (const auto& property : check_suite(h.config()).properties) {
    if (property.kind != PropertyKind::always) continue;
    if (auto why = property.check(h.view())) found.push_back(property.name + ": " + *why);
  }
  return found;
}

bool violated(const Harness& h, std::string_view name) {
  for (const std::string& v : violations(h))
    if (v.rfind(std::string(name) + ":", 0) == 0) return true;
  return false;
}

Config with_bug(Bug bug, bool cooperative = false) {
  Config config;
  config.bug = bug;
  config.on_abort = OnAbort::halt;
  config.cooperative_termination = cooperative;
  return config;
}

TEST_CASE("two_phase_commit checkers: the suite has the documented names") {
  const auto suite = check_suite(Config{});
  std::vector<std::string> names;
  for (const auto& p : suite.properties)
    names.push_back(p.name + "/" + std::string(to_string(p.kind)));
  CHECK(names == std::vector<std::string>{"atomicity/always", "agreement/always", "validity/always",
                                          "durability/always", "votes_in_order/always",
                                          "committed_a_stage/sometimes", "termination/eventually"});
  REQUIRE(suite.history_checks.size() == 1);
  CHECK(suite.history_checks[0].name == "routing_fidelity");
  CHECK_FALSE(suite.history_checks[0].liveness);
}

TEST_CASE(
    "two_phase_commit checkers: the correct protocol passes every property on the happy path") {
  Harness h(Config{});
  observe_all(h, true);
  const auto suite = check_suite(h.config());
  CHECK(check_committed_a_stage(h.view()).has_value());  // nothing committed yet
  for (int stage = 0; stage < 3; ++stage) {
    h.fire(NodeId{0}, StageTimer{});
    while (!h.network().empty()) {
      h.deliver_next();
      REQUIRE(violations(h).empty());
    }
  }
  CHECK_FALSE(check_committed_a_stage(h.view()).has_value());
  CHECK_FALSE(check_termination(h.view()).has_value());
}

// Participant n2 votes no; with commit_on_majority n1's yes (plus the coordinator) is a majority.
void drive_no_vote(Harness& h) {
  observe_all(h, true);
  observe(h, NodeId{2}, false);
  h.fire(NodeId{0}, StageTimer{});
  h.deliver_all();
}

TEST_CASE("two_phase_commit checkers: bug commit_on_majority violates atomicity and validity") {
  SECTION("with the bug") {
    Harness h(with_bug(Bug::commit_on_majority));
    drive_no_vote(h);
    CHECK(violated(h, "atomicity"));
    CHECK(violated(h, "validity"));
    const auto text = check_atomicity(h.view()).value_or("");
    CHECK(text.find("tx1") != std::string::npos);
    CHECK(text.find("n2") != std::string::npos);
    CHECK(check_validity(h.view()).value_or("").find("its durable vote is no") !=
          std::string::npos);
  }
  SECTION("without it the same schedule aborts cleanly") {
    Harness h(with_bug(Bug::none));
    drive_no_vote(h);
    CHECK(violations(h).empty());
    CHECK(h.node(1).committed_state().version == 1);
  }
}

TEST_CASE("two_phase_commit checkers: commit_on_majority with a missing vote (n2 never prepared)") {
  Harness h(with_bug(Bug::commit_on_majority));
  observe_all(h, true);
  h.fire(NodeId{0}, StageTimer{});
  std::erase_if(h.network(), [](const testing::Envelope& e) { return e.to == NodeId{2}; });
  h.deliver_all();  // n1 yes -> commit; n2 applies a commit it never voted on
  CHECK(violated(h, "validity"));
  CHECK(check_validity(h.view()).value_or("").find("no durable PREPARED record") !=
        std::string::npos);
}

// Both participants vote yes; n2 crashes before the decision reaches it and restarts at once.
void drive_restart_before_decision(Harness& h) {
  observe_all(h, true);
  h.fire(NodeId{0}, StageTimer{});
  h.deliver_next();
  h.deliver_next();  // both voted yes; the votes are in flight
  h.crash(NodeId{2});
  h.restart(NodeId{2});
  h.deliver_all();
}

TEST_CASE(
    "two_phase_commit checkers: bug forget_vote_on_restart violates atomicity (and validity)") {
  SECTION("with the bug") {
    Harness h(with_bug(Bug::forget_vote_on_restart));
    drive_restart_before_decision(h);
    CHECK(violated(h, "atomicity"));
    CHECK(violated(h, "validity"));
    CHECK(outcome_of(*h.disk(2), TxId{1}) == std::optional<Outcome>(Outcome::abort));
  }
  SECTION("without it the restarted participant resolves commit") {
    Harness h(with_bug(Bug::none));
    drive_restart_before_decision(h);
    CHECK(violations(h).empty());
    CHECK(h.node(2).committed_state().version == 2);
  }
}

// The coordinator decided commit and crashed before sending; n2 forgot its vote across a crash;
// with cooperative termination n1 asks n2, which "has not voted" and aborts unilaterally.
void drive_cooperative_forget(Harness& h) {
  observe_all(h, true);
  h.fire(NodeId{0}, StageTimer{});
  while (h.outputs_of<DecisionMade>().empty()) REQUIRE(h.deliver_next());
  h.crash(NodeId{0});
  h.cut(NodeId{0});
  h.crash(NodeId{2});
  h.restart(NodeId{2});
  h.fire(NodeId{1}, QueryTimer{});
  h.deliver_all();
}

TEST_CASE("two_phase_commit checkers: forget_vote_on_restart breaks cooperative termination") {
  SECTION("with the bug n1 aborts what the coordinator committed") {
    Harness h(with_bug(Bug::forget_vote_on_restart, /*cooperative=*/true));
    drive_cooperative_forget(h);
    CHECK(violated(h, "atomicity"));
    CHECK(check_atomicity(h.view()).value_or("").find("aborted at n1, n2") != std::string::npos);
  }
  SECTION("without it n1 stays blocked, and the restarted coordinator commits everywhere") {
    Harness h(with_bug(Bug::none, /*cooperative=*/true));
    drive_cooperative_forget(h);
    CHECK(violations(h).empty());
    CHECK(h.node(1).in_doubt_tx().has_value());
    h.restart(NodeId{0});
    h.deliver_all();
    CHECK(violations(h).empty());
    CHECK_FALSE(check_termination(h.view()).has_value());
  }
}

RoutingState state(std::uint64_t version, std::uint32_t weight) {
  return RoutingState{version, "v1", "v2", weight, RoutingStatus::committed};
}

TEST_CASE("two_phase_commit checkers: agreement and durability on hand-made views") {
  const Config config;
  std::vector<std::optional<Node>> nodes(3);
  std::vector<std::optional<Log>> disks(3);
  disks[1] = Log{{CommittedRecord{TxId{1}, state(2, 500)}}};
  disks[2] = Log{{CommittedRecord{TxId{1}, state(2, 700)}}};
  const View view{std::span(nodes), std::span(disks), Time{}};
  const auto agreement = check_agreement(view);
  REQUIRE(agreement.has_value());
  CHECK(agreement->find("version 2 differs: n1") != std::string::npos);

  // A live node whose memory is behind its own log (as if recovery skipped a record).
  disks[2] = Log{};
  nodes[1].emplace(config, NodeId{1}, 3, Log{});
  const View stale{std::span(nodes), std::span(disks), Time{}};
  const auto durability = check_durability(stale, config);
  REQUIRE(durability.has_value());
  CHECK(durability->find("n1 holds version 1") != std::string::npos);
  nodes[1].emplace(config, NodeId{1}, 3, disks[1]);
  CHECK_FALSE(
      check_durability(View{std::span(nodes), std::span(disks), Time{}}, config).has_value());
}

TEST_CASE("two_phase_commit checkers: termination names who is behind or in doubt") {
  Harness h(Config{});
  observe_all(h, true);
  h.fire(NodeId{0}, StageTimer{});
  h.deliver_next();  // n1 in doubt
  CHECK(check_termination(h.view()).value_or("").find("n1 is still in doubt about tx1") !=
        std::string::npos);
  h.crash(NodeId{0});
  CHECK(check_termination(h.view()) == std::optional<std::string>("the coordinator n0 is down"));
}

TEST_CASE("two_phase_commit checkers: the binomial bound is exact integer arithmetic") {
  // n = 1000, w = 5%: mean 50, sd = sqrt(1000 * 0.05 * 0.95) = 6.89; 5 sd = 34.46.
  CHECK(canary_count_plausible(1000, 50, 500));
  CHECK(canary_count_plausible(1000, 84, 500));
  CHECK_FALSE(canary_count_plausible(1000, 85, 500));
  CHECK(canary_count_plausible(1000, 16, 500));
  CHECK_FALSE(canary_count_plausible(1000, 15, 500));
  // Weight 0 and 100% have no variance: any deviation is impossible.
  CHECK(canary_count_plausible(1000, 0, 0));
  CHECK_FALSE(canary_count_plausible(1000, 1, 0));
  CHECK(canary_count_plausible(1000, 1000, 10'000));
}

struct HistoryFixture {
  History<TwoPhaseCommit> history;
  std::vector<FaultRecord> faults;
  std::vector<std::string> names{"n0", "n1", "n2"};
  std::vector<std::optional<Node>> nodes = std::vector<std::optional<Node>>(3);
  std::vector<std::optional<Log>> disks = std::vector<std::optional<Log>>(3);
  Record record() const {
    return Record{history, View{std::span(nodes), std::span(disks), Time{}}, faults, names, Time{},
                  Time{}};
  }
  void emit(std::int64_t ms, std::uint32_t node, Output output) {
    history.emissions.emplace_back(Time{ms * 1'000'000}, NodeId{node}, std::move(output));
  }
  void invoke(std::int64_t ms, std::uint32_t node, Input input) {
    history.invocations.push_back(
        {Time{ms * 1'000'000}, NodeId{node}, ClientId{0}, std::move(input), true});
  }
};

TEST_CASE("two_phase_commit checkers: routing_fidelity") {
  const Config config;
  HistoryFixture f;
  for (std::uint32_t n = 0; n < 3; ++n) f.emit(0, n, StateApplied{TxId{1}, state(2, 2000)});
  // 1000 requests with evenly spread draws: exactly 20% canary.
  for (std::uint64_t r = 0; r < 1000; ++r) {
    const auto draw = static_cast<std::uint32_t>(r * 10);
    f.invoke(1, 1, Predict{r, draw});
    const bool canary = draw < 2000;
    f.emit(1, 1, PredictServed{r, canary ? "v2" : "v1", 2, canary});
  }
  CHECK_FALSE(check_routing_fidelity(f.record(), config).has_value());

  SECTION("a request routed against its draw is caught exactly") {
    std::get<PredictServed>(f.history.emissions.back().output).canary = true;
    std::get<PredictServed>(f.history.emissions.back().output).model_id = "v2";
    const auto why = check_routing_fidelity(f.record(), config);
    REQUIRE(why.has_value());
    CHECK(why->find("request 999 at n1") != std::string::npos);
  }
  SECTION("a skewed split is caught statistically (draws unknown to the checker)") {
    f.history.invocations.clear();
    for (auto& e : f.history.emissions)
      if (auto* s = std::get_if<PredictServed>(&e.output); s != nullptr && s->request_id < 400) {
        s->canary = true;
        s->model_id = "v2";
      }
    const auto why = check_routing_fidelity(f.record(), config);
    REQUIRE(why.has_value());
    CHECK(why->find("version 2 sent 400 of 1000") != std::string::npos);
  }
  SECTION("a request under a version nobody applied") {
    f.emit(2, 2, PredictServed{5000, "v1", 9, false});
    CHECK(check_routing_fidelity(f.record(), config).value_or("").find("version 9") !=
          std::string::npos);
  }
}

TEST_CASE("two_phase_commit checkers: metrics from the history") {
  HistoryFixture f;
  f.emit(2000, 0, TxStarted{TxId{1}, TxKind::stage, 0, state(2, 500)});
  f.emit(2012, 0, DecisionMade{TxId{1}, Outcome::commit, state(2, 500)});
  f.emit(2012, 0, StateApplied{TxId{1}, state(2, 500)});
  f.emit(2018, 1, StateApplied{TxId{1}, state(2, 500)});
  f.emit(2020, 2, StateApplied{TxId{1}, state(2, 500)});
  f.emit(4000, 0, TxStarted{TxId{2}, TxKind::stage, 1, state(3, 2000)});
  f.emit(4500, 0, DecisionMade{TxId{2}, Outcome::abort, state(3, 2000)});
  const Metrics m = collect_metrics(f.record());
  CHECK(m.at("decision_latency") ==
        std::vector<Duration>{Duration::from_milliseconds(12), Duration::from_milliseconds(500)});
  CHECK(m.at("commit_latency") == std::vector<Duration>{Duration::from_milliseconds(12)});
  CHECK(m.at("stage_duration") == std::vector<Duration>{Duration::from_milliseconds(20)});
}

}  // namespace
}  // namespace faultline::two_phase_commit
