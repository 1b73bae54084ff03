// The linearizability checker wired into the simulator: a small primary/backup register runs in
// the engine, its client history goes through history_from_simulation(), and the
// `linearizable` history check must pass the correct variant and catch the known-wrong one
// (backups answering reads from their own, asynchronously replicated, copy).
#include <catch2/catch.hpp>

#include "checkers/linearizability/simulation_bridge.h"
#include "sim/core/protocol.h"
#include "sim/engine/simulation.h"

using namespace faultline;

namespace toy {

struct Replicate {
  static constexpr std::string_view type_name = "Replicate";
  std::int64_t value = 0;
  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("value", s.value);
  }
  friend bool operator==(const Replicate&, const Replicate&) = default;
};
struct Forward {  // a client request relayed to the primary
  static constexpr std::string_view type_name = "Forward";
  std::uint64_t request_id = 0;
  bool write = false;
  std::int64_t value = 0;
  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("request_id", s.request_id);
    v("write", s.write);
    v("value", s.value);
  }
  friend bool operator==(const Forward&, const Forward&) = default;
};
struct Answer {  // the primary's answer, back to the relaying node
  static constexpr std::string_view type_name = "Answer";
  std::uint64_t request_id = 0;
  bool write = false;
  std::int64_t value = 0;
  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("request_id", s.request_id);
    v("write", s.write);
    v("value", s.value);
  }
  friend bool operator==(const Answer&, const Answer&) = default;
};
using Message = std::variant<Replicate, Forward, Answer>;

struct Request {
  static constexpr std::string_view type_name = "Request";
  std::uint64_t request_id = 0;
  bool write = false;
  std::int64_t value = 0;
  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("request_id", s.request_id);
    v("write", s.write);
    v("value", s.value);
  }
  friend bool operator==(const Request&, const Request&) = default;
};
using Done = Answer;
struct Nothing {
  static constexpr std::string_view type_name = "Nothing";
  template <class S, class V>
  static void fields(S&, V&&) {}
  friend bool operator==(const Nothing&, const Nothing&) = default;
};
struct Config {
  static constexpr std::string_view type_name = "Config";
  bool stale_reads = false;  // the bug: backups answer reads from their own copy
  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("stale_reads", s.stale_reads);
  }
  Result<void> validate(std::uint32_t) const { return {}; }
};

struct Register;

class Node {
 public:
  Node(const Config& config, NodeId self, std::uint32_t node_count, std::optional<Nothing>)
      : stale_reads_(config.stale_reads), self_(self), node_count_(node_count) {}
  // Handlers are templates on the outbox so the protocol tag can be completed after Node.
  template <class Out>
  void on_start(Out&) {}
  template <class Out>
  void on_timer(const Nothing&, Out&) {}
  template <class Out>
  void on_input(const Request& r, Out& out) {
    if (self_.value == 0) return serve(r.request_id, r.write, r.value, self_, out);
    if (!r.write && stale_reads_) return out.emit(Done{r.request_id, false, value_});
    out.send(NodeId{0}, Forward{r.request_id, r.write, r.value});
  }
  template <class Out>
  void on_message(NodeId from, const Message& m, Out& out) {
    if (const auto* rep = std::get_if<Replicate>(&m)) value_ = rep->value;
    if (const auto* f = std::get_if<Forward>(&m))
      serve(f->request_id, f->write, f->value, from, out);
    if (const auto* a = std::get_if<Answer>(&m)) out.emit(*a);
  }
  std::string_view role() const { return self_.value == 0 ? "primary" : "backup"; }
  friend bool operator==(const Node&, const Node&) = default;
  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("value", s.value_);
  }

 private:
  template <class Out>
  void serve(std::uint64_t request_id, bool write, std::int64_t value, NodeId origin, Out& out) {
    if (write) {
      value_ = value;
      for (std::uint32_t i = 1; i < node_count_; ++i) out.send(NodeId{i}, Replicate{value});
    }
    const Answer answer{request_id, write, value_};
    if (origin == self_)
      out.emit(answer);
    else
      out.send(origin, answer);
  }
  bool stale_reads_;
  NodeId self_;
  std::uint32_t node_count_;
  std::int64_t value_ = 0;
};

struct WorkloadConfig {
  static constexpr std::string_view type_name = "WorkloadConfig";
  template <class S, class V>
  static void fields(S&, V&&) {}
  Result<void> validate(std::uint32_t) const { return {}; }
};

class Workload : public WorkloadDefaults<Register> {
 public:
  Workload(const WorkloadConfig&, const Config&, std::uint32_t node_count, Rng rng)
      : node_count_(node_count), rng_(rng) {}
  template <class Sink>
  void start(Sink& sink) {
    // 300 operations, one every 3ms, from 5 clients to random nodes; writes carry unique values.
    for (std::uint64_t i = 1; i <= 300; ++i) {
      const bool write = rng_.chance(Ratio{1, 2});
      const NodeId node{static_cast<std::uint32_t>(rng_.below(node_count_))};
      sink.submit(Time{} + Duration::from_milliseconds(3) * static_cast<std::int64_t>(i), node,
                  ClientId{static_cast<std::uint32_t>(i % 5)},
                  Request{i, write, static_cast<std::int64_t>(i)});
    }
  }
  template <class Sink>
  void on_output(Time, NodeId, const Done&, Sink&) {}

 private:
  std::uint32_t node_count_;
  Rng rng_;
};

struct Register {
  static constexpr std::string_view name = "toy_register";
  using Config = toy::Config;
  using Node = toy::Node;
  using Message = toy::Message;
  using Timer = Nothing;
  using Durable = Nothing;
  using Input = Request;
  using Output = Done;
  using WorkloadConfig = toy::WorkloadConfig;
  using Workload = toy::Workload;
  static std::vector<std::string> role_names() { return {"primary", "backup"}; }
};

// The register's client operations, for the linearizability bridge.
struct Mapping {
  std::optional<lin::Call> call(const Request& r) const {
    if (r.write) return lin::Call{r.request_id, "", lin::OpKind::write, lin::Value{r.value}, {}};
    return lin::Call{r.request_id, "", lin::OpKind::read, {}, {}};
  }
  std::optional<lin::Reply> reply(const Done& d) const {
    // The register starts at 0, which the model calls nil (writes use values from 1 up).
    const lin::Value read = d.value == 0 ? lin::Value{} : lin::Value{d.value};
    return lin::Reply{d.request_id, lin::Reply::Status::ok, d.write ? lin::Value{} : read};
  }
};

}  // namespace toy

static_assert(Protocol<toy::Register>);

namespace {

RunOutcome run_register(bool stale_reads, std::uint64_t seed, bool crash_backup = false) {
  LoadedScenario<toy::Register> loaded;
  loaded.scenario.name = "register";
  loaded.scenario.node_names = {"n0", "n1", "n2"};
  loaded.scenario.network.latency = {scenario::LatencyModel::Shape::uniform,
                                     Duration::from_milliseconds(1),
                                     Duration::from_milliseconds(20),
                                     {3, 2},
                                     Ratio::zero()};
  loaded.scenario.run.until = Duration::from_seconds(2);
  if (crash_backup)
    loaded.scenario.faults.push_back(
        scenario::Fault{Time{} + Duration::from_milliseconds(400),
                        scenario::Crash{{scenario::NodeSelector{"n2", "", 0}}}, "", 0});
  loaded.config.stale_reads = stale_reads;
  CheckSuite<toy::Register> suite;
  suite.history_checks.push_back(
      lin::linearizable_check<toy::Register>(lin::ModelKind::register_rw, toy::Mapping{}));
  RunOptions options;
  options.seed = seed;
  return run_simulation(loaded, suite, options);
}

}  // namespace

TEST_CASE("the simulator's client history converts into a linearizability history") {
  faultline::History<toy::Register> recorded;
  recorded.invocations.push_back(
      {Time{10}, NodeId{0}, ClientId{1}, toy::Request{1, true, 5}, true});
  recorded.invocations.push_back(
      {Time{20}, NodeId{1}, ClientId{2}, toy::Request{2, false, 0}, true});
  recorded.invocations.push_back(
      {Time{30}, NodeId{2}, ClientId{3}, toy::Request{3, false, 0}, false});
  recorded.emissions.push_back({Time{40}, NodeId{1}, toy::Done{2, false, 5}});
  recorded.emissions.push_back({Time{50}, NodeId{0}, toy::Done{1, true, 5}});
  recorded.emissions.push_back(
      {Time{60}, NodeId{0}, toy::Done{1, true, 5}});  // a duplicate reply: ignored
  const lin::History h = lin::history_from_simulation<toy::Register>(recorded, toy::Mapping{});
  REQUIRE(h.operations.size() == 3);
  CHECK(h.operations[0].invoke_ns == 10);
  CHECK(h.operations[0].return_ns == 50);
  CHECK(h.operations[1].result == lin::Value{std::int64_t{5}});
  CHECK(h.operations[1].return_ns == 40);
  CHECK_FALSE(h.operations[2].return_ns.has_value());  // lost at a down node: outcome unknown
  CHECK(h.operations[2].client == 3);
}

TEST_CASE("the linearizable check passes the correct register and catches stale reads") {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const RunOutcome outcome = run_register(false, seed, seed % 2 == 0);
    INFO("seed " << seed << ": " << outcome.failure);
    CHECK(outcome.status == RunStatus::passed);
  }
  std::uint64_t caught = 0;
  std::string detail;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const RunOutcome outcome = run_register(true, seed);
    if (outcome.status != RunStatus::safety_violation) continue;
    ++caught;
    for (const auto& v : outcome.verdicts)
      if (v.name == "linearizable" && !v.passed) detail = v.detail;
  }
  CHECK(caught >= 10);
  CHECK(detail.find("not linearizable") != std::string::npos);
}
