// Two-phase-commit node behaviour under hand-written schedules in the in-test harness.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "tests/protocols/two_phase_commit/steps.h"

namespace faultline::two_phase_commit {
namespace {

using namespace testing;  // Harness and the steps of steps.h

Config config_with(OnAbort on_abort = OnAbort::rollback, bool cooperative = false) {
  Config config;
  config.on_abort = on_abort;
  config.cooperative_termination = cooperative;
  return config;
}

// Every node that committed a version holds the same state for it, and no tx is both
// committed and aborted in any pair of logs (a light inline check; the checkers do it fully).
void require_consistent(const Harness& h) {
  for (std::uint32_t a = 0; a < h.node_count(); ++a) {
    for (std::uint32_t b = 0; b < h.node_count(); ++b) {
      if (!h.disk(a) || !h.disk(b)) continue;
      for (const LogRecord& record : h.disk(a)->records) {
        const auto* c = std::get_if<CommittedRecord>(&record);
        if (c == nullptr) continue;
        const auto other = outcome_of(*h.disk(b), c->tx);
        REQUIRE(other != std::optional<Outcome>(Outcome::abort));
      }
    }
  }
}

void require_all_at(const Harness& h, std::uint64_t version, std::uint32_t weight_bps) {
  for (std::uint32_t i = 0; i < h.node_count(); ++i) {
    INFO("node n" << i);
    REQUIRE(h.up(i));
    CHECK(h.node(i).committed_state().version == version);
    CHECK(h.node(i).committed_state().canary_weight_bps == weight_bps);
    CHECK_FALSE(h.node(i).in_doubt_tx().has_value());
  }
}

TEST_CASE("two_phase_commit: the happy path rolls out 5% -> 20% -> 50% on every node") {
  Harness h(config_with());
  observe_all(h, true);
  run_stage(h);
  require_all_at(h, 2, 500);
  run_stage(h);
  require_all_at(h, 3, 2000);
  run_stage(h);
  require_all_at(h, 4, 5000);
  CHECK(h.node(0).coordinator()->phase == RolloutPhase::done);
  CHECK_FALSE(h.armed(NodeId{0}, StageTimer{}));
  CHECK(h.outputs_of<DecisionMade>().size() == 3);
  CHECK(h.outputs_of<StateApplied>().size() == 9);
  // Every participant acked the last decision: retransmission stopped.
  CHECK_FALSE(h.node(0).coordinator()->pending.has_value());
  require_consistent(h);
}

TEST_CASE("two_phase_commit: promote_to_full adds a final 100% stage") {
  Config config = config_with();
  config.promote_to_full = true;
  Harness h(config);
  observe_all(h, true);
  for (int i = 0; i < 4; ++i) run_stage(h);
  require_all_at(h, 5, 10'000);
}

TEST_CASE("two_phase_commit: a no vote aborts the stage and rolls back to the stable model") {
  Harness h(config_with(OnAbort::rollback));
  observe_all(h, true);
  run_stage(h);
  observe(h, NodeId{2}, false);
  run_stage(h);  // stage 2 aborts, the rollback tx runs at once and commits
  require_all_at(h, 3, 0);
  CHECK(h.node(1).committed_state().status == RoutingStatus::rolled_back);
  const auto decisions = h.outputs_of<DecisionMade>();
  REQUIRE(decisions.size() == 3);
  CHECK(decisions[1].second.outcome == Outcome::abort);
  CHECK(decisions[2].second.outcome == Outcome::commit);
  CHECK(h.node(0).coordinator()->phase == RolloutPhase::done);
  require_consistent(h);
}

TEST_CASE("two_phase_commit: with on_abort halt a no vote stops the rollout where it is") {
  Harness h(config_with(OnAbort::halt));
  observe_all(h, true);
  run_stage(h);
  observe(h, NodeId{1}, false);
  run_stage(h);
  require_all_at(h, 2, 500);
  CHECK(h.node(0).coordinator()->phase == RolloutPhase::halted);
  CHECK_FALSE(h.armed(NodeId{0}, StageTimer{}));
}

TEST_CASE("two_phase_commit: the coordinator's own closed gate defers the stage") {
  Harness h(config_with());
  observe_all(h, true);
  observe(h, NodeId{0}, false);
  h.fire(NodeId{0}, StageTimer{});
  CHECK(h.network().empty());
  CHECK(h.outputs_of<StageDeferred>().size() == 1);
  CHECK(h.armed(NodeId{0}, StageTimer{}));
  observe(h, NodeId{0}, true);
  run_stage(h);
  require_all_at(h, 2, 500);
}

TEST_CASE("two_phase_commit: a prepare timeout aborts") {
  Harness h(config_with(OnAbort::halt));
  observe_all(h, true);
  h.fire(NodeId{0}, StageTimer{});
  h.crash(NodeId{2});
  h.deliver_all();  // n1 votes yes; n2 is down
  CHECK(h.node(1).in_doubt_tx().has_value());
  REQUIRE(fire_prepare_timeout(h));
  h.deliver_all();
  CHECK(h.outputs_of<DecisionMade>().back().second.outcome == Outcome::abort);
  CHECK_FALSE(h.node(1).in_doubt_tx().has_value());
  CHECK(h.node(1).committed_state().version == 1);
  CHECK(h.node(0).coordinator()->phase == RolloutPhase::halted);
  require_consistent(h);
}

TEST_CASE("two_phase_commit: a coordinator that logged a decision re-sends it after a restart") {
  Harness h(config_with());
  observe_all(h, true);
  h.fire(NodeId{0}, StageTimer{});
  // Deliver the prepares and the votes, not the decisions.
  while (h.outputs_of<DecisionMade>().empty()) REQUIRE(h.deliver_next());
  h.crash(NodeId{0});
  h.cut(NodeId{0});
  CHECK(h.node(1).in_doubt_tx().has_value());
  h.restart(NodeId{0});
  CHECK(h.node(0).committed_state().version == 2);  // recovered from its log
  h.deliver_all();
  require_all_at(h, 2, 500);
  require_consistent(h);
}

TEST_CASE("two_phase_commit: a coordinator that began but did not decide presumes abort") {
  Harness h(config_with(OnAbort::halt));
  observe_all(h, true);
  h.fire(NodeId{0}, StageTimer{});
  h.deliver_next();  // prepare to n1 -> n1 votes yes
  h.deliver_next();  // prepare to n2 -> n2 votes yes
  h.crash(NodeId{0});
  h.cut(NodeId{0});
  h.restart(NodeId{0});
  const auto decisions = h.outputs_of<DecisionMade>();
  REQUIRE(decisions.size() == 1);
  CHECK(decisions[0].second.outcome == Outcome::abort);
  h.deliver_all();
  require_all_at(h, 1, 0);
  CHECK(h.node(0).coordinator()->phase == RolloutPhase::halted);
  require_consistent(h);
}

TEST_CASE(
    "two_phase_commit: an in-doubt participant stays blocked without cooperative termination") {
  Harness h(config_with(OnAbort::halt, /*cooperative=*/false));
  observe_all(h, true);
  h.fire(NodeId{0}, StageTimer{});
  h.deliver_next();  // n1 votes yes; n2's prepare stays in flight
  h.crash(NodeId{0});
  for (int i = 0; i < 5; ++i) {
    h.fire(NodeId{1}, QueryTimer{});
    h.deliver_all();
  }
  CHECK(h.node(1).in_doubt_tx() == std::optional<TxId>(TxId{1}));
  CHECK(h.node(1).participant()->blocked);
  CHECK(h.outputs_of<Blocked>().size() == 1);
  CHECK(h.outputs_of<Unblocked>().empty());
  // The coordinator comes back and presumes abort: unblocked.
  h.restart(NodeId{0});
  h.deliver_all();
  CHECK_FALSE(h.node(1).in_doubt_tx().has_value());
  CHECK(h.outputs_of<Unblocked>().size() == 1);
  require_consistent(h);
}

TEST_CASE("two_phase_commit: cooperative termination resolves through a peer") {
  SECTION("a peer that has not voted aborts unilaterally") {
    Harness h(config_with(OnAbort::halt, /*cooperative=*/true));
    observe_all(h, true);
    h.fire(NodeId{0}, StageTimer{});
    h.deliver_next();  // n1 votes yes
    h.crash(NodeId{0});
    h.cut(NodeId{0});  // n2's prepare is lost
    h.fire(NodeId{1}, QueryTimer{});
    h.deliver_all();
    CHECK_FALSE(h.node(1).in_doubt_tx().has_value());
    CHECK(outcome_of(*h.disk(1), TxId{1}) == std::optional<Outcome>(Outcome::abort));
    CHECK(outcome_of(*h.disk(2), TxId{1}) == std::optional<Outcome>(Outcome::abort));
    h.restart(NodeId{0});
    h.deliver_all();
    require_all_at(h, 1, 0);
    require_consistent(h);
  }
  SECTION("a peer that got the decision answers commit") {
    Harness h(config_with(OnAbort::halt, /*cooperative=*/true));
    observe_all(h, true);
    h.fire(NodeId{0}, StageTimer{});
    while (h.outputs_of<DecisionMade>().empty()) REQUIRE(h.deliver_next());
    // Deliver the decision to n2 only, then lose the coordinator.
    for (std::size_t i = 0; i < h.network().size(); ++i)
      if (h.network()[i].to == NodeId{2} &&
          std::holds_alternative<Decision>(h.network()[i].message)) {
        h.deliver(i);
        break;
      }
    h.crash(NodeId{0});
    h.cut(NodeId{0});
    h.fire(NodeId{1}, QueryTimer{});
    h.deliver_all();
    CHECK_FALSE(h.node(1).in_doubt_tx().has_value());
    CHECK(h.node(1).committed_state().version == 2);
    require_consistent(h);
  }
  SECTION("when every peer is in doubt too, everyone stays blocked") {
    Harness h(config_with(OnAbort::halt, /*cooperative=*/true));
    observe_all(h, true);
    h.fire(NodeId{0}, StageTimer{});
    h.deliver_next();
    h.deliver_next();  // both voted yes
    h.crash(NodeId{0});
    h.cut(NodeId{0});
    for (int i = 0; i < 3; ++i) {
      h.fire(NodeId{1}, QueryTimer{});
      h.fire(NodeId{2}, QueryTimer{});
      h.deliver_all();
    }
    CHECK(h.node(1).in_doubt_tx().has_value());
    CHECK(h.node(2).in_doubt_tx().has_value());
  }
}

TEST_CASE("two_phase_commit: log replay restores committed state and in-doubt transactions") {
  Harness h(config_with());
  observe_all(h, true);
  run_stage(h);
  run_stage(h);
  const RoutingState before = h.node(1).committed_state();
  h.crash(NodeId{1});
  h.restart(NodeId{1});
  CHECK(h.node(1).committed_state() == before);
  CHECK(h.node(1).log() == *h.disk(1));
  // In doubt across a restart: the vote is remembered, and the participant asks again.
  observe(h, NodeId{1}, true);
  h.fire(NodeId{0}, StageTimer{});
  h.deliver_next();  // n1 votes yes
  h.crash(NodeId{1});
  h.restart(NodeId{1});
  CHECK(h.node(1).in_doubt_tx() == std::optional<TxId>(TxId{3}));
  CHECK(h.armed(NodeId{1}, QueryTimer{}));
  h.deliver_all();
  require_all_at(h, 4, 5000);
  require_consistent(h);
}

TEST_CASE("two_phase_commit: a participant that missed a decision catches up from heartbeats") {
  Harness h(config_with());
  observe_all(h, true);
  h.fire(NodeId{0}, StageTimer{});
  while (h.outputs_of<DecisionMade>().empty()) REQUIRE(h.deliver_next());
  // Drop n2's decision; n2 stays in doubt until its query, which we also drop. Heartbeats alone
  // must not guess the outcome for an in-doubt node...
  std::erase_if(h.network(), [](const testing::Envelope& e) { return e.to == NodeId{2}; });
  h.deliver_all();
  h.fire(NodeId{0}, HeartbeatTimer{});
  h.deliver_all();
  // ...but the StateSync of the very tx it doubts resolves it (the coordinator committed it).
  CHECK(h.node(2).committed_state().version == 2);
  CHECK_FALSE(h.node(2).in_doubt_tx().has_value());
  require_consistent(h);
}

TEST_CASE("two_phase_commit: duplicated and reordered messages are harmless") {
  Harness h(config_with());
  observe_all(h, true);
  for (int stage = 0; stage < 3; ++stage) {
    h.fire(NodeId{0}, StageTimer{});
    // LIFO delivery with every message duplicated once: maximal reordering.
    std::size_t steps = 0;
    while (!h.network().empty() && steps++ < 10'000) {
      if (steps % 2 == 1) h.duplicate(h.network().size() - 1);
      h.deliver(h.network().size() - 1);
    }
    // Every ack may have arrived already, which cancels the retry timer.
    if (h.armed(NodeId{0}, DecisionRetryTimer{})) h.fire(NodeId{0}, DecisionRetryTimer{});
    h.deliver_all();
  }
  require_all_at(h, 4, 5000);
  require_consistent(h);
}

TEST_CASE("two_phase_commit: heartbeats and duplicate messages do not change an idle state") {
  Harness h(config_with());
  observe_all(h, true);
  for (int i = 0; i < 3; ++i) run_stage(h);
  const Node before = h.node(0);
  const Node before_participant = h.node(1);
  for (int i = 0; i < 5; ++i) {
    h.fire(NodeId{0}, HeartbeatTimer{});
    h.deliver_all();
  }
  CHECK(h.node(0) == before);
  CHECK(h.node(1) == before_participant);
}

TEST_CASE("two_phase_commit: predictions route by the committed canary weight") {
  Harness h(config_with());
  observe_all(h, true);
  run_stage(h);  // 5% = 500 bps
  h.input(NodeId{1}, Predict{1, 499});
  h.input(NodeId{1}, Predict{2, 500});
  h.input(NodeId{2}, Predict{3, 0});
  const auto served = h.outputs_of<PredictServed>();
  REQUIRE(served.size() == 3);
  CHECK(served[0].second == PredictServed{1, "v2", 2, true});
  CHECK(served[1].second == PredictServed{2, "v1", 2, false});
  CHECK(served[2].second.canary);
}

TEST_CASE("two_phase_commit: a one-node cluster commits every stage alone") {
  Harness h(config_with(), 1);
  observe_all(h, true);
  for (int i = 0; i < 3; ++i) h.fire(NodeId{0}, StageTimer{});
  CHECK(h.node(0).committed_state().canary_weight_bps == 5000);
}

TEST_CASE("two_phase_commit: stale prepares are ignored and known ones re-answered") {
  Harness h(config_with());
  observe_all(h, true);
  h.fire(NodeId{0}, StageTimer{});
  const testing::Envelope first_prepare = h.network()[0];
  h.deliver_all();
  run_stage(h);
  const Log log_before = *h.disk(1);
  // Re-deliver tx1's prepare after tx2: n1 re-sends its recorded vote, logs nothing.
  h.network().push_back(first_prepare);
  h.deliver_all();
  CHECK(*h.disk(1) == log_before);
  require_all_at(h, 3, 2000);
}

}  // namespace
}  // namespace faultline::two_phase_commit
