// A tiny deterministic harness for two-phase-commit tests: nodes as values, a list of messages
// in flight that the test delivers, drops or duplicates by hand, timers that fire only when the
// test says so, and crash/restart from the last persisted log. No engine, no clock, no RNG:
// every schedule is spelled out by the test (or by a rapidcheck generator).
//
// Invariants: a down node has no value and no armed timers; messages to a down node are lost on
// delivery; effects go through the one apply() all drivers use (persist, timers, sends, emits).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "protocols/two_phase_commit/log.h"
#include "protocols/two_phase_commit/protocol.h"
#include "sim/core/apply.h"
#include "sim/core/property.h"

namespace faultline::two_phase_commit::testing {

struct Envelope {
  NodeId from;
  NodeId to;
  Message message;
};

struct Emitted {
  NodeId node;
  Output output;
};

inline Config default_config() { return Config{}; }

class Harness {
 public:
  explicit Harness(Config config, std::uint32_t node_count = 3)
      : config_(std::move(config)),
        node_count_(node_count),
        nodes_(node_count),
        disks_(node_count),
        timers_(node_count) {
    for (std::uint32_t i = 0; i < node_count; ++i) start(NodeId{i});
  }

  // --- driver hooks for apply() ---
  void persist(NodeId node, const Log& log) { disks_[node.value] = log; }
  void set_timer(NodeId node, const Timer& timer, DurationRange) {
    auto& armed = timers_[node.value];
    if (std::find(armed.begin(), armed.end(), timer) == armed.end()) armed.push_back(timer);
  }
  void cancel_timer(NodeId node, const Timer& timer) { std::erase(timers_[node.value], timer); }
  void send(NodeId from, NodeId to, const Message& message) {
    network_.push_back(Envelope{from, to, message});
  }
  void emit(NodeId node, const Output& output) { outputs_.push_back(Emitted{node, output}); }

  // --- the test's controls ---
  std::vector<Envelope>& network() { return network_; }
  bool deliver(std::size_t index) {
    if (index >= network_.size()) return false;
    const Envelope envelope = network_[index];
    network_.erase(network_.begin() + static_cast<std::ptrdiff_t>(index));
    if (!nodes_[envelope.to.value]) return true;  // lost: the target is down
    run(envelope.to,
        [&](Node& node, Effects& out) { node.on_message(envelope.from, envelope.message, out); });
    return true;
  }
  bool deliver_next() { return deliver(0); }
  void drop(std::size_t index) {
    network_.erase(network_.begin() + static_cast<std::ptrdiff_t>(index));
  }
  void duplicate(std::size_t index) { network_.push_back(network_.at(index)); }
  // Delivers FIFO until nothing is in flight (bounded, so a livelock fails the test).
  void deliver_all(std::size_t limit = 10'000) {
    for (std::size_t i = 0; i < limit && !network_.empty(); ++i) deliver_next();
  }
  // Drops every message in flight to or from `node`.
  void cut(NodeId node) {
    std::erase_if(network_, [&](const Envelope& e) { return e.from == node || e.to == node; });
  }

  bool armed(NodeId node, const Timer& timer) const {
    const auto& armed = timers_[node.value];
    return std::find(armed.begin(), armed.end(), timer) != armed.end();
  }
  const std::vector<Timer>& timers(NodeId node) const { return timers_[node.value]; }
  // Fires an armed timer (a timer fires once; the handler may re-arm it). False if not armed.
  bool fire(NodeId node, const Timer& timer) {
    if (!nodes_[node.value] || !armed(node, timer)) return false;
    cancel_timer(node, timer);
    run(node, [&](Node& n, Effects& out) { n.on_timer(timer, out); });
    return true;
  }
  // Fires the prepare timeout of whatever tx the coordinator is collecting votes for.
  bool fire_prepare_timeout() {
    for (const Timer& t : timers_[0])
      if (std::holds_alternative<PrepareTimer>(t)) return fire(NodeId{0}, Timer{t});
    return false;
  }

  void input(NodeId node, const Input& input) {
    if (!nodes_[node.value]) return;
    run(node, [&](Node& n, Effects& out) { n.on_input(input, out); });
  }
  void observe(NodeId node, bool healthy) {
    using namespace literals;
    input(node, ObserveHealth{healthy ? 80_ms : 400_ms, healthy ? Ratio{1, 500} : Ratio{5, 100}});
  }
  void observe_all(bool healthy) {
    for (std::uint32_t i = 0; i < node_count_; ++i) observe(NodeId{i}, healthy);
  }

  void crash(NodeId node) {
    nodes_[node.value].reset();
    timers_[node.value].clear();
  }
  void restart(NodeId node) {
    if (nodes_[node.value]) return;
    start(node);
  }

  // One full stage: fire the stage timer, deliver everything. False if the timer was not armed.
  bool run_stage() {
    if (!fire(NodeId{0}, StageTimer{})) return false;
    deliver_all();
    return true;
  }

  const std::optional<Node>& node(std::uint32_t i) const { return nodes_[i]; }
  const std::optional<Log>& disk(std::uint32_t i) const { return disks_[i]; }
  std::uint32_t node_count() const { return node_count_; }
  const Config& config() const { return config_; }
  const std::vector<Emitted>& outputs() const { return outputs_; }

  template <class T>
  std::vector<std::pair<NodeId, T>> outputs_of() const {
    std::vector<std::pair<NodeId, T>> found;
    for (const Emitted& e : outputs_)
      if (const auto* t = std::get_if<T>(&e.output)) found.emplace_back(e.node, *t);
    return found;
  }

  ClusterView<TwoPhaseCommit> view() const {
    return ClusterView<TwoPhaseCommit>{std::span(nodes_), std::span(disks_), Time{}};
  }

 private:
  void start(NodeId id) {
    nodes_[id.value].emplace(config_, id, node_count_, disks_[id.value]);
    run(id, [](Node& n, Effects& out) { n.on_start(out); });
  }
  template <class Handler>
  void run(NodeId id, Handler&& handler) {
    Effects out;
    handler(*nodes_[id.value], out);
    apply<TwoPhaseCommit>(id, out, *this);
  }

  Config config_;
  std::uint32_t node_count_;
  std::vector<std::optional<Node>> nodes_;
  std::vector<std::optional<Log>> disks_;
  std::vector<std::vector<Timer>> timers_;
  std::vector<Envelope> network_;
  std::vector<Emitted> outputs_;
};

}  // namespace faultline::two_phase_commit::testing
