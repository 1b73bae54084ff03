// A tiny deterministic harness for Raft tests: nodes as values, messages in flight delivered in
// the order the test chooses, timers that fire only when the test says so, crash and restart
// from the last persisted Disk. Effects go through the one apply() all drivers use.
#pragma once

#include <algorithm>
#include <optional>
#include <vector>

#include "protocols/raft/protocol.h"
#include "sim/core/apply.h"
#include "sim/core/property.h"

namespace faultline::raft::testing {

struct Envelope {
  NodeId from, to;
  Message message;
};

class Harness {
 public:
  explicit Harness(Config config, std::uint32_t node_count = 3)
      : config_(std::move(config)), nodes_(node_count), disks_(node_count) {
    for (std::uint32_t i = 0; i < node_count; ++i) start(NodeId{i});
  }

  // apply() driver hooks.
  void persist(NodeId node, const Disk& disk) { disks_[node.value] = disk; }
  void set_timer(NodeId, const Timer&, DurationRange) {}
  void cancel_timer(NodeId, const Timer&) {}
  void send(NodeId from, NodeId to, const Message& message) {
    network_.push_back(Envelope{from, to, message});
  }
  void emit(NodeId node, const Output& output) { outputs_.push_back({node, output}); }

  void input(NodeId node, const Input& in) {
    run(node, [&](Node& n, Effects& out) { n.on_input(in, out); });
  }
  void fire(NodeId node, const Timer& timer) {
    run(node, [&](Node& n, Effects& out) { n.on_timer(timer, out); });
  }
  // Delivers every message in flight, oldest first, until none is left (or `steps_max`).
  void settle(std::size_t steps_max = 10'000) {
    for (std::size_t i = 0; i < steps_max && !network_.empty(); ++i) {
      const Envelope e = network_.front();
      network_.erase(network_.begin());
      if (nodes_[e.to.value])
        run(e.to, [&](Node& n, Effects& out) { n.on_message(e.from, e.message, out); });
    }
  }
  void crash(NodeId node) {
    nodes_[node.value].reset();
    std::erase_if(network_, [&](const Envelope& e) { return e.to == node; });
  }
  void restart(NodeId node) { start(node, disks_[node.value]); }

  const Node& node(std::uint32_t i) const { return *nodes_[i]; }
  bool up(std::uint32_t i) const { return nodes_[i].has_value(); }
  const std::optional<Disk>& disk(std::uint32_t i) const { return disks_[i]; }
  std::vector<std::pair<NodeId, Output>>& outputs() { return outputs_; }
  std::vector<Envelope>& network() { return network_; }
  ClusterView<Raft> view() const { return ClusterView<Raft>{nodes_, disks_, Time{}}; }

 private:
  template <class Handler>
  void run(NodeId id, Handler&& handler) {
    Effects out;
    handler(*nodes_[id.value], out);
    apply(id, out, *this);
  }
  void start(NodeId id, std::optional<Disk> recovered = std::nullopt) {
    nodes_[id.value].emplace(config_, id, static_cast<std::uint32_t>(nodes_.size()),
                             std::move(recovered));
    run(id, [](Node& n, Effects& out) { n.on_start(out); });
  }

  Config config_;
  std::vector<std::optional<Node>> nodes_;
  std::vector<std::optional<Disk>> disks_;
  std::vector<Envelope> network_;
  std::vector<std::pair<NodeId, Output>> outputs_;
};

inline ClientRequest put(std::uint64_t client, std::uint64_t seq, std::string key,
                         std::string value) {
  return ClientRequest{client, seq, 0, Put{std::move(key), std::move(value)}};
}

}  // namespace faultline::raft::testing
