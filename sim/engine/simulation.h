// Simulation<P>: the seeded discrete-event simulator that runs protocol P's nodes on a virtual
// network, injects the scenario's faults, records the trace and the client history, and checks
// properties after every event (DESIGN.md 3-6).
//
// Determinism: one seed fixes everything. Events run in (time, sequence) order; the network,
// timers, faults, nemesis and workload each draw from their own named stream forked from the
// seed; no wall clock, no threads, no unordered iteration. The run fingerprint hashes every
// processed event (time, kind, endpoints and the encoded message/timer/input), so two runs of
// one seed agree on it exactly or something is nondeterministic.
//
// Checks: `always` properties after every event; `transition` properties on every step of a
// node (a handler run, a crash, a restart), given the node and its disk just before and just
// after it: the node is copied before a handler (into one reused slot, so the copy reuses its
// buffers) only when a selected transition property constrains steps from its state.
//
// Phases: the safety phase runs faults until scenario.run.until; then the liveness phase stops
// the faults (heals, makes the network reliable, restarts crashed and resumes paused nodes) and
// the run ends as soon as every `eventually` property holds at once, or fails once
// run.converge_within has passed without that.
//
// Invariants: a down node has no Node value and no armed timers; a paused node keeps its state
// and receives the events addressed to it only when resumed, in their original order.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "sim/core/apply.h"
#include "sim/core/assert.h"
#include "sim/core/check_suite.h"
#include "sim/core/codec.h"
#include "sim/core/describe.h"
#include "sim/core/fingerprint.h"
#include "sim/core/outbox.h"
#include "sim/core/property.h"
#include "sim/core/protocol.h"
#include "sim/core/rng.h"
#include "sim/core/workload.h"
#include "sim/engine/event_queue.h"
#include "sim/engine/network.h"
#include "sim/engine/stats.h"
#include "sim/scenario/scenario.h"
#include "sim/topology/reachability.h"

namespace faultline {

// A scenario with its protocol-specific parts decoded (see load_scenario.h).
template <class P>
struct LoadedScenario {
  scenario::Scenario scenario;
  typename P::Config config;
  typename P::WorkloadConfig workload;
  std::map<std::size_t, typename P::Input> operator_inputs;  // by index into scenario.faults
};

struct TraceEvent {
  Time time;
  std::string_view kind;  // deliver, drop, timer, input, output, crash, restart, ...
  std::string_view node;  // the node it happened at ("" for network-wide events)
  std::string_view peer;  // the sender of a delivered or dropped message, else ""
  std::string text;       // describe() of the message, timer, input or output; or fault text
};

class TraceSink {
 public:
  virtual void record(const TraceEvent& event) = 0;

 protected:
  ~TraceSink() = default;
};

struct RunOptions {
  std::uint64_t seed = 1;
  TraceSink* trace = nullptr;
  bool wire_check = false;                 // round-trip every message through the codec
  std::uint64_t events_max = 200'000'000;  // a run that needs more is reported, not hung
};

struct CheckVerdict {
  std::string name;
  std::string kind;  // always, sometimes, eventually, history, expect
  bool passed = true;
  std::string detail;
};

enum class RunStatus { passed, safety_violation, liveness_violation };

inline std::string_view to_string(RunStatus s) {
  switch (s) {
    case RunStatus::passed: return "passed";
    case RunStatus::safety_violation: return "safety_violation";
    case RunStatus::liveness_violation: return "liveness_violation";
  }
  return "";
}

struct RunOutcome {
  std::uint64_t seed = 0;
  std::uint64_t events = 0;
  Time end;
  Time safety_end;
  std::uint64_t fingerprint = 0;
  RunStatus status = RunStatus::passed;
  std::string failure;  // the first failure, one line
  std::vector<CheckVerdict> verdicts;
  Metrics metrics;
  NetworkStats network;
  std::optional<Duration> convergence;  // liveness start -> every eventually property held
  std::uint32_t crashes = 0;
  std::uint32_t restarts = 0;
};

template <Protocol P>
class Simulation final : public WorkloadSink<P> {
 public:
  using Node = typename P::Node;
  using Message = typename P::Message;
  using Timer = typename P::Timer;
  using Durable = typename P::Durable;
  using Input = typename P::Input;
  using Output = typename P::Output;

  static constexpr ClientId kOperator{0xffffffffu};

  Simulation(const LoadedScenario<P>& loaded, const CheckSuite<P>& suite, RunOptions options)
      : loaded_(loaded),
        scenario_(loaded.scenario),
        suite_(suite),
        options_(options),
        node_count_(static_cast<std::uint32_t>(scenario_.node_names.size())),
        root_rng_(options.seed),
        network_(node_count_, default_link_params(scenario_.network), root_rng_.fork("network")),
        timer_rng_(root_rng_.fork("timers")),
        fault_rng_(root_rng_.fork("faults")),
        nemesis_rng_(root_rng_.fork("nemesis")),
        workload_(loaded.workload, loaded.config, node_count_, root_rng_.fork("workload")) {
    FL_ASSERT(node_count_ > 0, "a scenario needs nodes");
    nodes_.resize(node_count_);
    disks_.resize(node_count_);
    status_.assign(node_count_, Status::up);
    last_role_.assign(node_count_, std::string{});
    timers_.resize(node_count_);
    backlog_.resize(node_count_);
    sometimes_met_.assign(suite_.properties.size(), false);
    selected_.assign(suite_.properties.size(), true);
    for (std::size_t i = 0; i < suite_.properties.size(); ++i) {
      selected_[i] = check_selected(suite_.properties[i].name);
      if (selected_[i] && suite_.properties[i].kind == PropertyKind::transition)
        watch_steps_ = true;
    }
    apply_link_overrides();
  }

  RunOutcome run() {
    outcome_.seed = options_.seed;
    outcome_.safety_end = Time{} + scenario_.run.until;
    stop_at_ = outcome_.safety_end + scenario_.run.converge_within;
    for (std::uint32_t i = 0; i < node_count_; ++i)
      start_node(NodeId{i}, std::nullopt, /*step=*/false);
    workload_.start(*this);
    for (std::size_t i = 0; i < scenario_.faults.size(); ++i)
      queue_.push(fault_time(scenario_.faults[i]), FaultFire{i});
    if (scenario_.nemesis && !scenario_.nemesis->kinds.empty())
      queue_.push(scenario_.nemesis->start, NemesisTick{});
    queue_.push(outcome_.safety_end, LivenessStart{});
    check_properties();

    while (!finished_ && !queue_.empty() && queue_.next_time() <= stop_at_) {
      auto popped = queue_.pop();
      now_ = popped.time;
      ++outcome_.events;
      std::visit([&](auto& event) { handle(event); }, popped.payload);
      check_properties();
      if (outcome_.events >= options_.events_max) {
        fail(RunStatus::liveness_violation, "event budget of " +
                                                std::to_string(options_.events_max) +
                                                " events exhausted at " + format_time(now_));
        break;
      }
    }
    finish();
    return std::move(outcome_);
  }

  // WorkloadSink
  void submit(Time at, NodeId target, ClientId client, Input input) override {
    FL_ASSERT(target.value < node_count_, "workload input for a node that does not exist");
    queue_.push(std::max(at, now_), InputArrival{target, client, std::move(input)});
  }
  void wake(Time at, std::uint64_t token) override {
    queue_.push(std::max(at, now_), WorkloadWake{token});
  }

  // apply() driver hooks.
  void persist(NodeId node, const Durable& durable) {
    // A step being watched keeps the disk it replaces as its "before": swapped, not copied, and
    // the new disk is copied into the storage of an earlier one (assignment reuses buffers).
    if (step_.watching && !step_.disk_replaced) {
      FL_ASSERT(node == step_.node, "a node persists only its own state");
      std::swap(step_.disk_before, disks_[node.value]);
      step_.disk_replaced = true;
    }
    disks_[node.value] = durable;
  }
  void set_timer(NodeId node, const Timer& timer, DurationRange after) {
    TimerSlot& slot = timer_slot(node, timer);
    slot.generation = ++timer_generation_;
    slot.armed = true;
    queue_.push(now_ + timer_rng_.duration_in(after),
                TimerFire{node, slot.generation, slot_index(node, slot)});
  }
  void cancel_timer(NodeId node, const Timer& timer) {
    for (TimerSlot& slot : timers_[node.value])
      if (slot.timer == timer) slot.armed = false;
  }
  void send(NodeId from, NodeId to, const Message& message) {
    FL_ASSERT(to.value < node_count_, "message addressed to a node that does not exist");
    if (options_.wire_check) check_wire(message);
    const Network::Fate fate = network_.send(now_, from, to);
    switch (fate.result) {
      case SendResult::delivered_twice:
        queue_.push(fate.deliver_at[1], Deliver{from, to, message});
        [[fallthrough]];
      case SendResult::delivered_once:
        queue_.push(fate.deliver_at[0], Deliver{from, to, message});
        return;
      case SendResult::dropped_partition: return trace_drop(from, to, message, "partition");
      case SendResult::dropped_loss: return trace_drop(from, to, message, "loss");
      case SendResult::dropped_queue_full: return trace_drop(from, to, message, "queue full");
    }
  }
  void emit(NodeId node, const Output& output) {
    history_.emissions.push_back(Emission<P>{now_, node, output});
    trace("output", node, std::nullopt, [&] { return describe(output); });
    workload_.on_output(now_, node, output, *this);
  }

 private:
  enum class Status : std::uint8_t { up, down, paused };
  enum class Phase : std::uint8_t { safety, liveness };

  struct Deliver {
    NodeId from, to;
    Message message;
  };
  struct TimerFire {
    NodeId node;
    std::uint64_t generation;
    std::uint32_t slot;
  };
  struct InputArrival {
    NodeId node;
    ClientId client;
    Input input;
    bool recorded = false;  // its invocation is in the history already (it waited in a backlog)
  };
  struct FaultFire {
    std::size_t index;
  };
  struct FlapToggle {
    std::size_t fault_index;
    bool partition_on;
    Time stop;
  };
  struct NemesisTick {};
  struct LivenessStart {};
  struct WorkloadWake {
    std::uint64_t token;
  };
  using Payload = std::variant<Deliver, TimerFire, InputArrival, FaultFire, FlapToggle, NemesisTick,
                               LivenessStart, WorkloadWake>;

  struct TimerSlot {
    Timer timer;
    std::uint64_t generation = 0;
    bool armed = false;
  };

  // The step of one node being watched for transition properties (watch_steps_ only).
  struct StepCapture {
    bool watching = false;
    NodeId node;
    std::optional<Node> before;          // the node as it was (reused: assignment keeps buffers)
    std::optional<Durable> disk_before;  // the disk a persist replaced, if one did
    bool disk_replaced = false;
  };

  static LinkParams default_link_params(const scenario::NetworkSpec& spec) {
    LinkParams p;
    p.latency = spec.latency;
    p.drop = spec.drop;
    p.duplicate = spec.duplicate;
    p.reorder = spec.reorder;
    p.queue_capacity = spec.queue_capacity;
    return p;
  }

  bool check_selected(std::string_view name) const {
    if (scenario_.checks.empty()) return true;
    return std::find(scenario_.checks.begin(), scenario_.checks.end(), name) !=
           scenario_.checks.end();
  }

  std::string_view node_name(NodeId id) const { return scenario_.node_names[id.value]; }

  // ---- tracing and fingerprinting -------------------------------------------------------

  template <class Text>
  void trace(std::string_view kind, std::optional<NodeId> node, std::optional<NodeId> peer,
             Text&& text) {
    if (options_.trace == nullptr) return;
    options_.trace->record(TraceEvent{now_, kind, node ? node_name(*node) : std::string_view{},
                                      peer ? node_name(*peer) : std::string_view{}, text()});
  }
  template <class Text>
  void trace(std::string_view kind, NodeId node, std::nullopt_t, Text&& text) {
    trace(kind, std::optional<NodeId>(node), std::optional<NodeId>(), std::forward<Text>(text));
  }

  void trace_drop(NodeId from, NodeId to, const Message& message, std::string_view reason) {
    trace("drop", to, from, [&] { return describe(message) + " (" + std::string(reason) + ")"; });
  }

  // Folds one event into the run fingerprint: a fixed 16-byte header, then the encoded value.
  template <class T>
  void fold(std::uint8_t kind, NodeId node, const T& value) {
    static_assert(std::endian::native == std::endian::little,
                  "fingerprints assume a little-endian host");
    std::uint8_t header[16] = {};
    std::memcpy(header, &now_.nanoseconds, 8);
    std::memcpy(header + 8, &node.value, 4);
    header[12] = kind;
    run_hash_.write_block16(header, 13);
    encode(run_hash_, value);
  }

  void check_wire(const Message& message) {
    const auto bytes = encode_to_bytes(message);
    const auto decoded = decode_from_bytes<Message>(bytes);
    FL_ASSERT(decoded.has_value(), "wire check: a message failed to decode");
    FL_ASSERT(*decoded == message, "wire check: a message changed through the codec");
  }

  // ---- node lifecycle ----------------------------------------------------------------------

  // One handler call on an up node: a step.
  void run_handler(NodeId id, auto&& handler) {
    begin_step(id);
    outbox_.clear();
    handler(*nodes_[id.value], outbox_);
    apply(id, outbox_, *this);
    end_step();
  }

  // Construct and start a node. A restart is a step (from down); the first start of the run
  // is not (the initial state is not reached by a step, as in the explorer).
  void start_node(NodeId id, std::optional<Durable> recovered, bool step) {
    if (step) begin_step(id);
    nodes_[id.value].emplace(loaded_.config, id, node_count_, std::move(recovered));
    status_[id.value] = Status::up;
    outbox_.clear();
    nodes_[id.value]->on_start(outbox_);
    apply(id, outbox_, *this);
    if (step) end_step();
  }

  void begin_step(NodeId id) {
    if (!watch_steps_ || !step_constrained(ptr(nodes_[id.value]))) return;
    FL_ASSERT(!step_.watching, "steps do not nest");
    step_.watching = true;
    step_.node = id;
    step_.before = nodes_[id.value];
    step_.disk_replaced = false;
  }

  void end_step() {
    if (!step_.watching) return;
    step_.watching = false;
    const std::uint32_t i = step_.node.value;
    const std::optional<Durable>& disk_before = step_.disk_replaced ? step_.disk_before : disks_[i];
    check_step(NodeStep<P>{step_.node, ptr(step_.before), ptr(nodes_[i]), ptr(disk_before),
                           ptr(disks_[i]), now_});
  }

  // Whether some selected transition property constrains a step from `before`.
  bool step_constrained(const Node* before) const {
    for (std::size_t i = 0; i < suite_.properties.size(); ++i)
      if (selected_[i] && suite_.properties[i].kind == PropertyKind::transition &&
          constrains_step_from(suite_.properties[i], before))
        return true;
    return false;
  }

  template <class T>
  static const T* ptr(const std::optional<T>& value) {
    return value ? &*value : nullptr;
  }

  void crash(NodeId id) {
    if (status_[id.value] == Status::down) return;
    // A crash is a step to down; the disk stays as it is.
    if (watch_steps_)
      check_step(NodeStep<P>{id, ptr(nodes_[id.value]), nullptr, ptr(disks_[id.value]),
                             ptr(disks_[id.value]), now_});
    last_role_[id.value] = std::string(nodes_[id.value]->role());
    nodes_[id.value].reset();
    timers_[id.value].clear();
    backlog_[id.value].clear();
    status_[id.value] = Status::down;
    ++outcome_.crashes;
    record_fault(FaultRecord::Kind::crash, {id},
                 "crash " + std::string(node_name(id)) + " (" + last_role_[id.value] + ")");
  }

  void restart(NodeId id) {
    if (status_[id.value] != Status::down) return;
    ++outcome_.restarts;
    record_fault(FaultRecord::Kind::restart, {id}, "restart " + std::string(node_name(id)));
    start_node(id, disks_[id.value], /*step=*/true);
  }

  void pause(NodeId id) {
    if (status_[id.value] != Status::up) return;
    status_[id.value] = Status::paused;
    record_fault(FaultRecord::Kind::pause, {id}, "pause " + std::string(node_name(id)));
  }

  void resume(NodeId id) {
    if (status_[id.value] != Status::paused) return;
    status_[id.value] = Status::up;
    record_fault(FaultRecord::Kind::resume, {id}, "resume " + std::string(node_name(id)));
    std::vector<Payload> backlog = std::move(backlog_[id.value]);
    backlog_[id.value].clear();
    for (Payload& event : backlog) queue_.push(now_, std::move(event));
  }

  // "components {n0} {n1,n2}": who can still talk to whom (strongly connected), after a cut.
  std::string components_text() const {
    const topology::Reachability reach(
        node_count_, [&](NodeId from, NodeId to) { return network_.is_cut(from, to); });
    std::string text = "components";
    for (const auto& component : reach.components()) text += " " + names(component);
    return text;
  }

  void record_fault(FaultRecord::Kind kind, std::vector<NodeId> nodes, std::string text) {
    std::vector<std::vector<NodeId>> components;
    if (kind == FaultRecord::Kind::partition || kind == FaultRecord::Kind::heal) {
      text += " -> " + components_text();
      components = topology::Reachability(node_count_, [&](NodeId from, NodeId to) {
                     return network_.is_cut(from, to);
                   }).components();
    }
    trace(std::string_view(fault_kind_name(kind)), std::nullopt, std::nullopt,
          [&] { return text; });
    fold(0xf0, NodeId{}, text);
    fault_log_.push_back(
        FaultRecord{now_, kind, std::move(nodes), std::move(text), std::move(components)});
  }

  static std::string_view fault_kind_name(FaultRecord::Kind kind) {
    switch (kind) {
      case FaultRecord::Kind::crash: return "crash";
      case FaultRecord::Kind::restart: return "restart";
      case FaultRecord::Kind::pause: return "pause";
      case FaultRecord::Kind::resume: return "resume";
      case FaultRecord::Kind::partition: return "partition";
      case FaultRecord::Kind::heal: return "heal";
      case FaultRecord::Kind::network: return "network";
      case FaultRecord::Kind::clog: return "clog";
      case FaultRecord::Kind::input: return "operator_input";
      case FaultRecord::Kind::liveness_start: return "liveness";
    }
    return "fault";
  }

  TimerSlot& timer_slot(NodeId node, const Timer& timer) {
    auto& slots = timers_[node.value];
    for (TimerSlot& slot : slots)
      if (slot.timer == timer) return slot;
    slots.push_back(TimerSlot{timer, 0, false});
    return slots.back();
  }
  std::uint32_t slot_index(NodeId node, const TimerSlot& slot) const {
    return static_cast<std::uint32_t>(&slot - timers_[node.value].data());
  }

  // A paused node's events wait for its resume; a down node's are lost. True: deliver now.
  template <class Event>
  bool reachable_now(NodeId node, Event& event) {
    if (status_[node.value] == Status::paused) {
      backlog_[node.value].push_back(Payload{std::move(event)});
      return false;
    }
    return status_[node.value] == Status::up;
  }

  // ---- event handlers ----------------------------------------------------------------------

  void handle(Deliver& event) {
    if (!network_.arrive(event.from, event.to)) {
      trace_drop(event.from, event.to, event.message, "partition");
      return;
    }
    if (status_[event.to.value] == Status::paused) {
      // Re-count it as in flight: it is released on resume through arrive() again.
      network_.note_held(event.from, event.to);
      backlog_[event.to.value].push_back(Payload{std::move(event)});
      return;
    }
    if (status_[event.to.value] == Status::down) {
      ++network_.stats().dropped_node_down;
      trace_drop(event.from, event.to, event.message, "node down");
      return;
    }
    ++network_.stats().delivered;
    fold(1, event.to, event.message);
    trace("deliver", event.to, event.from, [&] { return describe(event.message); });
    run_handler(event.to, [&](Node& node, Outbox<P>& out) {
      node.on_message(event.from, event.message, out);
    });
  }

  void handle(TimerFire& event) {
    if (status_[event.node.value] == Status::down) return;
    auto& slots = timers_[event.node.value];
    if (event.slot >= slots.size()) return;
    TimerSlot& slot = slots[event.slot];
    if (!slot.armed || slot.generation != event.generation) return;  // re-armed or cancelled since
    if (!reachable_now(event.node, event)) return;
    slot.armed = false;
    const Timer timer = slot.timer;
    fold(2, event.node, timer);
    trace("timer", event.node, std::nullopt, [&] { return describe(timer); });
    run_handler(event.node, [&](Node& node, Outbox<P>& out) { node.on_timer(timer, out); });
  }

  void handle(InputArrival& event) {
    // The client invoked the request when it arrived, even if a paused node handles it later:
    // histories need the invocation time, or a reply to a retry could precede it.
    const bool up = status_[event.node.value] != Status::down;
    if (!event.recorded) {
      history_.invocations.push_back(
          Invocation<P>{now_, event.node, event.client, event.input, up});
      event.recorded = true;
    }
    if (status_[event.node.value] == Status::paused) {
      backlog_[event.node.value].push_back(Payload{std::move(event)});
      return;
    }
    fold(3, event.node, event.input);
    trace("input", event.node, std::nullopt,
          [&] { return describe(event.input) + (up ? "" : " (node down: lost)"); });
    if (!up) return;
    run_handler(event.node, [&](Node& node, Outbox<P>& out) { node.on_input(event.input, out); });
  }

  void handle(FaultFire& event) {
    if (phase_ != Phase::safety) return;
    const scenario::Fault& fault = scenario_.faults[event.index];
    std::visit([&](const auto& action) { apply_fault(event.index, action); }, fault.action);
  }

  void handle(FlapToggle& event) {
    if (phase_ != Phase::safety) return;
    const auto& flap = std::get<scenario::Flap>(scenario_.faults[event.fault_index].action);
    if (event.partition_on)
      cut_groups(flap.groups, "flap partition");
    else
      heal("flap heal");
    const Time next = now_ + flap.period;
    if (next < event.stop)
      queue_.push(next, FlapToggle{event.fault_index, !event.partition_on, event.stop});
    else if (event.partition_on)
      queue_.push(event.stop, FlapToggle{event.fault_index, false, event.stop});
  }

  void handle(NemesisTick&) {
    if (phase_ != Phase::safety) return;
    const scenario::Nemesis& nemesis = *scenario_.nemesis;
    const Time stop = nemesis.stop.value_or(outcome_.safety_end);
    if (now_ >= stop) return;
    const auto kind = nemesis.kinds[nemesis_rng_.below(nemesis.kinds.size())];
    nemesis_fault(kind, nemesis);
    const Time next = now_ + nemesis_rng_.duration_in(nemesis.interval);
    if (next < stop) queue_.push(next, NemesisTick{});
  }

  void handle(WorkloadWake& wake) { workload_.on_wake(now_, wake.token, *this); }

  bool workload_idle() const { return workload_.idle(); }

  std::string workload_outstanding() const { return workload_.outstanding(); }

  void handle(LivenessStart&) {
    phase_ = Phase::liveness;
    record_fault(FaultRecord::Kind::liveness_start, {},
                 "liveness phase: faults stop, network heals");
    network_.make_reliable();
    FL_ASSERT(topology::Reachability(node_count_,
                                     [&](NodeId a, NodeId b) { return network_.is_cut(a, b); })
                  .is_connected(),
              "the liveness phase must start with a connected network");
    if (scenario_.run.restart_crashed) {
      for (std::uint32_t i = 0; i < node_count_; ++i) {
        resume(NodeId{i});
        restart(NodeId{i});
      }
    }
    if (!has_eventually()) finished_ = true;
  }

  // ---- faults ------------------------------------------------------------------------------

  // `at: [min, max]` is drawn uniformly from the faults stream when the run starts; a fixed `at`
  // draws nothing, so scenarios without ranges keep their fingerprints.
  Time fault_time(const scenario::Fault& fault) {
    if (!fault.at_max) return fault.at;
    FL_ASSERT(*fault.at_max >= fault.at, "a fault time range is inverted");
    return fault.at + fault_rng_.duration_in(DurationRange{Duration{}, *fault.at_max - fault.at});
  }

  std::vector<NodeId> up_nodes() const {
    std::vector<NodeId> out;
    for (std::uint32_t i = 0; i < node_count_; ++i)
      if (status_[i] != Status::down) out.push_back(NodeId{i});
    return out;
  }
  std::vector<NodeId> nodes_with(Status status) const {
    std::vector<NodeId> out;
    for (std::uint32_t i = 0; i < node_count_; ++i)
      if (status_[i] == status) out.push_back(NodeId{i});
    return out;
  }

  // Resolves selectors now. "rest" expands to the nodes not in `others`.
  std::vector<NodeId> resolve(const scenario::NodeSelectors& selectors,
                              const std::vector<NodeId>& others = {}) {
    std::vector<NodeId> out;
    const auto add = [&](NodeId id) {
      if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
    };
    for (const auto& selector : selectors) {
      const std::string& text = selector.text;
      if (text == "all") {
        for (std::uint32_t i = 0; i < node_count_; ++i) add(NodeId{i});
      } else if (text == "rest") {
        for (std::uint32_t i = 0; i < node_count_; ++i)
          if (std::find(others.begin(), others.end(), NodeId{i}) == others.end()) add(NodeId{i});
      } else if (text == "any") {
        const auto candidates = up_nodes();
        if (!candidates.empty()) add(candidates[fault_rng_.below(candidates.size())]);
      } else {
        bool by_name = false;
        for (std::uint32_t i = 0; i < node_count_; ++i) {
          if (scenario_.node_names[i] == text) {
            add(NodeId{i});
            by_name = true;
          }
        }
        if (by_name) continue;
        for (std::uint32_t i = 0; i < node_count_; ++i) {
          const std::string_view role =
              nodes_[i] ? nodes_[i]->role() : std::string_view(last_role_[i]);
          if (role == text) add(NodeId{i});
        }
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::string names(const std::vector<NodeId>& ids) const {
    std::string text;
    for (NodeId id : ids) text += (text.empty() ? "" : ",") + std::string(node_name(id));
    return "{" + text + "}";
  }

  void apply_fault(std::size_t, const scenario::Crash& f) {
    for (NodeId id : resolve(f.targets)) crash(id);
  }
  void apply_fault(std::size_t, const scenario::Restart& f) {
    for (NodeId id : resolve(f.targets)) restart(id);
  }
  void apply_fault(std::size_t, const scenario::Pause& f) {
    for (NodeId id : resolve(f.targets)) pause(id);
  }
  void apply_fault(std::size_t, const scenario::Resume& f) {
    for (NodeId id : resolve(f.targets)) resume(id);
  }
  void apply_fault(std::size_t, const scenario::Isolate& f) {
    const auto targets = resolve(f.targets);
    for (NodeId id : targets)
      for (std::uint32_t j = 0; j < node_count_; ++j)
        if (j != id.value) network_.cut_both(id, NodeId{j});
    record_fault(FaultRecord::Kind::partition, targets, "isolate " + names(targets));
  }
  void apply_fault(std::size_t, const scenario::Partition& f) { cut_groups(f.groups, "partition"); }
  void apply_fault(std::size_t, const scenario::OneWayPartition& f) {
    const auto from = resolve(f.from);
    const auto to = resolve(f.to, from);
    for (NodeId a : from)
      for (NodeId b : to)
        if (a != b) network_.cut(a, b);
    record_fault(FaultRecord::Kind::partition, {},
                 "one-way cut " + names(from) + " -> " + names(to));
  }
  void apply_fault(std::size_t, const scenario::Heal&) { heal("heal all"); }
  void apply_fault(std::size_t, const scenario::NetworkChange& f) {
    network_.change_all(f.settings);
    record_fault(FaultRecord::Kind::network, {}, "network settings changed");
  }
  void apply_fault(std::size_t, const scenario::Clog& f) {
    const auto from = resolve(f.from);
    const auto to = resolve(f.to, from);
    for (NodeId a : from)
      for (NodeId b : to)
        if (a != b) network_.clog(a, b, now_ + f.duration);
    record_fault(
        FaultRecord::Kind::clog, {},
        "clog " + names(from) + " -> " + names(to) + " for " + format_duration(f.duration));
  }
  void apply_fault(std::size_t index, const scenario::Flap& f) {
    queue_.push(now_, FlapToggle{index, true, now_ + f.duration});
  }
  void apply_fault(std::size_t index, const scenario::OperatorInput& f) {
    const auto targets = resolve({f.target});
    const auto it = loaded_.operator_inputs.find(index);
    FL_ASSERT(it != loaded_.operator_inputs.end(), "operator input was not decoded at load time");
    record_fault(FaultRecord::Kind::input, targets,
                 "operator input " + describe(it->second) + " to " + names(targets));
    for (NodeId id : targets) queue_.push(now_, InputArrival{id, kOperator, it->second});
  }

  // Named groups resolve first, so a "rest" group can mean every node none of them holds.
  void cut_groups(const std::vector<scenario::NodeSelectors>& groups, std::string_view label) {
    const auto has_rest = [](const scenario::NodeSelectors& group) {
      return std::any_of(group.begin(), group.end(),
                         [](const auto& s) { return s.text == "rest"; });
    };
    std::vector<std::vector<NodeId>> resolved;
    std::vector<NodeId> named;
    for (const auto& group : groups) {
      if (has_rest(group)) continue;
      resolved.push_back(resolve(group));
      named.insert(named.end(), resolved.back().begin(), resolved.back().end());
    }
    for (const auto& group : groups)
      if (has_rest(group)) resolved.push_back(resolve(group, named));
    partition_into(resolved, label);
  }

  void partition_into(const std::vector<std::vector<NodeId>>& groups, std::string_view label) {
    std::string text(label);
    for (std::size_t g = 0; g < groups.size(); ++g) {
      text += (g == 0 ? " " : " | ") + names(groups[g]);
      for (std::size_t h = 0; h < groups.size(); ++h) {
        if (g == h) continue;
        for (NodeId a : groups[g])
          for (NodeId b : groups[h])
            if (a != b) network_.cut(a, b);
      }
    }
    record_fault(FaultRecord::Kind::partition, {}, text);
  }

  void heal(std::string_view label) {
    network_.heal_all();
    record_fault(FaultRecord::Kind::heal, {}, std::string(label));
  }

  void nemesis_fault(scenario::Nemesis::Kind kind, const scenario::Nemesis& nemesis) {
    using Kind = scenario::Nemesis::Kind;
    const auto pick = [&](const std::vector<NodeId>& from) -> std::optional<NodeId> {
      if (from.empty()) return std::nullopt;
      return from[nemesis_rng_.below(from.size())];
    };
    switch (kind) {
      case Kind::crash:
        if (nodes_with(Status::down).size() < nemesis.crashed_max)
          if (auto id = pick(up_nodes())) crash(*id);
        return;
      case Kind::restart:
        if (auto id = pick(nodes_with(Status::down))) restart(*id);
        return;
      case Kind::pause:
        if (auto id = pick(nodes_with(Status::up))) pause(*id);
        return;
      case Kind::resume:
        if (auto id = pick(nodes_with(Status::paused))) resume(*id);
        return;
      case Kind::isolate:
        if (auto id = pick(all_nodes())) {
          for (std::uint32_t j = 0; j < node_count_; ++j)
            if (j != id->value) network_.cut_both(*id, NodeId{j});
          record_fault(FaultRecord::Kind::partition, {*id}, "nemesis isolate " + names({*id}));
        }
        return;
      case Kind::partition: {
        if (node_count_ < 2) return;
        std::vector<std::vector<NodeId>> groups(2);
        for (std::uint32_t i = 0; i < node_count_; ++i)
          groups[nemesis_rng_.below(2)].push_back(NodeId{i});
        if (groups[0].empty() || groups[1].empty()) {
          auto& full = groups[0].empty() ? groups[1] : groups[0];
          auto& empty = groups[0].empty() ? groups[0] : groups[1];
          empty.push_back(full.back());
          full.pop_back();
        }
        partition_into(groups, "nemesis partition");
        return;
      }
      case Kind::heal: heal("nemesis heal"); return;
      case Kind::clog: {
        if (node_count_ < 2) return;
        const NodeId a{static_cast<std::uint32_t>(nemesis_rng_.below(node_count_))};
        NodeId b{static_cast<std::uint32_t>(nemesis_rng_.below(node_count_ - 1))};
        if (b.value >= a.value) ++b.value;
        const Duration hold = nemesis_rng_.duration_in(nemesis.interval);
        network_.clog(a, b, now_ + hold);
        record_fault(
            FaultRecord::Kind::clog, {},
            "nemesis clog " + names({a}) + " -> " + names({b}) + " for " + format_duration(hold));
        return;
      }
    }
  }

  std::vector<NodeId> all_nodes() const {
    std::vector<NodeId> out;
    for (std::uint32_t i = 0; i < node_count_; ++i) out.push_back(NodeId{i});
    return out;
  }

  void apply_link_overrides() {
    for (const auto& link : scenario_.network.links) {
      const auto from = resolve(link.from);
      const auto to = resolve(link.to, from);
      for (NodeId a : from)
        for (NodeId b : to) {
          if (a == b) continue;
          network_.override_link(a, b, link.settings);
          if (link.symmetric) network_.override_link(b, a, link.settings);
        }
    }
  }

  // ---- checking ----------------------------------------------------------------------------

  ClusterView<P> view() const {
    return ClusterView<P>{std::span<const std::optional<Node>>(nodes_),
                          std::span<const std::optional<Durable>>(disks_), now_};
  }

  bool has_eventually() const {
    for (std::size_t i = 0; i < suite_.properties.size(); ++i)
      if (selected_[i] && suite_.properties[i].kind == PropertyKind::eventually) return true;
    return false;
  }

  void fail(RunStatus status, std::string text) {
    if (outcome_.status == RunStatus::safety_violation) return;  // the first safety failure wins
    if (outcome_.status == RunStatus::liveness_violation && status == RunStatus::liveness_violation)
      return;
    outcome_.status = status;
    outcome_.failure = std::move(text);
  }

  void check_properties() {
    if (suite_.properties.empty() || outcome_.status == RunStatus::safety_violation) return;
    const ClusterView<P> v = view();
    bool all_eventually = phase_ == Phase::liveness;
    bool any_eventually = false;
    for (std::size_t i = 0; i < suite_.properties.size(); ++i) {
      if (!selected_[i]) continue;
      const Property<P>& property = suite_.properties[i];
      switch (property.kind) {
        case PropertyKind::always:
          if (auto reason = property.check(v)) {
            violation(property, *reason);
            return;
          }
          break;
        case PropertyKind::sometimes:
          if (!sometimes_met_[i] && !property.check(v)) sometimes_met_[i] = true;
          break;
        case PropertyKind::eventually:
          any_eventually = true;
          if (all_eventually && property.check(v)) all_eventually = false;
          break;
        case PropertyKind::transition: break;  // checked on each step (check_step)
      }
    }
    if (phase_ == Phase::liveness && any_eventually && all_eventually && !finished_ &&
        workload_idle()) {
      outcome_.convergence = now_ - outcome_.safety_end;
      finished_ = true;
    }
  }

  // Transition properties on one step of one node (begin_step/end_step, crash).
  void check_step(const NodeStep<P>& step) {
    if (outcome_.status == RunStatus::safety_violation) return;  // the first violation stands
    for (std::size_t i = 0; i < suite_.properties.size(); ++i) {
      const Property<P>& property = suite_.properties[i];
      if (!selected_[i] || property.kind != PropertyKind::transition ||
          !constrains_step_from(property, step.before))
        continue;
      if (auto reason = property.check_step(step)) {
        violation(property, *reason);
        return;
      }
    }
  }

  void violation(const Property<P>& property, const std::string& reason) {
    FL_ASSERT(is_safety(property.kind),
              "only always and transition properties are violated at a point");
    const std::string text = property.name + " violated at " + format_time(now_) + ": " + reason;
    trace("violation", std::nullopt, std::nullopt, [&] { return text; });
    outcome_.verdicts.push_back(CheckVerdict{property.name, std::string(to_string(property.kind)),
                                             false, reason + " (at " + format_time(now_) + ")"});
    fail(RunStatus::safety_violation, text);
    finished_ = true;
  }

  void finish() {
    outcome_.end = now_;
    outcome_.network = network_.stats();
    outcome_.fingerprint = run_hash_.digest();
    const bool stopped_by_safety = outcome_.status == RunStatus::safety_violation;
    const ClusterView<P> v = view();
    for (std::size_t i = 0; i < suite_.properties.size(); ++i) {
      if (!selected_[i]) continue;
      const Property<P>& property = suite_.properties[i];
      CheckVerdict verdict{property.name, std::string(to_string(property.kind)), true, ""};
      switch (property.kind) {
        case PropertyKind::always:
        case PropertyKind::transition:
          if (stopped_by_safety) continue;  // already recorded with its violation
          break;
        case PropertyKind::sometimes:
          if (!sometimes_met_[i] && !stopped_by_safety) {
            verdict.passed = false;
            verdict.detail = "never held: the run may be vacuous";
            fail(RunStatus::liveness_violation, property.name + " never held (sometimes property)");
          }
          break;
        case PropertyKind::eventually:
          if (stopped_by_safety) continue;
          if (!outcome_.convergence) {
            const auto reason = property.check(v);
            verdict.passed = !reason.has_value();
            if (reason) {
              verdict.detail = *reason + " (still at " + format_time(now_) + ", " +
                               format_duration(scenario_.run.converge_within) +
                               " after faults stopped)";
              fail(RunStatus::liveness_violation,
                   property.name + " did not hold within converge_within=" +
                       format_duration(scenario_.run.converge_within) + ": " + *reason);
            } else if (!workload_idle()) {
              verdict.detail = "held, but the workload still had requests outstanding: " +
                               workload_outstanding();
              verdict.passed = false;
              fail(RunStatus::liveness_violation,
                   "client requests did not all complete within converge_within=" +
                       format_duration(scenario_.run.converge_within) + ": " +
                       workload_outstanding());
            } else {
              verdict.detail = "held, but not together with the other eventually properties";
              verdict.passed = false;
              fail(RunStatus::liveness_violation, "eventually properties never held together");
            }
          }
          break;
      }
      outcome_.verdicts.push_back(std::move(verdict));
    }
    const RunRecord<P> record{history_, v, fault_log_, scenario_.node_names, outcome_.safety_end,
                              now_};
    for (const auto& check : suite_.history_checks) {
      if (!check_selected(check.name)) continue;
      CheckVerdict verdict{check.name, "history", true, ""};
      if (auto failure = check.check(record)) {
        verdict.passed = false;
        verdict.detail = (failure->inconclusive ? "inconclusive: " : "") + failure->reason;
        const bool safety = !check.liveness && !failure->inconclusive;
        fail(safety ? RunStatus::safety_violation : RunStatus::liveness_violation,
             check.name + ": " + verdict.detail);
      }
      outcome_.verdicts.push_back(std::move(verdict));
    }
    if (suite_.metrics) outcome_.metrics = suite_.metrics(record);
    if (outcome_.convergence) outcome_.metrics["convergence"].push_back(*outcome_.convergence);
    check_expectations();
  }

  void check_expectations() {
    if (outcome_.status == RunStatus::safety_violation) return;
    for (const auto& expectation : scenario_.expectations) {
      CheckVerdict verdict{"expect " + expectation.metric + "." + expectation.statistic, "expect",
                           true, ""};
      const auto it = outcome_.metrics.find(expectation.metric);
      const Summary summary =
          summarize(it == outcome_.metrics.end() ? std::vector<Duration>{} : it->second);
      const auto value = statistic(summary, expectation.statistic);
      const bool is_count = expectation.statistic == "count";
      const auto show = [&](std::int64_t v) {
        return is_count ? std::to_string(v) : format_duration(Duration{v});
      };
      if (!value) {
        verdict.passed = false;
        verdict.detail = "no samples of " + expectation.metric;
      } else {
        using C = scenario::Expectation::Comparison;
        const std::int64_t b = expectation.bound;
        switch (expectation.comparison) {
          case C::less: verdict.passed = *value < b; break;
          case C::less_equal: verdict.passed = *value <= b; break;
          case C::greater: verdict.passed = *value > b; break;
          case C::greater_equal: verdict.passed = *value >= b; break;
        }
        verdict.detail = show(*value) + " " +
                         std::string(scenario::to_string(expectation.comparison)) + " " + show(b);
      }
      if (!verdict.passed)
        fail(RunStatus::liveness_violation, verdict.name + ": " + verdict.detail + " is false");
      outcome_.verdicts.push_back(std::move(verdict));
    }
  }

  const LoadedScenario<P>& loaded_;
  const scenario::Scenario& scenario_;
  const CheckSuite<P>& suite_;
  RunOptions options_;
  std::uint32_t node_count_;
  Rng root_rng_;
  Network network_;
  Rng timer_rng_;
  Rng fault_rng_;
  Rng nemesis_rng_;
  typename P::Workload workload_;

  EventQueue<Payload> queue_;
  std::vector<std::optional<Node>> nodes_;
  std::vector<std::optional<Durable>> disks_;
  std::vector<Status> status_;
  std::vector<std::string> last_role_;
  std::vector<std::vector<TimerSlot>> timers_;
  std::vector<std::vector<Payload>> backlog_;
  std::uint64_t timer_generation_ = 0;
  Outbox<P> outbox_;
  History<P> history_;
  std::vector<FaultRecord> fault_log_;
  FingerprintSink run_hash_;
  std::vector<bool> sometimes_met_;
  std::vector<bool> selected_;
  bool watch_steps_ = false;  // a selected transition property: capture each step's before
  StepCapture step_;

  Time now_;
  Time stop_at_;
  Phase phase_ = Phase::safety;
  bool finished_ = false;
  RunOutcome outcome_;
};

template <Protocol P>
RunOutcome run_simulation(const LoadedScenario<P>& loaded, const CheckSuite<P>& suite,
                          RunOptions options) {
  Simulation<P> simulation(loaded, suite, options);
  return simulation.run();
}

}  // namespace faultline
