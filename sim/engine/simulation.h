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
#include <array>
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
#include "sim/engine/fault_targets.h"
#include "sim/engine/network.h"
#include "sim/engine/run_checks.h"
#include "sim/engine/run_outcome.h"
#include "sim/engine/stats.h"
#include "sim/engine/step_observer.h"
#include "sim/engine/timer_table.h"
#include "sim/scenario/scenario.h"
#include "sim/topology/reachability.h"

namespace faultline {

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
        checks_(suite, loaded.scenario),
        options_(options),
        node_count_(static_cast<std::uint32_t>(scenario_.node_names.size())),
        root_rng_(options.seed),
        network_(node_count_, default_link_params(scenario_.network), root_rng_.fork("network")),
        timer_rng_(root_rng_.fork("timers")),
        fault_rng_(root_rng_.fork("faults")),
        nemesis_rng_(root_rng_.fork("nemesis")),
        workload_(loaded.workload, loaded.config, node_count_, root_rng_.fork("workload")),
        timers_(node_count_) {
    FL_ASSERT(node_count_ > 0, "a scenario needs nodes");
    nodes_.resize(node_count_);
    disks_.resize(node_count_);
    status_.assign(node_count_, Status::up);
    last_role_.assign(node_count_, std::string{});
    backlog_.resize(node_count_);
    apply_link_overrides();
  }

  // Sees every step of the run (step_observer.h); null: none. Set before run().
  void observe_steps(StepObserver<P>* observer) { observer_ = observer; }

  // The virtual time of the event being handled (observers read it).
  Time now() const { return now_; }

  // What the fault injector did, after run() (run reports draw it).
  const std::vector<FaultRecord>& fault_log() const { return fault_log_; }

  // What clients saw, after run(): every invocation and emission (`run --history`).
  const History<P>& history() const { return history_; }

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

    while (!finished_ && !budget_exceeded() && !queue_.empty() && queue_.next_time() <= stop_at_) {
      auto popped = queue_.pop();
      now_ = popped.time;
      ++outcome_.events;
      ++handled_by_kind_[popped.payload.index()];
      std::visit([&](auto& event) { handle(event); }, popped.payload);
      check_properties();
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
  // By value: apply() hands over the outbox's Durable as an rvalue, moved, not copied.
  void persist(NodeId node, Durable durable) {
    // A step being watched keeps the disk it replaces as its "before": swapped, not copied.
    if (step_.watching && !step_.disk_replaced) {
      FL_ASSERT(node == step_.node, "a node persists only its own state");
      std::swap(step_.disk_before, disks_[node.value]);
      step_.disk_replaced = true;
    }
    disks_[node.value] = std::move(durable);
  }
  void set_timer(NodeId node, const Timer& timer, DurationRange after) {
    const auto armed = timers_.arm(node, timer);
    queue_.push(now_ + true_duration(node, timer_rng_.duration_in(after)), TimerFire{node, armed});
  }
  void cancel_timer(NodeId node, const Timer& timer) { timers_.cancel(node, timer); }
  // A span of `node`'s clock in virtual time: local / rate (scenario.h, clock_rates), rounded
  // down. The draw is made first, so a drifting clock leaves every random stream as it was.
  Duration true_duration(NodeId node, Duration local) const {
    if (scenario_.clock_rates.empty()) return local;
    const Ratio rate = scenario_.clock_rates[node.value];
    FL_ASSERT(rate.numerator > 0, "a clock runs");
    FL_ASSERT(local.nanoseconds >= 0, "timers are set for the future");
    const auto scaled = static_cast<uint128>(local.nanoseconds) * rate.denominator / rate.numerator;
    return Duration{static_cast<std::int64_t>(scaled)};
  }
  // What `node`'s clock reads now: its offset plus virtual time at its rate (rounded down).
  Time local_clock(NodeId node) const {
    if (scenario_.clock_rates.empty()) return now_;
    const Ratio rate = scenario_.clock_rates[node.value];
    const auto scaled = static_cast<uint128>(now_.nanoseconds) * rate.numerator / rate.denominator;
    return Time{static_cast<std::int64_t>(scaled)} + scenario_.clock_offsets[node.value];
  }
  // By value, like persist: the message moves from the outbox into the event queue.
  void send(NodeId from, NodeId to, Message message) {
    FL_ASSERT(to.value < node_count_, "message addressed to a node that does not exist");
    if (options_.wire_check) check_wire(message);
    const Network::Fate fate = network_.send(now_, from, to);
    switch (fate.result) {
      case SendResult::delivered_twice:
        queue_.push(fate.deliver_at[1], Deliver{from, to, message, trace_send(from, to, message)});
        [[fallthrough]];
      case SendResult::delivered_once: {
        const std::uint64_t id = trace_send(from, to, message);
        queue_.push(fate.deliver_at[0], Deliver{from, to, std::move(message), id});
        return;
      }
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
    std::uint64_t trace_id = 0;  // the id its send was traced with (0: not traced)
  };
  struct TimerFire {
    NodeId node;
    typename TimerTable<Timer>::Armed armed;
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

  // The step of one node being watched for transition properties (watches_steps() only).
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

  std::string_view node_name(NodeId id) const { return scenario_.node_names[id.value]; }

  // ---- tracing and fingerprinting -------------------------------------------------------

  template <class Text>
  void trace(std::string_view kind, std::optional<NodeId> node, std::optional<NodeId> peer,
             Text&& text, std::uint64_t message = 0) {
    if (options_.trace == nullptr) return;
    options_.trace->record(TraceEvent{now_, kind, node ? node_name(*node) : std::string_view{},
                                      peer ? node_name(*peer) : std::string_view{},
                                      options_.trace->wants_text(kind) ? text() : std::string(),
                                      message});
  }
  template <class Text>
  void trace(std::string_view kind, NodeId node, std::nullopt_t, Text&& text) {
    trace(kind, std::optional<NodeId>(node), std::optional<NodeId>(), std::forward<Text>(text));
  }

  void trace_drop(NodeId from, NodeId to, const Message& message, std::string_view reason,
                  std::uint64_t trace_id = 0) {
    trace(
        "drop", to, from, [&] { return describe(message) + " (" + std::string(reason) + ")"; },
        trace_id);
  }

  // A copy of a message put in flight: its id for the trace (0 when not tracing).
  std::uint64_t trace_send(NodeId from, NodeId to, const Message& message) {
    if (options_.trace == nullptr) return 0;
    const std::uint64_t id = ++traced_messages_;
    trace(
        "send", from, to, [&] { return describe(message); }, id);
    return id;
  }

  // After a handler call: the node's role, traced when it changed (tracing only).
  void trace_role(NodeId id) {
    if (options_.trace == nullptr || !nodes_[id.value]) return;
    const std::string_view role = nodes_[id.value]->role();
    if (traced_roles_.empty()) traced_roles_.resize(node_count_);
    if (traced_roles_[id.value] == role) return;
    traced_roles_[id.value] = std::string(role);
    trace("role", id, std::nullopt, [&] { return std::string(role); });
  }

  // Folds one event into the run fingerprint: a fixed 16-byte header, then the encoded value.
  template <class T>
  void fold(std::uint8_t kind, NodeId node, const T& value) {
    if (!options_.fingerprint) return;
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
    outbox_.set_clock(local_clock(id));
    handler(*nodes_[id.value], outbox_);
    apply(id, std::move(outbox_), *this);  // moves the disk and messages out; cleared next
    trace_role(id);
    if (observer_ != nullptr) observer_->stepped(id, *nodes_[id.value]);
    end_step();
  }

  // Construct and start a node. A restart is a step (from down); the first start of the run
  // is not (the initial state is not reached by a step, as in the explorer).
  void start_node(NodeId id, std::optional<Durable> recovered, bool step) {
    if (step) begin_step(id);
    nodes_[id.value].emplace(loaded_.config, id, node_count_, std::move(recovered));
    status_[id.value] = Status::up;
    outbox_.clear();
    outbox_.set_clock(local_clock(id));
    if (!step) trace("start", id, std::nullopt, [] { return std::string(); });
    nodes_[id.value]->on_start(outbox_);
    apply(id, std::move(outbox_), *this);
    trace_role(id);
    if (observer_ != nullptr) observer_->stepped(id, *nodes_[id.value]);
    if (step) end_step();
  }

  void begin_step(NodeId id) {
    checks_.note_changed(id);  // incremental checks (run_checks.h)
    if (!checks_.watches_steps() || !checks_.step_constrained(ptr(nodes_[id.value]))) return;
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

  template <class T>
  static const T* ptr(const std::optional<T>& value) {
    return value ? &*value : nullptr;
  }

  void crash(NodeId id) {
    if (status_[id.value] == Status::down) return;
    checks_.note_changed(id);
    // A crash is a step to down; the disk stays as it is.
    if (checks_.watches_steps())
      check_step(NodeStep<P>{id, ptr(nodes_[id.value]), nullptr, ptr(disks_[id.value]),
                             ptr(disks_[id.value]), now_});
    last_role_[id.value] = std::string(nodes_[id.value]->role());
    if (observer_ != nullptr) observer_->crashed(id);
    nodes_[id.value].reset();
    if (!traced_roles_.empty()) traced_roles_[id.value].clear();  // a restart traces its role
    timers_.clear(id);
    drop_backlog(id);
    status_[id.value] = Status::down;
    ++outcome_.crashes;
    record_fault(FaultRecord::Kind::crash, {id},
                 "crash " + std::string(node_name(id)) + " (" + last_role_[id.value] + ")");
  }

  // A paused node that crashes loses what waited for its resume. The messages among it were
  // still counted in flight on their links (note_held): they are lost now, or a link to a node
  // paused and then crashed would stay full for ever (found by the write_concern swarm, seed 224).
  void drop_backlog(NodeId id) {
    for (Payload& event : backlog_[id.value])
      if (const auto* deliver = std::get_if<Deliver>(&event)) {
        network_.forget_held(deliver->from, deliver->to);
        ++network_.stats().dropped_node_down;
        trace_drop(deliver->from, deliver->to, deliver->message, "node down", deliver->trace_id);
      }
    backlog_[id.value].clear();
  }

  void restart(NodeId id) {
    if (status_[id.value] != Status::down) return;
    ++outcome_.restarts;
    record_fault(FaultRecord::Kind::restart, {id}, "restart " + std::string(node_name(id)));
    if (observer_ != nullptr) observer_->restarted(id);
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
      trace_drop(event.from, event.to, event.message, "partition", event.trace_id);
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
      trace_drop(event.from, event.to, event.message, "node down", event.trace_id);
      return;
    }
    ++network_.stats().delivered;
    fold(1, event.to, event.message);
    trace(
        "deliver", event.to, event.from, [&] { return describe(event.message); }, event.trace_id);
    if (observer_ != nullptr) observer_->delivered(event.from, event.to, event.message);
    run_handler(event.to, [&](Node& node, Outbox<P>& out) {
      node.on_message(event.from, event.message, out);
    });
  }

  void handle(TimerFire& event) {
    if (status_[event.node.value] == Status::down) return;
    if (!timers_.is_current(event.node, event.armed)) return;  // re-armed or cancelled since
    if (!reachable_now(event.node, event)) return;
    const Timer timer = timers_.fire(event.node, event.armed);
    fold(2, event.node, timer);
    trace("timer", event.node, std::nullopt, [&] { return describe(timer); });
    if (observer_ != nullptr) observer_->timer_fired(event.node, timer);
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
    if (observer_ != nullptr) observer_->input_handled(event.node, event.input);
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
      partition_into(resolve_groups(flap.groups, roster(), fault_rng_), "flap partition");
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

  void handle(LivenessStart&) {
    phase_ = Phase::liveness;
    record_fault(FaultRecord::Kind::liveness_start, {},
                 "liveness phase: faults stop, network heals");
    network_.make_reliable();
    FL_ASSERT(reachability().is_connected(),
              "the liveness phase must start with a connected network");
    if (scenario_.run.restart_crashed) {
      for (std::uint32_t i = 0; i < node_count_; ++i) {
        resume(NodeId{i});
        restart(NodeId{i});
      }
    }
    if (!checks_.has_eventually()) finished_ = true;
  }

  // ---- faults: the definitions are in simulation_faults.h ---------------------------------

  std::vector<NodeId> nodes_where(auto&& predicate) const {
    std::vector<NodeId> out;
    for (std::uint32_t i = 0; i < node_count_; ++i)
      if (predicate(status_[i])) out.push_back(NodeId{i});
    return out;
  }
  std::vector<NodeId> nodes_with(Status status) const {
    return nodes_where([&](Status s) { return s == status; });
  }
  std::vector<NodeId> up_nodes() const {
    return nodes_where([](Status s) { return s != Status::down; });
  }
  std::vector<NodeId> all_nodes() const {
    return nodes_where([](Status) { return true; });
  }
  std::string names(const std::vector<NodeId>& ids) const {
    return node_set_text(ids, scenario_.node_names);
  }

  Time fault_time(const scenario::Fault& fault);
  Roster roster() const;
  std::vector<NodeId> resolve(const scenario::NodeSelectors& selectors,
                              const std::vector<NodeId>& others = {});
  void apply_fault(std::size_t, const scenario::Crash& f);
  void apply_fault(std::size_t, const scenario::Restart& f);
  void apply_fault(std::size_t, const scenario::Pause& f);
  void apply_fault(std::size_t, const scenario::Resume& f);
  void apply_fault(std::size_t, const scenario::Isolate& f);
  void apply_fault(std::size_t, const scenario::Partition& f);
  void apply_fault(std::size_t, const scenario::OneWayPartition& f);
  void apply_fault(std::size_t, const scenario::Heal&);
  void apply_fault(std::size_t, const scenario::NetworkChange& f);
  void apply_fault(std::size_t, const scenario::Clog& f);
  void apply_fault(std::size_t index, const scenario::Flap& f);
  void apply_fault(std::size_t index, const scenario::OperatorInput& f);
  void isolate(const std::vector<NodeId>& targets, std::string_view label_prefix);
  void partition_into(const std::vector<std::vector<NodeId>>& groups, std::string_view label);
  void heal(std::string_view label);
  std::optional<NodeId> nemesis_pick(const std::vector<NodeId>& from);
  void nemesis_fault(scenario::Nemesis::Kind kind, const scenario::Nemesis& nemesis);
  void nemesis_clog(const scenario::Nemesis& nemesis);
  void nemesis_partition();
  scenario::NodeSelectors selectors_of(const std::vector<NodeId>& ids) const;
  void note_nemesis(scenario::FaultAction action);
  void apply_link_overrides();
  topology::Reachability reachability() const;
  void record_fault(FaultRecord::Kind kind, std::vector<NodeId> nodes, std::string text);

  // ---- checking ----------------------------------------------------------------------------

  ClusterView<P> view() const {
    return ClusterView<P>{std::span<const std::optional<Node>>(nodes_),
                          std::span<const std::optional<Durable>>(disks_), now_};
  }

  void check_properties() {
    const auto result = checks_.after_event(
        view(), phase_ == Phase::liveness && !finished_, [&] { return workload_.idle(); },
        outcome_);
    if (result.violation) stop_at_violation(*result.violation);
    if (result.converged) finished_ = true;
  }

  // Transition properties on one step of one node (begin_step/end_step, crash).
  void check_step(const NodeStep<P>& step) {
    if (auto violation = checks_.after_step(step, outcome_)) stop_at_violation(*violation);
  }

  void stop_at_violation(const std::string& text) {
    trace("violation", std::nullopt, std::nullopt, [&] { return text; });
    finished_ = true;
  }

  void finish() {
    outcome_.end = now_;
    outcome_.client_calls = static_cast<std::uint64_t>(
        std::count_if(history_.invocations.begin(), history_.invocations.end(),
                      [](const Invocation<P>& call) { return call.client != kOperator; }));
    outcome_.network = network_.stats();
    outcome_.fingerprint = options_.fingerprint ? run_hash_.digest() : 0;
    if (options_.want_script) outcome_.workload_script = workload_.script(now_);
    for (const FaultRecord& fault : fault_log_)
      if (fault.kind != FaultRecord::Kind::liveness_start)
        ++outcome_.faults_by_kind[std::string(to_string(fault.kind))];
    const ClusterView<P> v = view();
    const RunRecord<P> record{history_, v, fault_log_, scenario_.node_names, outcome_.safety_end,
                              now_};
    const bool idle = workload_.idle();
    checks_.at_end(v, record, WorkloadLeft{idle, idle ? "" : workload_.outstanding()}, outcome_);
  }

  // ---- budgets (simulation_budget.h) ----------------------------------------------------
  static constexpr std::size_t attribution_sample_max = 65536;
  bool budget_exceeded();
  std::optional<BudgetStop> deterministic_budget_stop() const;
  std::string event_source(const Payload& payload) const;
  std::string fault_source(std::string_view what, std::size_t index) const;
  std::string pending_load() const;
  std::string handled_load() const;

  const LoadedScenario<P>& loaded_;
  const scenario::Scenario& scenario_;
  RunChecks<P> checks_;
  RunOptions options_;
  std::uint32_t node_count_;
  Rng root_rng_;
  Network network_;
  Rng timer_rng_;
  Rng fault_rng_;
  Rng nemesis_rng_;
  typename P::Workload workload_;
  TimerTable<Timer> timers_;

  EventQueue<Payload> queue_;
  std::vector<std::optional<Node>> nodes_;
  std::vector<std::optional<Durable>> disks_;
  std::vector<Status> status_;
  std::vector<std::string> last_role_;
  std::vector<std::string> traced_roles_;  // each node's role as last traced (tracing only)
  std::uint64_t traced_messages_ = 0;      // the last message id traced
  std::vector<std::vector<Payload>> backlog_;
  Outbox<P> outbox_;
  History<P> history_;
  std::vector<FaultRecord> fault_log_;
  FingerprintSink run_hash_;
  StepCapture step_;

  Time now_;
  Time stop_at_;
  Phase phase_ = Phase::safety;
  bool finished_ = false;
  std::array<std::uint64_t, std::variant_size_v<Payload>> handled_by_kind_{};
  RunOutcome outcome_;
  StepObserver<P>* observer_ = nullptr;  // not owned
};

template <Protocol P>
RunOutcome run_simulation(const LoadedScenario<P>& loaded, const CheckSuite<P>& suite,
                          RunOptions options) {
  Simulation<P> simulation(loaded, suite, options);
  return simulation.run();
}

}  // namespace faultline

#include "sim/engine/simulation_budget.h"  // IWYU pragma: export
#include "sim/engine/simulation_faults.h"  // IWYU pragma: export
