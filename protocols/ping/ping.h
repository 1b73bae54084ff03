// Ping: the smallest protocol there is, for engine tests and the events-per-second benchmark,
// and the example of a complete protocol: its tag (below), its binding (checkers/ping), its
// scenarios (scenarios/ping) and its tests (tests/protocols/ping), wired by one CMake line.
//
// Every node starts `tokens_per_node` tokens; a node that receives a token forwards it to a
// next hop computed from the token (no randomness in the node), so the number of messages in
// flight stays constant and every event is one delivery plus one send. `hops_max` bounds a
// token's life (0 = forever). A `Report` input makes a node persist and emit how many tokens
// it has received; a restart resumes counting from what it persisted, so a node never counts fewer
// tokens than its disk says (bug switch forget_on_restart breaks that).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "sim/core/assert.h"
#include "sim/core/outbox.h"
#include "sim/core/protocol.h"
#include "sim/core/result.h"
#include "sim/core/rng.h"
#include "sim/core/workload.h"

namespace faultline::ping {

struct Token {
  static constexpr std::string_view type_name = "Token";
  std::uint32_t origin = 0;
  std::uint64_t hops = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("origin", self.origin);
    visit("hops", self.hops);
  }
  friend bool operator==(const Token&, const Token&) = default;
};

// Known-wrong variants, for proving the checkers catch them.
enum class Bug : std::uint8_t { none, forget_on_restart };
inline std::string_view to_string(Bug bug) {
  switch (bug) {
    case Bug::none: return "none";
    case Bug::forget_on_restart: return "forget_on_restart";  // restart from 0, not the disk
  }
  return "";
}

struct Config {
  static constexpr std::string_view type_name = "Config";
  std::uint32_t tokens_per_node = 1;
  std::uint64_t hops_max = 0;
  Bug bug = Bug::none;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("tokens_per_node", self.tokens_per_node);
    visit("hops_max", self.hops_max);
    visit("bug", self.bug);
  }
  // Every token is a message in flight for the whole run: at most tokens_max of them (which
  // also keeps a token's origin, node * tokens_per_node + t, inside its 32 bits).
  static constexpr std::uint64_t tokens_max = std::uint64_t{1} << 22;  // 4,194,304
  Result<void> validate(std::uint32_t node_count) const {
    if (std::uint64_t{tokens_per_node} * node_count > tokens_max)
      return fail("tokens_per_node", 0,
                  "tokens_per_node times the node count is " +
                      std::to_string(std::uint64_t{tokens_per_node} * node_count) + "; at most " +
                      std::to_string(tokens_max) + " tokens in flight");
    return {};
  }
};

struct Tick {
  static constexpr std::string_view type_name = "Tick";
  template <class Self, class Visit>
  static void fields(Self&, Visit&&) {}
  friend bool operator==(const Tick&, const Tick&) = default;
};

// The one input: report how many tokens you have received (persist it, then emit it). In a
// scenario: `input: { node: n0, report: {} }`.
struct Report {
  static constexpr std::string_view type_name = "Report";
  static constexpr std::string_view config_name = "report";
  template <class Self, class Visit>
  static void fields(Self&, Visit&&) {}
  friend bool operator==(const Report&, const Report&) = default;
};
using Input = std::variant<Report>;

struct Received {
  static constexpr std::string_view type_name = "Received";
  std::uint64_t count = 0;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("count", self.count);
  }
  friend bool operator==(const Received&, const Received&) = default;
};

struct WorkloadConfig {
  static constexpr std::string_view type_name = "WorkloadConfig";
  template <class Self, class Visit>
  static void fields(Self&, Visit&&) {}
  Result<void> validate(std::uint32_t) const { return {}; }
};

struct Ping;
using Message = std::variant<Token>;

class Node {
 public:
  Node(const Config& config, NodeId self, std::uint32_t node_count,
       std::optional<Received> recovered)
      : config_(config), self_(self), node_count_(node_count) {
    FL_ASSERT(self.value < node_count, "node id out of range");
    if (recovered && config.bug != Bug::forget_on_restart) received_ = recovered->count;
  }
  void on_start(Outbox<Ping>& out);
  void on_message(NodeId from, const Message& message, Outbox<Ping>& out);
  void on_timer(const Tick&, Outbox<Ping>&) {}
  void on_input(const Input& input, Outbox<Ping>& out);
  std::string_view role() const { return "node"; }
  std::uint64_t received() const { return received_; }
  friend bool operator==(const Node& a, const Node& b) {
    return a.self_ == b.self_ && a.received_ == b.received_;
  }
  // The volatile state (the config and node count never change), for fingerprints.
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("self", self.self_);
    visit("received", self.received_);
  }

 private:
  NodeId next_hop(const Token& token) const {
    FL_ASSERT(node_count_ >= 2, "a token needs another node to go to");
    // A fixed pseudo-random walk: mixes origin and hop count, never the sender's own id.
    std::uint64_t mix = token.origin * 0x9e3779b97f4a7c15ULL + token.hops * 0xbf58476d1ce4e5b9ULL;
    mix ^= mix >> 31;
    // Multiply-shift range reduction (no division): the high bits of mix scaled to [0, n).
    std::uint32_t target = static_cast<std::uint32_t>(((mix >> 32) * node_count_) >> 32);
    if (target == self_.value) target = (target + 1) % node_count_;
    FL_ASSERT(target < node_count_, "a token goes to a node of the cluster");
    FL_ASSERT(target != self_.value, "a token never goes back to its sender");
    return NodeId{target};
  }

  Config config_;
  NodeId self_;
  std::uint32_t node_count_;
  std::uint64_t received_ = 0;
};

class Workload : public WorkloadDefaults<Ping> {
 public:
  Workload(const WorkloadConfig&, const Config&, std::uint32_t, Rng) {}
  void start(WorkloadSink<Ping>&) {}
  void on_output(Time, NodeId, const Received&, WorkloadSink<Ping>&) {}
};

struct Ping {
  static constexpr std::string_view name = "ping";
  using Config = ping::Config;
  using Node = ping::Node;
  using Message = ping::Message;
  using Timer = Tick;
  using Durable = Received;
  using Input = ping::Input;
  using Output = Received;
  using WorkloadConfig = ping::WorkloadConfig;
  using Workload = ping::Workload;
  static std::vector<std::string> role_names() { return {"node"}; }
};

inline void Node::on_start(Outbox<Ping>& out) {
  if (node_count_ < 2) return;
  for (std::uint32_t t = 0; t < config_.tokens_per_node; ++t) {
    const Token token{self_.value * config_.tokens_per_node + t, 0};
    out.send(next_hop(token), token);
  }
}

inline void Node::on_message(NodeId from, const Message& message, Outbox<Ping>& out) {
  FL_ASSERT(from != self_, "a node never sends a token to itself");
  const Token& token = std::get<Token>(message);
  // Tokens in flight have hops < hops_max: the last hop is received and not forwarded.
  FL_ASSERT(config_.hops_max == 0 || token.hops < config_.hops_max, "a token past its last hop");
  ++received_;
  if (config_.hops_max != 0 && token.hops + 1 >= config_.hops_max) return;
  const Token next{token.origin, token.hops + 1};
  out.send(next_hop(next), next);
}

inline void Node::on_input(const Input& input, Outbox<Ping>& out) {
  FL_ASSERT(std::holds_alternative<Report>(input), "ping's one input is Report");
  FL_ASSERT(self_.value < node_count_, "a node of the cluster");
  out.persist(Received{received_});
  out.emit(Received{received_});
}

}  // namespace faultline::ping

namespace faultline {
static_assert(Protocol<ping::Ping>);
}  // namespace faultline
