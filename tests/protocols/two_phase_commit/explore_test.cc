// Two-phase commit under the model checker: pinned state counts (so an accidental change to the
// protocol or to the explorer shows up), participant symmetry, the strategies agreeing, the 2PC
// bug switches found with shortest counterexamples, no violation without a bug, and the
// counterexample file round trip through replay. The explorer's protocol-free tests (ping, a toy
// protocol for transition properties) are in tests/sim/explore/explore_test.cc.
//
// Pinned configurations (all use stages=[1/2], on_abort=halt: a rollback retry takes a fresh tx
// id each time, so with on_abort=rollback the space is infinite; sim/explore/README.md, "Budgets
// and what makes a space infinite").
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <deque>
#include <functional>

#include "checkers/two_phase_commit/binding.h"
#include "sim/explore/counterexample.h"
#include "sim/explore/explorer.h"
#include "sim/explore/replay.h"
#include "tools/faultline/run_tasks.h"

namespace faultline::explore {
namespace {

using two_phase_commit::TwoPhaseCommit;

two_phase_commit::Config small_config(two_phase_commit::Bug bug = two_phase_commit::Bug::none) {
  two_phase_commit::Config config;
  config.stages = {Ratio{1, 2}};
  config.on_abort = two_phase_commit::OnAbort::halt;
  config.bug = bug;
  return config;
}

struct TwoPhase {
  Model<TwoPhaseCommit> model;
  std::vector<Property<TwoPhaseCommit>> properties;
};

TwoPhase two_phase(std::uint32_t nodes, two_phase_commit::Bug bug = two_phase_commit::Bug::none) {
  const auto config = small_config(bug);
  return TwoPhase{*two_phase_commit::Binding::model(config, nodes, {}),
                  two_phase_commit::check_suite(config).properties};
}

SearchResult bfs(const TwoPhase& t, std::uint32_t depth_max = 0) {
  SearchOptions options;
  options.depth_max = depth_max;
  return explore(t.model, t.properties, options);
}

TEST_CASE("explore: 2PC with 1 participant, no faults, is exhausted at a pinned count",
          "[explore]") {
  const SearchResult r = bfs(two_phase(2));
  CHECK(r.exhausted);
  CHECK_FALSE(r.violation);
  CHECK(r.states_unique == 382);
  CHECK(r.depth_reached == 16);
  CHECK(r.sometimes_unreached.empty());
  CHECK(r.eventually_unchecked == std::vector<std::string>{"termination"});
}

TEST_CASE("explore: 2PC with 1 participant and 1 crash is exhausted at a pinned count",
          "[explore]") {
  TwoPhase t = two_phase(2);
  t.model.crashes_max = 1;
  const SearchResult r = bfs(t);
  CHECK(r.exhausted);
  CHECK_FALSE(r.violation);
  CHECK(r.states_unique == 1646);
}

TEST_CASE("explore: 2PC with 2 participants, no faults, is exhausted at a pinned count",
          "[explore]") {
  const SearchResult r = bfs(two_phase(3));
  CHECK(r.exhausted);
  CHECK_FALSE(r.violation);
  CHECK(r.states_unique == 74404);
  CHECK(r.depth_reached == 27);
  CHECK(r.sometimes_unreached.empty());
}

TEST_CASE("explore: 2PC with 2 participants and 1 crash is exhausted at a pinned count",
          "[explore]") {
  TwoPhase t = two_phase(3);
  t.model.crashes_max = 1;
  const SearchResult r = bfs(t);
  CHECK(r.exhausted);
  CHECK_FALSE(r.violation);
  CHECK(r.states_unique == 427936);
}

TEST_CASE("explore: 2PC with 3 participants on the set network is exhausted with no violation",
          "[explore]") {
  TwoPhase t = two_phase(4);
  t.model.sent_set = true;
  const SearchResult r = bfs(t);
  CHECK(r.exhausted);
  CHECK_FALSE(r.violation);
  CHECK(r.states_unique == 21062);
  CHECK(r.depth_reached == 24);
  CHECK(r.sometimes_unreached.empty());
}

TEST_CASE(
    "explore: 2PC with 3 participants on the multiset network, bounded depth, has no violation",
    "[explore]") {
  const SearchResult r = bfs(two_phase(4), 10);
  CHECK_FALSE(r.exhausted);
  CHECK(r.bound == Bound::depth);
  CHECK_FALSE(r.violation);
  CHECK(r.states_unique == 49467);
}

// Participant symmetry (Model::symmetry, `check --symmetry`): one state per renaming of the
// participants. The reduced count must be exactly the number of orbits of the full space.
TEST_CASE("explore: with symmetry, 2 participants give one state per orbit of the full space",
          "[explore]") {
  TwoPhase full = two_phase(3);
  TwoPhase reduced = two_phase(3);
  reduced.model.symmetry = two_phase_commit::Binding::symmetry(reduced.model);
  const SearchResult r = bfs(reduced);
  CHECK(r.exhausted);
  CHECK_FALSE(r.violation);
  CHECK(r.states_unique == 37393);
  CHECK(r.depth_reached == 27);  // renaming keeps depths: the same shortest paths
  // Brute force: every state of the full space (plain fingerprints), counted by its canonical
  // (least over renamings) fingerprint.
  Stepper<TwoPhaseCommit> plain(full.model);
  Stepper<TwoPhaseCommit> canonical(reduced.model);
  VisitedSet seen;
  VisitedSet orbits;
  std::deque<World<TwoPhaseCommit>> queue{plain.initial()};
  seen.insert(world_fingerprint(queue.front()));
  orbits.insert(canonical.fingerprint(queue.front()));
  std::vector<Action> actions;
  while (!queue.empty()) {
    const World<TwoPhaseCommit> world = std::move(queue.front());
    queue.pop_front();
    plain.actions(world, actions);
    for (const Action& action : actions) {
      World<TwoPhaseCommit> next = world;
      plain.step(next, action);
      if (!seen.insert(world_fingerprint(next))) continue;
      orbits.insert(canonical.fingerprint(next));
      queue.push_back(std::move(next));
    }
  }
  CHECK(seen.size() == 74404);
  CHECK(orbits.size() == r.states_unique);
}

TEST_CASE(
    "explore: with symmetry, 3 participants on the set network are exhausted at a pinned count",
    "[explore]") {
  TwoPhase t = two_phase(4);
  t.model.sent_set = true;
  t.model.symmetry = two_phase_commit::Binding::symmetry(t.model);
  const SearchResult r = bfs(t);
  CHECK(r.exhausted);
  CHECK_FALSE(r.violation);
  CHECK(r.states_unique == 4166);  // of 21062 states
  CHECK(r.depth_reached == 24);
}

// The full space is 16,092,952 states (depth 38; sim/explore/README.md, "Pinned state counts"): too
// slow for a unit test, while its 2,719,488 orbits take seconds.
TEST_CASE(
    "explore: with symmetry, 3 participants on the multiset network are exhausted with no "
    "violation",
    "[explore]") {
  TwoPhase t = two_phase(4);
  t.model.symmetry = two_phase_commit::Binding::symmetry(t.model);
  const SearchResult r = bfs(t);
  CHECK(r.exhausted);
  CHECK_FALSE(r.violation);
  CHECK(r.states_unique == 2719488);
  CHECK(r.depth_reached == 38);
  CHECK(r.sometimes_unreached.empty());
}

TEST_CASE(
    "explore: with symmetry, bug commit_on_majority is still found with a shortest counterexample "
    "that replays",
    "[explore]") {
  TwoPhase t = two_phase(3, two_phase_commit::Bug::commit_on_majority);
  t.model.symmetry = two_phase_commit::Binding::symmetry(t.model);
  const SearchResult r = bfs(t);
  REQUIRE(r.violation);
  CHECK(r.violation->property == "validity");
  CHECK(r.violation->steps.size() == 3);
  const Counterexample file =
      make_counterexample(t.model, *r.violation, {"bug=commit_on_majority"}, Strategy::bfs);
  const auto replayed =
      replay_counterexample<TwoPhaseCommit>(*counterexample_from_json(to_json(file)), t.properties);
  REQUIRE(replayed.has_value());
  CHECK(replayed->reproduced);
  CHECK_FALSE(replayed->divergence);
}

TEST_CASE("explore: renaming a 2PC node by a permutation and back gives the same node",
          "[explore]") {
  // Every node of every state of the 2-participant space, renamed by the swap of n1 and n2.
  const TwoPhase t = two_phase(3);
  Stepper<TwoPhaseCommit> stepper(t.model);
  const std::vector<NodeId> swap{NodeId{0}, NodeId{2}, NodeId{1}};
  World<TwoPhaseCommit> world = stepper.initial();
  std::vector<Action> actions;
  std::size_t renamed_coordinators_with_votes = 0;
  for (int depth = 0; depth < 30; ++depth) {
    for (const auto* slot : world.slots) {
      if (!slot->node) continue;
      const two_phase_commit::Node once = slot->node->renamed(swap);
      CHECK(once.id() == swap[slot->node->id().value]);
      CHECK(once.renamed(swap) == *slot->node);
      if (const auto* c = slot->node->coordinator(); c != nullptr && c->active) {
        ++renamed_coordinators_with_votes;
        CHECK(once.coordinator()->active->votes[1] == c->active->votes[2]);
      }
    }
    stepper.actions(world, actions);
    if (actions.empty()) break;
    stepper.step(world, actions[actions.size() / 2]);
  }
  CHECK(renamed_coordinators_with_votes > 0);
}

TEST_CASE("explore: bfs and dfs agree on an exhausted space", "[explore]") {
  TwoPhase t = two_phase(2);
  t.model.crashes_max = 1;
  SearchOptions options;
  options.strategy = Strategy::dfs;
  const SearchResult dfs = explore(t.model, t.properties, options);
  CHECK(dfs.exhausted);
  CHECK(dfs.states_unique == 1646);
}

TEST_CASE("explore: the guided strategy expands every state bfs does, and finds the same bugs",
          "[explore]") {
  SearchOptions options;
  options.strategy = Strategy::guided;
  const SearchResult all = explore(two_phase(3).model, two_phase(3).properties, options);
  CHECK(all.exhausted);
  CHECK_FALSE(all.violation);
  CHECK(all.states_unique == 74404);  // the pinned bfs count: only the order differs
  TwoPhase crash = two_phase(3);
  crash.model.crashes_max = 1;
  CHECK(explore(crash.model, crash.properties, options).states_unique == 427936);
  const TwoPhase buggy = two_phase(3, two_phase_commit::Bug::commit_on_majority);
  const SearchResult found = explore(buggy.model, buggy.properties, options);
  REQUIRE(found.violation);
  CHECK(found.violation->property == "validity");
  const Counterexample file =
      make_counterexample(buggy.model, *found.violation, {}, Strategy::guided);
  const auto replayed = replay_counterexample<TwoPhaseCommit>(file, buggy.properties);
  REQUIRE(replayed.has_value());
  CHECK(replayed->reproduced);
}

TEST_CASE("explore: the random strategy is seeded and never claims exhaustion", "[explore]") {
  SearchOptions options;
  options.strategy = Strategy::random;
  options.depth_max = 30;
  options.states_max = 2000;
  options.seed = 7;
  const TwoPhase t = two_phase(3);
  const SearchResult a = explore(t.model, t.properties, options);
  const SearchResult b = explore(t.model, t.properties, options);
  CHECK_FALSE(a.exhausted);
  CHECK(a.states_unique == b.states_unique);
  CHECK(a.states_explored == b.states_explored);
}

TEST_CASE("explore: re-arming an armed timer leaves the state unchanged", "[explore]") {
  const TwoPhase t = two_phase(2);
  Stepper<TwoPhaseCommit> stepper(t.model);
  World<TwoPhaseCommit> world = stepper.initial();
  SentMessages<TwoPhaseCommit> sent;
  HistoryLog<TwoPhaseCommit> history(t.model);
  Driver<TwoPhaseCommit> driver{
      world, const_cast<NodeSlot<TwoPhaseCommit>&>(*world.slots[0]), NodeId{0}, 1, sent, history};
  const std::size_t armed = world.slots[0]->timers.size();
  REQUIRE(armed > 0);
  driver.set_timer(NodeId{0}, world.slots[0]->timers[0].timer, DurationRange{});
  CHECK(world.slots[0]->timers.size() == armed);
}

TEST_CASE("explore: a model that can never commit reports its sometimes property as unreached",
          "[explore]") {
  TwoPhase t = two_phase(3);
  t.model.boot_inputs.clear();  // no health evidence: every gate stays closed
  const SearchResult r = bfs(t);
  CHECK(r.exhausted);
  CHECK_FALSE(r.violation);
  CHECK(r.sometimes_unreached == std::vector<std::string>{"committed_a_stage"});
}

// --exact stores every state whole (exact_set.h): no fingerprint collision can skip one. It must
// find the pinned counts and the same shortest counterexamples as the fingerprint search.
TEST_CASE("explore: --exact finds the pinned counts and counterexamples", "[explore]") {
  static_assert(exact_capable<TwoPhaseCommit>);
  SearchOptions exact;
  exact.exact = true;
  const TwoPhase two = two_phase(3);
  const SearchResult r = explore(two.model, two.properties, exact);
  const SearchResult by_fingerprint = bfs(two);
  CHECK(r.exhausted);
  CHECK(r.states_unique == 74404);
  CHECK(r.depth_reached == 27);
  CHECK(r.states_explored == by_fingerprint.states_explored);
  CHECK(r.steps_checked == by_fingerprint.steps_checked);
  CHECK(r.sometimes_unreached.empty());

  TwoPhase crash = two_phase(3);
  crash.model.crashes_max = 1;
  CHECK(explore(crash.model, crash.properties, exact).states_unique == 427936);

  const TwoPhase majority = two_phase(3, two_phase_commit::Bug::commit_on_majority);
  const SearchResult bug = explore(majority.model, majority.properties, exact);
  REQUIRE(bug.violation);
  CHECK(bug.violation->property == "validity");
  CHECK(bug.violation->steps.size() == 3);

  TwoPhase forget = two_phase(2, two_phase_commit::Bug::forget_vote_on_restart);
  forget.model.crashes_max = 1;
  const SearchResult restart = explore(forget.model, forget.properties, exact);
  REQUIRE(restart.violation);
  CHECK(restart.violation->steps.size() == 5);
}

// Parallel search (SearchOptions::workers): the workers only build successors; settling stays in
// one worker's order, so every figure and counterexample equals the single worker's, whatever
// order the tasks run in (reversed here, and on the tool's threads).
void run_reversed(std::uint32_t count, const std::function<void(std::uint32_t)>& task) {
  for (std::uint32_t w = count; w-- > 0;) task(w);
}

SearchResult parallel(const TwoPhase& t, std::uint32_t workers, Strategy strategy = Strategy::bfs,
                      bool threads = true) {
  SearchOptions options;
  options.strategy = strategy;
  options.workers = workers;
  options.run_tasks = threads ? &cli::run_tasks_on_threads : &run_reversed;
  return explore(t.model, t.properties, options);
}

void require_same_search(const SearchResult& a, const SearchResult& b) {
  CHECK(a.states_unique == b.states_unique);
  CHECK(a.states_explored == b.states_explored);
  CHECK(a.depth_reached == b.depth_reached);
  CHECK(a.frontier_peak == b.frontier_peak);
  CHECK(a.steps_checked == b.steps_checked);
  CHECK(a.exhausted == b.exhausted);
  REQUIRE(a.violation.has_value() == b.violation.has_value());
  if (!a.violation) return;
  CHECK(a.violation->property == b.violation->property);
  REQUIRE(a.violation->steps.size() == b.violation->steps.size());
  for (std::size_t i = 0; i < a.violation->steps.size(); ++i)
    CHECK(a.violation->steps[i].text == b.violation->steps[i].text);
}

TEST_CASE("explore: a parallel search finds what one worker finds, in the same order",
          "[explore]") {
  const TwoPhase two = two_phase(3);
  const SearchResult one = bfs(two);
  CHECK(one.states_unique == 74404);
  require_same_search(parallel(two, 2), one);
  require_same_search(parallel(two, 3, Strategy::bfs, false), one);
  SearchOptions guided;
  guided.strategy = Strategy::guided;
  require_same_search(parallel(two, 2, Strategy::guided),
                      explore(two.model, two.properties, guided));

  TwoPhase crash = two_phase(3);
  crash.model.crashes_max = 1;
  CHECK(parallel(crash, 2).states_unique == 427936);

  const TwoPhase majority = two_phase(3, two_phase_commit::Bug::commit_on_majority);
  require_same_search(parallel(majority, 2), bfs(majority));
  TwoPhase forget = two_phase(2, two_phase_commit::Bug::forget_vote_on_restart);
  forget.model.crashes_max = 1;
  require_same_search(parallel(forget, 2, Strategy::bfs, false), bfs(forget));
  SearchOptions bounded;  // the depth bound is met inside a batch
  bounded.depth_max = 10;
  bounded.workers = 2;
  bounded.run_tasks = &cli::run_tasks_on_threads;
  const TwoPhase three = two_phase(4);
  const SearchResult deep = explore(three.model, three.properties, bounded);
  CHECK(deep.states_unique == 49467);
  CHECK(deep.bound == Bound::depth);
  require_same_search(deep, bfs(three, 10));
}

// The step memo (step_memo.h) replays a handler's remembered outcome instead of running it: the
// worlds it builds must be the very worlds the handlers build, so every figure and counterexample
// equals a search that runs every handler.
SearchResult without_step_memo(const TwoPhase& t, SearchOptions options = {}) {
  options.step_memo = false;
  return explore(t.model, t.properties, options);
}

TEST_CASE("explore: the step memo changes no count, queue or counterexample", "[explore]") {
  const TwoPhase two = two_phase(3);
  require_same_search(bfs(two), without_step_memo(two));
  TwoPhase faults = two_phase(2);  // every fault action, so every step kind is replayed
  faults.model.crashes_max = 1;
  faults.model.drops_max = 1;
  faults.model.duplicates_max = 1;
  faults.model.copies_max = 2;
  SearchOptions guided;
  guided.strategy = Strategy::guided;
  require_same_search(explore(faults.model, faults.properties, guided),
                      without_step_memo(faults, guided));
  require_same_search(bfs(faults), without_step_memo(faults));
  const TwoPhase majority = two_phase(3, two_phase_commit::Bug::commit_on_majority);
  require_same_search(bfs(majority), without_step_memo(majority));
  TwoPhase forget = two_phase(2, two_phase_commit::Bug::forget_vote_on_restart);
  forget.model.crashes_max = 1;
  require_same_search(bfs(forget), without_step_memo(forget));
  TwoPhase symmetric = two_phase(3);
  symmetric.model.symmetry = two_phase_commit::Binding::symmetry(symmetric.model);
  SearchOptions exact;
  exact.exact = true;
  require_same_search(explore(two.model, two.properties, exact), without_step_memo(two, exact));
  require_same_search(explore(symmetric.model, symmetric.properties, {}),
                      without_step_memo(symmetric));
}

TEST_CASE("explore: bug commit_on_majority is found with a shortest counterexample", "[explore]") {
  const SearchResult r = bfs(two_phase(3, two_phase_commit::Bug::commit_on_majority));
  REQUIRE(r.violation);
  CHECK(r.violation->property == "validity");
  REQUIRE(r.violation->steps.size() == 3);
  CHECK(r.violation->steps[0].text == "timer n0 StageTimer{}");
  CHECK(r.violation->steps[2].text == "deliver n1 -> n0 Vote{tx=tx1, yes=true}");
}

TEST_CASE("explore: bug commit_on_majority with a degraded participant breaks atomicity too",
          "[explore]") {
  TwoPhase t = two_phase(4, two_phase_commit::Bug::commit_on_majority);
  t.model.model_inputs.emplace_back(NodeId{3},
                                    two_phase_commit::Input{two_phase_commit::sick_observation()});
  // Checking atomicity alone: the commit must reach n0 while n3 logged its no vote (abort).
  std::vector<Property<TwoPhaseCommit>> atomicity;
  for (const auto& p : t.properties)
    if (p.name == "atomicity") atomicity.push_back(p);
  const SearchResult r = explore(t.model, atomicity, SearchOptions{});
  REQUIRE(r.violation);
  CHECK(r.violation->property == "atomicity");
  CHECK(r.violation->steps.size() == 7);
}

TEST_CASE("explore: bug forget_vote_on_restart is found with a shortest counterexample",
          "[explore]") {
  TwoPhase t = two_phase(2, two_phase_commit::Bug::forget_vote_on_restart);
  t.model.crashes_max = 1;
  const SearchResult r = bfs(t);
  REQUIRE(r.violation);
  CHECK(r.violation->property == "validity");
  REQUIRE(r.violation->steps.size() == 5);
  CHECK(r.violation->steps[3].text == "crash n1 (participant)");
  CHECK(r.violation->steps[4].text == "restart n1");
}

TEST_CASE(
    "explore: a counterexample file round-trips through JSON and replays to the same violation",
    "[explore]") {
  TwoPhase t = two_phase(2, two_phase_commit::Bug::forget_vote_on_restart);
  t.model.crashes_max = 1;
  const SearchResult r = bfs(t);
  REQUIRE(r.violation);
  const Counterexample file =
      make_counterexample(t.model, *r.violation, {"bug=forget_vote_on_restart"}, Strategy::bfs);
  const auto parsed = counterexample_from_json(to_json(file));
  REQUIRE(parsed.has_value());
  CHECK(to_json(*parsed) == to_json(file));
  const auto replayed = replay_counterexample<TwoPhaseCommit>(*parsed, t.properties);
  REQUIRE(replayed.has_value());
  CHECK(replayed->reproduced);
  CHECK_FALSE(replayed->divergence);
  CHECK(replayed->property == std::optional<std::string>("validity"));
  CHECK(replayed->violation_step == 5);
  CHECK(replayed->detail == r.violation->detail);

  SECTION("a truncated file replays without the violation") {
    Counterexample shorter = *parsed;
    shorter.steps.pop_back();
    const auto partial = replay_counterexample<TwoPhaseCommit>(shorter, t.properties);
    REQUIRE(partial.has_value());
    CHECK_FALSE(partial->property);
    CHECK_FALSE(partial->reproduced);
  }
  SECTION("a step that is not enabled is reported as a divergence") {
    Counterexample wrong = *parsed;
    wrong.steps[1].key ^= 1;
    const auto diverged = replay_counterexample<TwoPhaseCommit>(wrong, t.properties);
    REQUIRE(diverged.has_value());
    CHECK(diverged->divergence);
    CHECK_FALSE(diverged->reproduced);
  }
  SECTION("a file for another protocol is an error, not a crash") {
    Counterexample other = *parsed;
    other.protocol = "ping";
    CHECK_FALSE(replay_counterexample<TwoPhaseCommit>(other, t.properties).has_value());
  }
}

TEST_CASE("explore: bfs and dfs agree on every small 2PC model, and every counterexample replays",
          "[explore]") {
  rc::prop("small models", [] {
    const auto bug = static_cast<two_phase_commit::Bug>(*rc::gen::inRange(0, 3));
    const auto nodes = static_cast<std::uint32_t>(*rc::gen::inRange(2, 4));
    TwoPhase t = two_phase(nodes, bug);
    t.model.crashes_max = nodes == 2 ? static_cast<std::uint32_t>(*rc::gen::inRange(0, 2)) : 0;
    // 3 nodes on the multiset network is pinned above (74404 states); here keep each case fast.
    t.model.sent_set = nodes == 3 || *rc::gen::arbitrary<bool>();
    const SearchResult b = explore(t.model, t.properties, SearchOptions{});
    SearchOptions dfs_options;
    dfs_options.strategy = Strategy::dfs;
    const SearchResult d = explore(t.model, t.properties, dfs_options);
    RC_ASSERT(b.violation.has_value() == d.violation.has_value());
    if (!b.violation) {
      RC_ASSERT(b.exhausted && d.exhausted);
      RC_ASSERT(b.states_unique == d.states_unique);
      return;
    }
    RC_ASSERT(b.violation->steps.size() <= d.violation->steps.size());  // bfs: shortest
    for (const SearchResult* r : {&b, &d}) {
      const Counterexample file = make_counterexample(t.model, *r->violation, {}, Strategy::bfs);
      const auto replayed = replay_counterexample<TwoPhaseCommit>(
          *counterexample_from_json(to_json(file)), t.properties);
      RC_ASSERT(replayed.has_value());
      RC_ASSERT(replayed->reproduced);
      RC_ASSERT(!replayed->divergence);
    }
  });
}

}  // namespace
}  // namespace faultline::explore
