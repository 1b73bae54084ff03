// Random schedules in the harness: any order of deliveries, drops, duplicates, timer firings,
// crashes, restarts and health changes never violates an always-property with bug = none; once
// the faults stop and every node is back, the cluster terminates (everyone agrees, no doubt).
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "checkers/two_phase_commit/suite.h"
#include "sim/core/describe.h"
#include "tests/protocols/two_phase_commit/steps.h"

namespace faultline::two_phase_commit {
namespace {

using namespace testing;  // Harness and the steps of steps.h

std::optional<std::string> first_violation(const Harness& h,
                                           const CheckSuite<TwoPhaseCommit>& suite) {
  for (const auto& property : suite.properties)
    if (property.kind == PropertyKind::always)
      if (auto why = property.check(h.view())) return property.name + ": " + *why;
  return std::nullopt;
}

// rapidcheck scales inRange by the test size (small early on); schedules want the full range.
template <class T>
T pick(T low, T high) {
  return *rc::gen::resize(100, rc::gen::inRange<T>(low, high));
}

void random_step(Harness& h) {
  const auto n = h.node_count();
  const auto action = pick<int>(0, 100);
  const NodeId node{pick<std::uint32_t>(0, n)};
  if (action < 62) {
    if (!h.network().empty()) h.deliver(pick<std::size_t>(0, h.network().size()));
  } else if (action < 66) {
    if (!h.network().empty()) h.drop(pick<std::size_t>(0, h.network().size()));
  } else if (action < 70) {
    if (!h.network().empty() && h.network().size() < 64)
      h.duplicate(pick<std::size_t>(0, h.network().size()));
  } else if (action < 84) {
    // The coordinator drives progress: give its timers half of the firings.
    const NodeId owner = *rc::gen::arbitrary<bool>() ? NodeId{0} : node;
    const auto& timers = h.timers(owner);
    if (!timers.empty()) h.fire(owner, Timer{timers[pick<std::size_t>(0, timers.size())]});
  } else if (action < 88) {
    if (h.up(node.value)) h.crash(node);
  } else if (action < 94) {
    if (!h.up(node.value)) h.restart(node);
  } else {
    observe(h, node, *rc::gen::weightedElement<bool>({{4, true}, {1, false}}));
  }
}

// After the faults: every node up and healthy, timers fire and messages flow until quiet.
void converge(Harness& h) {
  for (std::uint32_t i = 0; i < h.node_count(); ++i)
    if (!h.up(i)) h.restart(NodeId{i});
  observe_all(h, true);
  for (int round = 0; round < 30; ++round) {
    for (std::uint32_t i = 0; i < h.node_count(); ++i) {
      const std::vector<Timer> armed = h.timers(NodeId{i});
      for (const Timer& t : armed) h.fire(NodeId{i}, t);
    }
    h.deliver_all();
  }
}

TEST_CASE("two_phase_commit: random schedules never violate safety, then terminate") {
  const bool ok = rc::check("random schedule", [] {
    Config config;
    config.cooperative_termination = *rc::gen::arbitrary<bool>();
    config.on_abort = *rc::gen::element(OnAbort::rollback, OnAbort::halt);
    const auto nodes = pick<std::uint32_t>(2, 6);
    Harness h(config, nodes);
    observe_all(h, true);
    const auto suite = check_suite(config);
    const auto steps = pick<int>(50, 400);
    for (int i = 0; i < steps; ++i) {
      random_step(h);
      const auto why = first_violation(h, suite);
      if (why) RC_FAIL("step " + std::to_string(i) + ": " + *why);
    }
    RC_TAG(check_committed_a_stage(h.view()) ? "nothing committed under faults"
                                             : "committed under faults");
    converge(h);
    RC_TAG(h.node(0).committed_state().status == RoutingStatus::rolled_back ? "rolled back"
                                                                            : "not rolled back");
    if (const auto why = first_violation(h, suite)) RC_FAIL("after convergence: " + *why);
    if (const auto why = check_termination(h.view())) RC_FAIL("termination: " + *why);
  });
  CHECK(ok);
}

TEST_CASE("two_phase_commit: random schedules find the bug switches") {
  // Not a proof, a smoke test: over many random schedules each bug violates some property.
  for (const Bug bug : {Bug::commit_on_majority, Bug::forget_vote_on_restart}) {
    INFO("bug " << to_string(bug));
    bool found = false;
    for (std::uint64_t attempt = 0; attempt < 300 && !found; ++attempt) {
      Config config;
      config.bug = bug;
      config.cooperative_termination = attempt % 2 == 0;
      Harness h(config, 3);
      observe_all(h, true);
      const auto suite = check_suite(config);
      // A cheap deterministic "random" walk: a splitmix-style sequence drives the choices.
      std::uint64_t state = attempt * 0x9E3779B97F4A7C15ULL + 1;
      const auto next = [&](std::uint64_t bound) {
        state ^= state >> 30;
        state *= 0xBF58476D1CE4E5B9ULL;
        state ^= state >> 27;
        state *= 0x94D049BB133111EBULL;
        state ^= state >> 31;
        return state % bound;
      };
      for (int i = 0; i < 400 && !found; ++i) {
        const auto action = next(100);
        const NodeId node{static_cast<std::uint32_t>(next(3))};
        if (action < 50) {
          if (!h.network().empty()) h.deliver(next(h.network().size()));
        } else if (action < 75) {
          const auto& timers = h.timers(node);
          if (!timers.empty()) h.fire(node, Timer{timers[next(timers.size())]});
        } else if (action < 82) {
          if (h.up(node.value)) h.crash(node);
        } else if (action < 92) {
          if (!h.up(node.value)) h.restart(node);
        } else {
          observe(h, node, next(3) != 0);
        }
        found = first_violation(h, suite).has_value();
      }
    }
    CHECK(found);
  }
}

}  // namespace
}  // namespace faultline::two_phase_commit
