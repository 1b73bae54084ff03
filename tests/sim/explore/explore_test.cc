// The model checker on protocol-free subjects: ping's pinned state count, transition properties
// on a toy protocol (a step into a state seen before is still checked, each distinct step is
// evaluated once, crashes and restarts are steps), schedule shrinking (a recorded run reduced to
// the steps its violation needs), and malformed counterexample files. Each
// protocol's model-checker tests are in tests/protocols/<protocol>/explore_test.cc.
#include <catch2/catch.hpp>

#include <functional>
#include <set>
#include <tuple>

#include "protocols/ping/ping.h"
#include "sim/explore/counterexample.h"
#include "sim/explore/exact_set.h"
#include "sim/explore/explorer.h"
#include "sim/explore/replay.h"
#include "sim/explore/schedule_shrink.h"

namespace faultline::explore {
namespace {

// The exact set keeps two states whose fingerprints collide apart, where the fingerprint set
// (VisitedSet) cannot: what --exact is for.
TEST_CASE("explore: the exact set tells apart states with one fingerprint", "[explore]") {
  ExactSet exact;
  VisitedSet fingerprints;
  const std::vector<std::uint64_t> a = {1, 2, 3};
  const std::vector<std::uint64_t> b = {1, 2, 4};
  const std::vector<std::uint64_t> longer = {1, 2, 3, 0};
  CHECK(exact.insert(42, a));
  CHECK_FALSE(exact.insert(42, a));
  CHECK(exact.insert(42, b));       // same fingerprint, another state
  CHECK(exact.insert(42, longer));  // a prefix is not the same key
  CHECK(exact.size() == 3);
  CHECK(fingerprints.insert(42));
  CHECK_FALSE(fingerprints.insert(42));  // the collision a fingerprint set cannot see
  // Many keys across arena blocks and index growth all stay found.
  std::vector<std::uint64_t> key(7);
  for (std::uint64_t i = 0; i < 50'000; ++i) {
    key.assign(7, i);
    REQUIRE(exact.insert(i % 97, key));
  }
  for (std::uint64_t i = 0; i < 50'000; i += 7) {
    key.assign(7, i);
    REQUIRE_FALSE(exact.insert(i % 97, key));
  }
  CHECK(exact.size() == 50'003);
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

// ---- schedule shrinking -----------------------------------------------------------------

// A recorded run of 24 steps: inputs setting bits 0..9, alternating between n0 and n1, with
// crashes and restarts of n1 between them (a restart recovers the bits from disk). Only n0's
// bit 4 and n1's bit 7 matter to the property.
RecordedSchedule<BitsProtocol> recorded_bits_run() {
  ScheduleRecorder<BitsProtocol> recorder;
  for (std::uint32_t bit = 0; bit < 10; ++bit) {
    const NodeId node{bit % 2};
    recorder.input_handled(node, bits::SetBit{bit});
    if (bit % 3 == 0) {
      recorder.crashed(NodeId{1});
      recorder.restarted(NodeId{1});
    }
  }
  return recorder.take();
}

Property<BitsProtocol> n0_bit4_and_n1_bit7() {
  Property<BitsProtocol> property;
  property.name = "not_4_and_7";
  property.check = [](const ClusterView<BitsProtocol>& view) -> std::optional<std::string> {
    const auto& n0 = view.nodes[0];
    const auto& n1 = view.nodes[1];
    if (n0 && n1 && (n0->bits() >> 4 & 1) != 0 && (n1->bits() >> 7 & 1) != 0)
      return "n0 holds bit 4 and n1 bit 7";
    return std::nullopt;
  };
  return property;
}

TEST_CASE("explore: a recorded schedule shrinks to the steps the violation needs", "[explore]") {
  const RecordedSchedule<BitsProtocol> recorded = recorded_bits_run();
  REQUIRE(recorded.steps.size() == 18);
  Model<BitsProtocol> m = bits::model(2, {});
  m.model_inputs = recorded.inputs;
  m.crashes_max = recorded.crashes;
  const std::vector<Property<BitsProtocol>> properties{n0_bit4_and_n1_bit7()};
  const auto shrunk = shrink_schedule(m, properties, recorded, 1000);
  REQUIRE(shrunk.has_value());
  CHECK(shrunk->property == "not_4_and_7");
  CHECK(shrunk->recorded == 18);
  CHECK(shrunk->to_violation == 14);  // up to n1's input of bit 7
  CHECK_FALSE(shrunk->runs_exhausted);
  // Exactly the two inputs, in their recorded order: 1-minimal, and a subsequence of the run.
  REQUIRE(shrunk->actions.size() == 2);
  CHECK(shrunk->actions[0] == Action{ActionKind::input, 0, 4});
  CHECK(shrunk->actions[1] == Action{ActionKind::input, 1, 7});
  // Written as a counterexample, it replays to the same violation at its last step.
  Violation violation{shrunk->property, shrunk->detail, 0, {}};
  violation.initial_state = world_fingerprint(Stepper<BitsProtocol>(m).initial());
  violation.steps = trace_actions(m, shrunk->actions);
  const Counterexample file = make_counterexample(m, violation, {}, Strategy::bfs);
  const auto replayed = replay_counterexample<BitsProtocol>(file, properties);
  REQUIRE(replayed.has_value());
  CHECK(replayed->reproduced);
  CHECK(replayed->violation_step == 2);
}

TEST_CASE("explore: a schedule that violates nothing under the stepper does not shrink",
          "[explore]") {
  const RecordedSchedule<BitsProtocol> recorded = recorded_bits_run();
  Model<BitsProtocol> m = bits::model(2, {});
  m.model_inputs = recorded.inputs;
  m.crashes_max = recorded.crashes;
  Property<BitsProtocol> never = n0_bit4_and_n1_bit7();
  never.check = [](const ClusterView<BitsProtocol>&) -> std::optional<std::string> {
    return std::nullopt;
  };
  CHECK_FALSE(shrink_schedule(m, std::vector<Property<BitsProtocol>>{never}, recorded, 1000));
}

// A candidate that removes a crash leaves its restart disabled: the restart is skipped, not an
// error, and the run goes on.
TEST_CASE("explore: a candidate skips the steps it left disabled", "[explore]") {
  const RecordedSchedule<BitsProtocol> recorded = recorded_bits_run();
  Model<BitsProtocol> m = bits::model(2, {});
  m.model_inputs = recorded.inputs;
  m.crashes_max = recorded.crashes;
  const std::vector<Property<BitsProtocol>> properties{n0_bit4_and_n1_bit7()};
  const std::vector<ActionKind> kinds = detail::kinds_of(recorded.steps);
  std::vector<std::size_t> without_first_crash;
  for (std::size_t i = 0; i < recorded.steps.size(); ++i)
    if (i != 1) without_first_crash.push_back(i);  // step 1: crash n1 after bit 0
  const ScheduleRun run = run_schedule(m, properties, recorded, kinds, without_first_crash);
  CHECK(run.property == "not_4_and_7");
  CHECK(std::find(run.executed.begin(), run.executed.end(), 2) == run.executed.end());
  CHECK(run.executed.size() == 12);  // 14 up to the violation, less the crash and its restart
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
