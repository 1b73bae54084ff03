// Harness<P>: a hand-driven cluster of any protocol P (sim/core/protocol.h) for tests. The test
// is the scheduler: it chooses which in-flight message is delivered, dropped or duplicated,
// which armed timer fires, when a node crashes or restarts and which inputs arrive. No clock, no
// RNG, no engine: every schedule is spelled out by the test (or by a rapidcheck generator).
//
// The semantics are the simulator's and the explorer's, so a schedule written here means what
// it would mean there:
// - Effects go through the one apply() every driver uses: persist, timers, sends, emits.
// - Timers: a node's armed timers are a set under ==. Setting an armed timer re-arms it (no
//   second copy), cancelling disarms it, firing disarms it before the handler runs (which may
//   arm it again), a crash disarms them all. fire() asserts that the timer is armed: no driver
//   fires an unarmed timer. fire_unarmed() is the explicit exception (see there).
// - Messages are in flight in send order. Delivering one to a down node loses it, as the
//   simulator and the explorer do at delivery; a crash itself takes nothing off the network.
// - An input to a down node is lost (the simulator's rule too).
// - crash() asserts the node is up; restart() asserts it is down and builds the node from its
//   last persisted Durable (none: as at first start), then runs on_start.
//
// Invariants: a down node has no value and no armed timers; the per-node vectors are sized to
// the cluster for the harness's whole life; last_effects() holds exactly what the most recent
// handler call recorded (empty after a crash or a lost delivery).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <variant>
#include <vector>

#include "sim/core/apply.h"
#include "sim/core/assert.h"
#include "sim/core/outbox.h"
#include "sim/core/property.h"
#include "sim/core/protocol.h"

namespace faultline::testing {

template <Protocol P>
struct Envelope {
  NodeId from;
  NodeId to;
  typename P::Message message;
};

template <Protocol P>
struct Emitted {
  NodeId node;
  typename P::Output output;
};

template <Protocol P>
class Harness {
 public:
  using Config = typename P::Config;
  using Node = typename P::Node;
  using Message = typename P::Message;
  using Timer = typename P::Timer;
  using Durable = typename P::Durable;
  using Input = typename P::Input;
  using Output = typename P::Output;
  using Envelope = testing::Envelope<P>;
  using Emitted = testing::Emitted<P>;

  // Builds and starts every node (node i gets NodeId{i}), in id order.
  explicit Harness(Config config, std::uint32_t node_count = 3)
      : config_(std::move(config)), nodes_(node_count), disks_(node_count), timers_(node_count) {
    FL_ASSERT(node_count >= 1, "a cluster has at least one node");
    for (std::uint32_t i = 0; i < node_count; ++i) start(NodeId{i});
  }

  // ---- messages ------------------------------------------------------------------------------

  // Delivers network()[index]. False: its target is down, so it is lost.
  bool deliver(std::size_t index) {
    FL_ASSERT(index < network_.size(), "deliver: no message at that index");
    const Envelope envelope = take(index);
    last_.clear();
    if (!up(envelope.to.value)) return false;
    run(envelope.to,
        [&](Node& node, Outbox<P>& out) { node.on_message(envelope.from, envelope.message, out); });
    return true;
  }
  bool deliver_next() { return deliver(0); }
  // Delivers the oldest message until none is in flight or `steps_max` were delivered (so a
  // livelock ends); returns how many were delivered (lost ones count).
  std::size_t deliver_all(std::size_t steps_max = 10'000) {
    std::size_t steps = 0;
    for (; steps < steps_max && !network_.empty(); ++steps) deliver_next();
    return steps;
  }
  void drop(std::size_t index) { (void)take(index); }
  // A second copy of network()[index], in flight after every other message.
  void duplicate(std::size_t index) {
    FL_ASSERT(index < network_.size(), "duplicate: no message at that index");
    network_.push_back(network_[index]);
  }
  // Drops every message in flight to or from `node`.
  void cut(NodeId node) {
    std::erase_if(network_, [&](const Envelope& e) { return e.from == node || e.to == node; });
  }

  // ---- timers, inputs, faults ----------------------------------------------------------------

  // Fires an armed timer: disarms it, then runs the handler (which may re-arm it).
  void fire(NodeId node, const Timer& timer) {
    FL_ASSERT(armed(node, timer), "fire: the timer is not armed (fire_unarmed says so on purpose)");
    std::erase(timers_[node.value], timer);
    run(node, [&](Node& n, Outbox<P>& out) { n.on_timer(timer, out); });
  }
  // Runs the timer handler of an up node for a timer that is NOT armed: what a driver would do
  // if a timer event outlived its cancellation. No faultline driver does that; a test uses this
  // to show that a handler ignores such a stale timer.
  void fire_unarmed(NodeId node, const Timer& timer) {
    FL_ASSERT(up(node.value), "fire_unarmed: the node is down");
    FL_ASSERT(!armed(node, timer), "fire_unarmed: the timer is armed (use fire)");
    run(node, [&](Node& n, Outbox<P>& out) { n.on_timer(timer, out); });
  }
  // False: the node is down and the input is lost.
  bool input(NodeId node, const Input& input) {
    last_.clear();
    if (!up(node.value)) return false;
    run(node, [&](Node& n, Outbox<P>& out) { n.on_input(input, out); });
    return true;
  }
  void crash(NodeId node) {
    FL_ASSERT(up(node.value), "crash: the node is already down");
    nodes_[node.value].reset();
    timers_[node.value].clear();
    last_.clear();
  }
  void restart(NodeId node) {
    FL_ASSERT(!up(node.value), "restart: the node is up");
    start(node);
  }

  // ---- inspection ----------------------------------------------------------------------------

  std::uint32_t node_count() const { return static_cast<std::uint32_t>(nodes_.size()); }
  const Config& config() const { return config_; }
  bool up(std::uint32_t index) const { return nodes_.at(index).has_value(); }
  const Node& node(std::uint32_t index) const {
    FL_ASSERT(up(index), "node: the node is down");
    return *nodes_[index];
  }
  // The last Durable the node persisted (none: it never persisted).
  const std::optional<Durable>& disk(std::uint32_t index) const { return disks_.at(index); }
  // In flight, oldest first. Mutable: a test may hold messages back and put them back later.
  std::vector<Envelope>& network() { return network_; }
  const std::vector<Envelope>& network() const { return network_; }
  // A node's armed timers, in the order they were first armed.
  const std::vector<Timer>& timers(NodeId node) const { return timers_.at(node.value); }
  bool armed(NodeId node, const Timer& timer) const {
    return std::ranges::find(timers(node), timer) != timers(node).end();
  }
  // Every output emitted, in order. Mutable: a test may clear what it has looked at.
  std::vector<Emitted>& outputs() { return outputs_; }
  const std::vector<Emitted>& outputs() const { return outputs_; }
  template <class T>
  std::vector<std::pair<NodeId, T>> outputs_of() const {
    std::vector<std::pair<NodeId, T>> found;
    for (const Emitted& e : outputs_)
      if (const auto* t = std::get_if<T>(&e.output)) found.emplace_back(e.node, *t);
    return found;
  }
  // What the most recent handler call recorded (empty if none ran since the last crash or loss).
  const Outbox<P>& last_effects() const { return last_; }
  ClusterView<P> view() const {
    return ClusterView<P>{std::span(nodes_), std::span(disks_), Time{}};
  }

 private:
  // The apply() driver hooks.
  struct Hooks {
    Harness& h;
    void persist(NodeId node, const Durable& durable) { h.disks_[node.value] = durable; }
    void set_timer(NodeId node, const Timer& timer, DurationRange) {
      if (!h.armed(node, timer)) h.timers_[node.value].push_back(timer);
    }
    void cancel_timer(NodeId node, const Timer& timer) { std::erase(h.timers_[node.value], timer); }
    void send(NodeId from, NodeId to, const Message& message) {
      FL_ASSERT(to.value < h.node_count(), "a message to a node outside the cluster");
      h.network_.push_back(Envelope{from, to, message});
    }
    void emit(NodeId node, const Output& output) { h.outputs_.push_back(Emitted{node, output}); }
  };

  Envelope take(std::size_t index) {
    FL_ASSERT(index < network_.size(), "no message at that index");
    Envelope envelope = std::move(network_[index]);
    network_.erase(network_.begin() + static_cast<std::ptrdiff_t>(index));
    return envelope;
  }
  template <class Handler>
  void run(NodeId id, Handler&& handler) {
    last_.clear();
    handler(*nodes_[id.value], last_);
    Hooks hooks{*this};
    apply<P>(id, last_, hooks);
  }
  void start(NodeId id) {
    nodes_[id.value].emplace(config_, id, node_count(), disks_[id.value]);
    run(id, [](Node& n, Outbox<P>& out) { n.on_start(out); });
  }

  Config config_;
  std::vector<std::optional<Node>> nodes_;
  std::vector<std::optional<Durable>> disks_;
  std::vector<std::vector<Timer>> timers_;
  std::vector<Envelope> network_;
  std::vector<Emitted> outputs_;
  Outbox<P> last_;
};

}  // namespace faultline::testing
