// Node: one member of the canary-rollout cluster, as a pure, copyable state machine.
//
// Node 0 is the coordinator: it drives the staged rollout, one two-phase-commit transaction per
// stage. Every other node is a participant that votes on its local health gate. Both roles serve
// predictions from their committed RoutingState. Role state lives in a variant so the world is a
// dense vector of one Node type.
//
// Invariants (asserted, after every handler too: check_step, check_invariants): the log is
// append-only, so a logged vote or decision never changes; the committed state only moves to a
// higher version; every vote and decision is in the persisted log before it is sent (apply()
// persists before sending); a participant is in doubt about at most one tx, and is blocked only
// while in doubt; the coordinator has at most one tx collecting votes, decides it before it
// begins the next, and numbers a new tx above every logged one. Node state holds no counters that
// change on heartbeats, and heartbeats never append to the log, so idle states fingerprint equal.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "protocols/two_phase_commit/types.h"
#include "sim/core/assert.h"
#include "sim/core/ids.h"
#include "sim/core/outbox.h"

namespace faultline::two_phase_commit {

struct TwoPhaseCommit;
using Effects = Outbox<TwoPhaseCommit>;

enum class VoteState : std::uint8_t { unknown, yes, no };
inline std::string_view to_string(VoteState v) {
  switch (v) {
    case VoteState::unknown: return "unknown";
    case VoteState::yes: return "yes";
    case VoteState::no: return "no";
  }
  return "";
}

enum class RolloutPhase : std::uint8_t { staging, rolling_back, done, halted };
inline std::string_view to_string(RolloutPhase p) {
  switch (p) {
    case RolloutPhase::staging: return "staging";
    case RolloutPhase::rolling_back: return "rolling_back";
    case RolloutPhase::done: return "done";
    case RolloutPhase::halted: return "halted";
  }
  return "";
}

// The coordinator's transaction that is collecting votes.
struct ActiveTx {
  static constexpr std::string_view type_name = "ActiveTx";
  TxId tx;
  TxKind kind = TxKind::stage;
  std::uint32_t stage = 0;
  RoutingState proposal;
  std::vector<VoteState> votes;  // indexed by NodeId; [0] (the coordinator) unused
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("tx", self.tx);
    visit("kind", self.kind);
    visit("stage", self.stage);
    visit("proposal", self.proposal);
    visit("votes", self.votes);
  }
  friend bool operator==(const ActiveTx&, const ActiveTx&) = default;
};

// The latest decision, retransmitted every decision_retry until every participant acked it.
struct PendingDecision {
  static constexpr std::string_view type_name = "PendingDecision";
  Decision decision;
  std::vector<std::uint8_t> acked;  // indexed by NodeId; 1 = acked; [0] unused
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("decision", self.decision);
    visit("acked", self.acked);
  }
  friend bool operator==(const PendingDecision&, const PendingDecision&) = default;
};

struct CoordinatorState {
  static constexpr std::string_view type_name = "Coordinator";
  TxId next_tx{1};
  RolloutPhase phase = RolloutPhase::staging;
  std::uint32_t next_stage = 0;  // index into stage_weights_bps()
  std::optional<ActiveTx> active;
  std::optional<PendingDecision> pending;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("next_tx", self.next_tx);
    visit("phase", self.phase);
    visit("next_stage", self.next_stage);
    visit("active", self.active);
    visit("pending", self.pending);
  }
  friend bool operator==(const CoordinatorState&, const CoordinatorState&) = default;
};

struct InDoubt {
  static constexpr std::string_view type_name = "InDoubt";
  TxId tx;
  RoutingState proposal;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("tx", self.tx);
    visit("proposal", self.proposal);
  }
  friend bool operator==(const InDoubt&, const InDoubt&) = default;
};

struct ParticipantState {
  static constexpr std::string_view type_name = "Participant";
  std::optional<InDoubt> in_doubt;  // voted yes, outcome unknown
  bool blocked = false;             // in doubt past one query_interval (Blocked was emitted)
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("in_doubt", self.in_doubt);
    visit("blocked", self.blocked);
  }
  friend bool operator==(const ParticipantState&, const ParticipantState&) = default;
};

// The node's config, shared by every copy of the node. The config never changes after
// construction, and the model checker copies a node on every step: sharing one immutable value
// makes a copy a pointer copy instead of a vector and two strings. Equality is by value.
class SharedConfig {
 public:
  explicit SharedConfig(const Config& config) : value_(std::make_shared<const Config>(config)) {}
  const Config* operator->() const { return value_.get(); }
  const Config& operator*() const { return *value_; }
  friend bool operator==(const SharedConfig& a, const SharedConfig& b) {
    return a.value_ == b.value_ || *a.value_ == *b.value_;
  }

 private:
  std::shared_ptr<const Config> value_;
};

// A value shared by copies until one of them changes it (copy-on-write). The model checker
// copies a node for every step it explores, and most steps (a stale or duplicate message, a
// heartbeat with nothing new) change nothing: with the node's volatile state behind one of
// these, such a copy is a pointer copy and comparing it with the original is a pointer
// comparison. edit() copies the value first only while another copy shares it, so the
// simulator, whose nodes are never copied, changes its nodes in place. Equality is by value.
// (One copy's holders stay on one thread: every driver runs a node on one thread.)
template <class T>
class CopyOnWrite {
 public:
  CopyOnWrite() : value_(std::make_shared<T>()) {}
  const T& operator*() const { return *value_; }
  const T* operator->() const { return value_.get(); }
  T& edit() {
    if (value_.use_count() > 1) value_ = std::make_shared<T>(*value_);
    FL_ASSERT(value_.use_count() == 1, "a value is changed only where no other copy sees it");
    return *value_;
  }
  friend bool operator==(const CopyOnWrite& a, const CopyOnWrite& b) {
    return a.value_ == b.value_ || *a.value_ == *b.value_;
  }

 private:
  std::shared_ptr<T> value_;
};

class Node {
 public:
  static constexpr NodeId coordinator_id{0};

  // `recovered` is the last persisted log (none on first start). Effects of recovery (presumed
  // abort, re-sending a decision, timers) happen in on_start, since constructors have no outbox.
  Node(const Config& config, NodeId id, std::uint32_t node_count, std::optional<Log> recovered);

  void on_start(Effects& out);
  void on_message(NodeId source, const Message& message, Effects& out);
  void on_timer(const Timer& timer, Effects& out);
  void on_input(const Input& input, Effects& out);

  std::string_view role() const { return is_coordinator() ? "coordinator" : "participant"; }

  // Observers for checkers and tests.
  NodeId id() const { return id_; }
  bool is_coordinator() const { return id_ == coordinator_id; }
  const RoutingState& committed_state() const { return data().committed; }
  TxId committed_tx() const { return data().committed_tx; }
  const Log& log() const { return data().log; }
  std::optional<bool> healthy() const { return data().healthy; }
  const CoordinatorState* coordinator() const {
    return std::get_if<CoordinatorState>(&data().role);
  }
  const ParticipantState* participant() const {
    return std::get_if<ParticipantState>(&data().role);
  }
  std::optional<TxId> in_doubt_tx() const;

  friend bool operator==(const Node&, const Node&) = default;

  // This node with every node id i replaced by ids[i], for a permutation `ids` of the cluster
  // that keeps the coordinator at 0: what the model checker's participant symmetry reduction
  // (`faultline check --symmetry`) compares states under. Participants are interchangeable:
  // only the node's own id and the coordinator's per-node vectors (votes, acks) name nodes;
  // messages, timers and log records never do.
  Node renamed(std::span<const NodeId> ids) const;

  // The volatile state as a field list (for fingerprints and describe); the config is constant.
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    auto& state = fields_state(self);  // const for readers; writers get their own copy
    visit("id", self.id_);
    visit("committed_tx", state.committed_tx);
    visit("committed", state.committed);
    visit("healthy", state.healthy);
    visit("log", state.log);
    visit("role", state.role);
  }
  static constexpr std::string_view type_name = "Node";

 private:
  // Everything a handler may change, shared between copies of the node until one changes it
  // (CopyOnWrite above). Handlers read through data() and write only through edit(), right
  // where they change something, so a handler that changes nothing copies nothing.
  struct State {
    Log log;  // this node's copy of its durable log; persisted whole
    RoutingState committed;
    TxId committed_tx;
    std::optional<bool> healthy;  // the latest observation's gate verdict; none = no evidence yet
    bool forgot_votes = false;    // bug forget_vote_on_restart: the pruned log awaits its persist
    std::variant<CoordinatorState, ParticipantState> role;
    friend bool operator==(const State&, const State&) = default;
  };
  const State& data() const { return *state_; }
  State& edit() { return state_.edit(); }
  static const State& fields_state(const Node& node) { return node.data(); }
  static State& fields_state(Node& node) { return node.edit(); }

  // Shared.
  void append(LogRecord record) { edit().log.records.push_back(std::move(record)); }
  void apply_commit(TxId tx, const RoutingState& state, Effects& out);
  bool gate_open() const { return data().healthy.value_or(false); }
  void on_predict(const Predict& predict, Effects& out) const;
  void on_observe_health(const ObserveHealth& health);
  void answer_state_request(NodeId source, Effects& out) const;
  std::uint32_t participant_count() const { return node_count_ - 1; }

  // Coordinator. coord() is for changing the coordinator state, coord_state() for reading it.
  CoordinatorState& coord();
  const CoordinatorState& coord_state() const;
  void coordinator_start(Effects& out);
  void coordinator_message(NodeId source, const Message& message, Effects& out);
  void coordinator_timer(const Timer& timer, Effects& out);
  void on_stage_timer(Effects& out);
  void begin_tx(TxKind kind, Effects& out);
  void on_vote(NodeId source, const Vote& vote, Effects& out);
  void evaluate_votes(bool timed_out, Effects& out);
  void decide(Outcome outcome, Effects& out);
  void advance_after(TxKind kind, Outcome outcome, Effects& out);
  void send_pending_decision(Effects& out) const;
  void on_ack(NodeId source, const Ack& ack, Effects& out);
  void on_decision_query(NodeId source, const DecisionQuery& query, Effects& out) const;
  void derive_phase();

  // Participant (part() to change, part_state() to read).
  ParticipantState& part();
  const ParticipantState& part_state() const;
  void participant_start(Effects& out);
  void participant_message(NodeId source, const Message& message, Effects& out);
  void on_prepare(NodeId source, const Prepare& prepare, Effects& out);
  void on_decision(NodeId source, const Decision& decision, Effects& out);
  void on_heartbeat(NodeId source, const Heartbeat& heartbeat, Effects& out);
  void on_state_sync(const StateSync& sync, Effects& out);
  void on_peer_query(NodeId source, const PeerQuery& query, Effects& out);
  void on_query_timer(Effects& out);
  void resolve(Outcome outcome, Effects& out);
  void catch_up(TxId tx, const RoutingState& state, Effects& out);

  // What a step may change (asserted after every handler): check_step compares with the log and
  // committed version step_start() recorded before it, then checks the invariants.
  struct StepStart {
    LogRecords records;  // shares the log's vector: a pointer copy
    std::uint64_t committed_version = 0;
  };
  StepStart step_start() const;
  void check_step(const StepStart& before) const;
  void check_invariants() const;

  SharedConfig config_;
  NodeId id_;
  std::uint32_t node_count_ = 1;
  CopyOnWrite<State> state_;
};

}  // namespace faultline::two_phase_commit
