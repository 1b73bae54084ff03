// The model checker: pinned state counts (so an accidental change to a protocol or to the
// explorer shows up), the 2PC bug switches found with shortest counterexamples, no violation
// without a bug, and the counterexample file round trip through replay.
//
// Pinned configurations (all 2PC ones use stages=[1/2], on_abort=halt: a rollback retry takes a
// fresh tx id each time, so with on_abort=rollback the space is infinite; README.md, "Budgets and
// what makes a space infinite").
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <deque>
#include <set>
#include <tuple>

#include "checkers/two_phase_commit/binding.h"
#include "protocols/ping/ping.h"
#include "sim/explore/counterexample.h"
#include "sim/explore/explorer.h"
#include "sim/explore/replay.h"

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

TEST_CASE("explore: ping state counts are pinned", "[explore]") {
  ping::Config config;
  config.tokens_per_node = 1;
  config.hops_max = 3;
  Model<ping::Ping> model;
  model.config = config;
  model.node_count = 3;
  const SearchResult r = explore(model, std::vector<Property<ping::Ping>>{}, SearchOptions{});
  // Each of the 3 tokens is delivered 3 times (hops 0, 1, 2) and its walk is fixed, so a state is
  // how far each token has got: 4^3 states, and every path is 9 deliveries long.
  CHECK(r.exhausted);
  CHECK(r.states_unique == 64);
  CHECK(r.depth_reached == 9);
  CHECK_FALSE(r.violation);
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

// The full space is 16,092,952 states (depth 38; README.md, "Pinned state counts"): too slow for
// a unit test, while its 2,719,488 orbits take seconds.
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

// ---- transition properties -----------------------------------------------------------------

// Bits: each node holds a set of bits; an input SetBit{b} adds bit b and persists the set, so
// the order two inputs arrive in does not matter and two paths meet in one state. The steps
// into that state differ (from {0} or from {1}), which a transition property can tell apart.
namespace bits {
struct SetBit {
  static constexpr std::string_view type_name = "SetBit";
  std::uint32_t bit = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("bit", self.bit);
  }
  friend bool operator==(const SetBit&, const SetBit&) = default;
};
struct Bits {
  static constexpr std::string_view type_name = "Bits";
  std::uint64_t value = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("value", self.value);
  }
  friend bool operator==(const Bits&, const Bits&) = default;
};
struct Config {
  static constexpr std::string_view type_name = "Config";
  std::uint32_t unused = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("unused", self.unused);
  }
  friend bool operator==(const Config&, const Config&) = default;
  Result<void> validate(std::uint32_t) const { return {}; }
};
struct BitsProtocol;
class Node {
 public:
  Node(const Config&, NodeId, std::uint32_t, std::optional<Bits> recovered)
      : bits_(recovered.value_or(Bits{}).value) {}
  void on_start(Outbox<BitsProtocol>&) {}
  void on_message(NodeId, const std::variant<SetBit>&, Outbox<BitsProtocol>&) {}
  void on_timer(const SetBit&, Outbox<BitsProtocol>&) {}
  void on_input(const SetBit& input, Outbox<BitsProtocol>& out);
  std::string_view role() const { return "node"; }
  std::uint64_t bits() const { return bits_; }
  friend bool operator==(const Node&, const Node&) = default;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("bits", self.bits_);
  }

 private:
  std::uint64_t bits_ = 0;
};
struct BitsProtocol {
  static constexpr std::string_view name = "bits";
  using Config = bits::Config;
  using Node = bits::Node;
  using Message = std::variant<SetBit>;
  using Timer = SetBit;
  using Durable = Bits;
  using Input = SetBit;
  using Output = Bits;
};
inline void Node::on_input(const SetBit& input, Outbox<BitsProtocol>& out) {
  bits_ |= std::uint64_t{1} << input.bit;
  out.persist(Bits{bits_});
}

Model<BitsProtocol> model(std::uint32_t nodes,
                          std::vector<std::pair<std::uint32_t, std::uint32_t>> inputs) {
  Model<BitsProtocol> m;
  m.node_count = nodes;
  for (const auto& [node, bit] : inputs) m.model_inputs.emplace_back(NodeId{node}, SetBit{bit});
  return m;
}
}  // namespace bits

using bits::BitsProtocol;
using BitsStep = NodeStep<BitsProtocol>;

TEST_CASE("explore: a transition property is checked on a step into a state seen before",
          "[explore]") {
  // n0 gets bits 0 and 1 in either order. BFS reaches {0,1} first from {0}; the step from {1}
  // leads to that same state, and only that step breaks the property.
  const auto m = bits::model(1, {{0, 0}, {0, 1}});
  const std::vector<Property<BitsProtocol>> properties{transition_property<BitsProtocol>(
      "never_from_2_to_3", [](const BitsStep& step) -> std::optional<std::string> {
        if (step.before && step.after && step.before->bits() == 2 && step.after->bits() == 3)
          return "n0 went from {1} to {0,1}";
        return std::nullopt;
      })};
  for (const Strategy strategy : {Strategy::bfs, Strategy::dfs}) {
    SearchOptions options;
    options.strategy = strategy;
    const SearchResult r = explore(m, properties, options);
    REQUIRE(r.violation);
    CHECK(r.violation->property == "never_from_2_to_3");
    CHECK(r.violation->detail == "n0 went from {1} to {0,1}");
    REQUIRE(r.violation->steps.size() == 2);
    CHECK(r.violation->steps[0].text == "input n0 SetBit{bit=1}");
    CHECK(r.violation->steps[1].text == "input n0 SetBit{bit=0}");
    const Counterexample file = make_counterexample(m, *r.violation, {}, strategy);
    const auto replayed =
        replay_counterexample<BitsProtocol>(*counterexample_from_json(to_json(file)), properties);
    REQUIRE(replayed.has_value());
    CHECK(replayed->reproduced);
    CHECK_FALSE(replayed->divergence);
    CHECK(replayed->violation_step == 2);
    CHECK(replayed->detail == r.violation->detail);
  }
  SearchOptions random;
  random.strategy = Strategy::random;
  const SearchResult walked = explore(m, properties, random);
  REQUIRE(walked.violation);
  CHECK(walked.violation->steps.size() == 2);
}

TEST_CASE("explore: a transition property is evaluated once per distinct step of a node",
          "[explore]") {
  // Two nodes, each gets bits 0 and 1: each node steps 0->1, 0->2, 1->3 and 2->3, whatever the
  // other does, so 8 distinct steps among the many transitions of the 16 states.
  const auto m = bits::model(2, {{0, 0}, {0, 1}, {1, 0}, {1, 1}});
  std::set<std::tuple<std::uint32_t, std::uint64_t, std::uint64_t>> seen;
  std::uint64_t calls = 0;
  const std::vector<Property<BitsProtocol>> properties{transition_property<BitsProtocol>(
      "counts", [&](const BitsStep& step) -> std::optional<std::string> {
        ++calls;
        REQUIRE(step.before);
        REQUIRE(step.after);
        REQUIRE(step.disk_after);
        CHECK(step.disk_after->value == step.after->bits());  // the disk as the step left it
        CHECK((step.disk_before ? step.disk_before->value : 0) == step.before->bits());
        seen.emplace(step.node.value, step.before->bits(), step.after->bits());
        return std::nullopt;
      })};
  const SearchResult r = explore(m, properties, SearchOptions{});
  CHECK(r.exhausted);
  CHECK_FALSE(r.violation);
  CHECK(r.states_unique == 16);
  CHECK(calls == 8);
  CHECK(seen.size() == 8);
}

TEST_CASE("explore: crashes and restarts are steps a transition property sees", "[explore]") {
  auto m = bits::model(1, {{0, 0}});
  m.crashes_max = 1;
  const auto find = [&](std::function<std::optional<std::string>(const BitsStep&)> check) {
    const std::vector<Property<BitsProtocol>> properties{
        transition_property<BitsProtocol>("p", std::move(check))};
    const SearchResult r = explore(m, properties, SearchOptions{});
    REQUIRE(r.violation);
    std::vector<std::string> texts;
    for (const auto& step : r.violation->steps) texts.push_back(step.text);
    const Counterexample file = make_counterexample(m, *r.violation, {}, Strategy::bfs);
    const auto replayed =
        replay_counterexample<BitsProtocol>(*counterexample_from_json(to_json(file)), properties);
    REQUIRE(replayed.has_value());
    CHECK(replayed->reproduced);
    return texts;
  };
  // Down with bit 0 set: the crash is a step whose `after` is null; the disk stays.
  CHECK(find([](const BitsStep& s) -> std::optional<std::string> {
          if (s.after == nullptr && s.before->bits() == 1 && s.disk_after &&
              s.disk_after->value == 1)
            return "crashed holding bit 0";
          return std::nullopt;
        }) == std::vector<std::string>{"input n0 SetBit{bit=0}", "crash n0 (node)"});
  // Restarted from a disk holding bit 0: the restart is a step whose `before` is null.
  CHECK(find([](const BitsStep& s) -> std::optional<std::string> {
          if (s.before == nullptr && s.after->bits() == 1) return "recovered bit 0";
          return std::nullopt;
        }) == std::vector<std::string>{"input n0 SetBit{bit=0}", "crash n0 (node)", "restart n0"});
}

TEST_CASE("explore: malformed counterexample files are errors", "[explore]") {
  CHECK_FALSE(counterexample_from_json("").has_value());
  CHECK_FALSE(counterexample_from_json("{}").has_value());
  CHECK_FALSE(counterexample_from_json(R"({"format": "faultline-counterexample/1"})").has_value());
  CHECK_FALSE(from_hex("abc").has_value());
  CHECK_FALSE(from_hex("zz").has_value());
  CHECK(from_hex("00ff10") == std::vector<std::uint8_t>{0x00, 0xff, 0x10});
}

}  // namespace
}  // namespace faultline::explore
