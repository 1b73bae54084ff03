// The generic harness's own semantics (harness.h), shown on two-phase commit, whose timers carry
// values (PrepareTimer{tx}) and whose coordinator arms several at once.
#include <catch2/catch.hpp>

#include "tests/protocols/two_phase_commit/steps.h"

namespace faultline::two_phase_commit {
namespace {

using namespace testing;  // Harness and the steps of steps.h

TEST_CASE("harness: a timer is armed once, re-armed by setting it again, disarmed by a crash") {
  Harness h(Config{});
  const NodeId coordinator{0};
  CHECK(h.timers(coordinator) == std::vector<Timer>{HeartbeatTimer{}, StageTimer{}});
  h.fire(coordinator, HeartbeatTimer{});  // disarmed, then re-armed by the handler
  CHECK(h.timers(coordinator) == std::vector<Timer>{StageTimer{}, HeartbeatTimer{}});
  CHECK(h.last_effects().timers().size() == 1);
  h.crash(coordinator);
  CHECK(h.timers(coordinator).empty());
  CHECK(h.last_effects().empty());
  h.restart(coordinator);
  CHECK(h.armed(coordinator, StageTimer{}));
  CHECK(h.armed(coordinator, HeartbeatTimer{}));
}

TEST_CASE(
    "harness: a cancelled timer is not armed, and firing it on purpose reaches a handler "
    "that ignores it") {
  Harness h(Config{});
  observe_all(h, true);
  run_stage(h);  // tx1 commits: its prepare timer was cancelled by the decision
  const Timer stale = PrepareTimer{TxId{1}};
  CHECK_FALSE(h.armed(NodeId{0}, stale));
  const Node before = h.node(0);
  h.fire_unarmed(NodeId{0}, stale);
  CHECK(h.last_effects().empty());
  CHECK(h.node(0) == before);
}

TEST_CASE("harness: a crash keeps messages in flight, delivering one to a down node loses it") {
  Harness h(Config{});
  observe_all(h, true);
  h.fire(NodeId{0}, StageTimer{});
  REQUIRE(h.network().size() == 2);  // a prepare to n1 and one to n2
  h.crash(NodeId{2});
  REQUIRE(h.network().size() == 2);
  CHECK(h.deliver_next());        // n1 votes
  CHECK_FALSE(h.deliver_next());  // n2 is down: lost
  CHECK_FALSE(h.up(2));
  CHECK(h.last_effects().empty());
  CHECK(h.network().size() == 1);  // n1's vote
  CHECK_FALSE(h.input(NodeId{2}, Predict{1, 0}));
  CHECK(h.outputs_of<PredictServed>().empty());
}

TEST_CASE("harness: restart builds the node from its last persisted durable state") {
  Harness h(Config{});
  observe_all(h, true);
  h.fire(NodeId{0}, StageTimer{});
  h.deliver_next();  // n1 votes yes: PREPARED is on its disk
  const Log persisted = *h.disk(1);
  h.crash(NodeId{1});
  h.restart(NodeId{1});
  CHECK(h.node(1).log() == persisted);
  CHECK(h.node(1).in_doubt_tx() == std::optional<TxId>(TxId{1}));
  CHECK(h.timers(NodeId{1}) == std::vector<Timer>{QueryTimer{}});
}

TEST_CASE("harness: duplicate appends a copy after every other message, drop and cut remove") {
  Harness h(Config{});
  observe_all(h, true);
  h.fire(NodeId{0}, StageTimer{});
  h.duplicate(0);
  REQUIRE(h.network().size() == 3);
  CHECK(h.network()[2].to == NodeId{1});
  CHECK(h.network()[2].message == h.network()[0].message);
  h.drop(1);
  CHECK(h.network().size() == 2);
  CHECK(h.deliver_all(2) == 2);  // n1 answers the prepare and its copy alike
  CHECK(h.network().size() == 2);
  h.cut(NodeId{1});
  CHECK(h.network().empty());
}

}  // namespace
}  // namespace faultline::two_phase_commit
