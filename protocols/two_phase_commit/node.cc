#include "protocols/two_phase_commit/node.h"

// GCC 12 reports false "maybe-uninitialized" warnings when a temporary struct is moved into a
// std::variant inside Outbox (GCC PR 105562 family); the values are fully initialized.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <algorithm>

#include "protocols/two_phase_commit/log.h"
#include "protocols/two_phase_commit/protocol.h"
#include "sim/core/assert.h"

namespace faultline::two_phase_commit {

namespace {
bool within(const Ratio& value, const Ratio& max) { return !(max < value); }
}  // namespace

// ---------------------------------------------------------------------------------------------
// Construction and recovery

Node::Node(const Config& config, NodeId id, std::uint32_t node_count, std::optional<Log> recovered)
    : config_(config), id_(id), node_count_(node_count) {
  FL_ASSERT(node_count >= 1, "a cluster has a coordinator");
  FL_ASSERT(id.value < node_count, "node id outside the cluster");
  FL_ASSERT(config.validate(node_count).has_value(),
            "config must be validated before nodes are built");
  State& s = edit();  // a new node holds its state alone: changed in place
  s.log = recovered.value_or(Log{});
  s.committed = initial_state(config);
  if (!is_coordinator() && config_->bug == Bug::forget_vote_on_restart && recovered) {
    // The bug: votes did not survive the crash (as if PREPARED were never synced).
    const auto erased = s.log.records.erase_if(
        [](const LogRecord& r) { return std::holds_alternative<PreparedRecord>(r); });
    s.forgot_votes = erased > 0;
  }
  if (const CommittedRecord* latest = latest_committed(s.log)) {
    s.committed = latest->state;
    s.committed_tx = latest->tx;
  }
  if (is_coordinator()) {
    CoordinatorState state;
    state.next_tx = TxId{max_tx(s.log).value + 1};
    s.role = state;
  } else {
    ParticipantState state;
    if (const PreparedRecord* open = in_doubt_of(s.log))
      state.in_doubt = InDoubt{open->tx, open->state};
    s.role = state;
  }
  check_invariants();
}

std::optional<TxId> Node::in_doubt_tx() const {
  const ParticipantState* p = participant();
  if (p == nullptr || !p->in_doubt) return std::nullopt;
  const PreparedRecord* vote = prepared_of(data().log, p->in_doubt->tx);
  FL_ASSERT(vote != nullptr, "a participant doubts only a tx it voted on");
  FL_ASSERT(vote->yes, "a participant is in doubt only after a yes vote");
  return p->in_doubt->tx;
}

Node Node::renamed(std::span<const NodeId> ids) const {
  FL_ASSERT(ids.size() == node_count_, "a renaming names every node of the cluster");
  FL_ASSERT(ids[0] == coordinator_id, "a renaming keeps the coordinator");
  Node copy = *this;
  copy.id_ = ids[id_.value];
  FL_ASSERT(copy.is_coordinator() == is_coordinator(), "a renamed node keeps its role");
  if (!is_coordinator()) return copy;
  const CoordinatorState& c = coord_state();
  if (!c.active && !c.pending) return copy;
  CoordinatorState& r = copy.coord();
  for (std::uint32_t i = 0; i < node_count_; ++i) {
    if (c.active) r.active->votes[ids[i].value] = c.active->votes[i];
    if (c.pending) r.pending->acked[ids[i].value] = c.pending->acked[i];
  }
  return copy;
}

CoordinatorState& Node::coord() {
  FL_ASSERT(is_coordinator(), "coordinator state on a participant");
  FL_ASSERT(std::holds_alternative<CoordinatorState>(data().role), "the role state matches the id");
  return std::get<CoordinatorState>(edit().role);
}

const CoordinatorState& Node::coord_state() const {
  FL_ASSERT(is_coordinator(), "coordinator state on a participant");
  FL_ASSERT(std::holds_alternative<CoordinatorState>(data().role), "the role state matches the id");
  return std::get<CoordinatorState>(data().role);
}

ParticipantState& Node::part() {
  FL_ASSERT(!is_coordinator(), "participant state on the coordinator");
  FL_ASSERT(std::holds_alternative<ParticipantState>(data().role), "the role state matches the id");
  return std::get<ParticipantState>(edit().role);
}

const ParticipantState& Node::part_state() const {
  FL_ASSERT(!is_coordinator(), "participant state on the coordinator");
  FL_ASSERT(std::holds_alternative<ParticipantState>(data().role), "the role state matches the id");
  return std::get<ParticipantState>(data().role);
}

void Node::on_start(Effects& out) {
  if (is_coordinator())
    coordinator_start(out);
  else
    participant_start(out);
  FL_ASSERT(!data().forgot_votes, "the bug's lost votes are persisted at start");
  check_invariants();
}

// ---------------------------------------------------------------------------------------------
// Shared handlers

void Node::on_message(NodeId source, const Message& message, Effects& out) {
  const StepStart before = step_start();
  // Any node answers a state request: committed states are final, whoever holds them.
  if (std::holds_alternative<StateRequest>(message)) return answer_state_request(source, out);
  if (source.value >= node_count_ || source == id_) return;  // not a cluster peer: ignore
  if (is_coordinator())
    coordinator_message(source, message, out);
  else
    participant_message(source, message, out);
  check_step(before);
}

void Node::on_timer(const Timer& timer, Effects& out) {
  FL_ASSERT(is_coordinator() || std::holds_alternative<QueryTimer>(timer),
            "a participant arms only its query timer");
  FL_ASSERT(!is_coordinator() || !std::holds_alternative<QueryTimer>(timer),
            "the coordinator is never in doubt");
  const StepStart before = step_start();
  if (is_coordinator())
    coordinator_timer(timer, out);
  else if (std::holds_alternative<QueryTimer>(timer))
    on_query_timer(out);
  check_step(before);
}

void Node::coordinator_timer(const Timer& timer, Effects& out) {
  FL_ASSERT(is_coordinator(), "coordinator timers fire at the coordinator");
  if (std::holds_alternative<StageTimer>(timer)) return on_stage_timer(out);
  if (const auto* t = std::get_if<PrepareTimer>(&timer)) {
    const CoordinatorState& c = coord_state();
    if (c.active && c.active->tx == t->tx) evaluate_votes(/*timed_out=*/true, out);
    return;
  }
  if (std::holds_alternative<DecisionRetryTimer>(timer)) {
    if (!coord_state().pending) return;
    send_pending_decision(out);
    out.set_timer(DecisionRetryTimer{}, config_->decision_retry);
    return;
  }
  if (std::holds_alternative<HeartbeatTimer>(timer)) {
    FL_ASSERT(data().committed.version >= 1, "the coordinator announces a committed version");
    for (std::uint32_t i = 1; i < node_count_; ++i)
      out.send(NodeId{i}, Heartbeat{data().committed.version});
    out.set_timer(HeartbeatTimer{}, config_->heartbeat_interval);
    return;
  }
  // A participant timer armed before a role change cannot exist; ignore stale ones.
}

void Node::on_input(const Input& input, Effects& out) {
  const StepStart before = step_start();
  if (const auto* p = std::get_if<Predict>(&input))
    on_predict(*p, out);
  else if (const auto* h = std::get_if<ObserveHealth>(&input))
    on_observe_health(*h);
  else
    FL_UNREACHABLE("unknown input alternative");
  check_step(before);
}

void Node::on_predict(const Predict& predict, Effects& out) const {
  FL_ASSERT(data().committed.canary_weight_bps <= basis_points_total, "weight out of range");
  // draw is uniform in [0, 10000), so P(canary) = weight / 10000 exactly.
  const bool canary = predict.draw < data().committed.canary_weight_bps;
  out.emit(
      PredictServed{predict.request_id,
                    canary ? data().committed.canary_model_id : data().committed.stable_model_id,
                    data().committed.version, canary});
}

void Node::on_observe_health(const ObserveHealth& health) {
  FL_ASSERT(config_->error_rate_max.denominator != 0, "the config is validated");
  const bool healthy = health.canary_p95_latency <= config_->p95_latency_max &&
                       health.canary_error_rate.denominator != 0 &&
                       within(health.canary_error_rate, config_->error_rate_max);
  if (data().healthy != healthy)
    edit().healthy = healthy;  // the same verdict again changes nothing
  FL_ASSERT(data().healthy == healthy, "the gate follows the latest observation");
}

void Node::answer_state_request(NodeId source, Effects& out) const {
  if (source.value >= node_count_ || source == id_) return;
  FL_ASSERT((data().committed_tx == TxId{}) == (data().committed.version == 1),
            "only the initial state was committed by no tx");
  FL_ASSERT((data().committed.status == RoutingStatus::initial) == (data().committed.version == 1),
            "every committed proposal has left the initial status");
  out.send(source, StateSync{data().committed_tx, data().committed});
}

void Node::apply_commit(TxId tx, const RoutingState& state, Effects& out) {
  FL_ASSERT(state.version > data().committed.version, "committed state must move forward");
  FL_ASSERT(state.canary_weight_bps <= basis_points_total, "weight out of range");
  FL_ASSERT(tx != TxId{}, "a commit names its tx (tx 0 is the initial state)");
  State& s = edit();
  s.committed = state;
  s.committed_tx = tx;
  out.emit(StateApplied{tx, state});
}

// ---------------------------------------------------------------------------------------------
// Coordinator

void Node::coordinator_start(Effects& out) {
  CoordinatorState& c = coord();
  FL_ASSERT(!c.active, "on_start runs once, on a fresh node: no tx collects votes yet");
  FL_ASSERT(!c.pending, "on_start runs once, on a fresh node: no decision is pending yet");
  if (const BeginRecord* dangling = dangling_begin(data().log)) {
    // Crashed while collecting votes: nobody can have committed (no decision was logged), so
    // presume abort, log it, and tell everyone.
    const DecisionRecord record{dangling->tx, dangling->kind, Outcome::abort, dangling->state};
    append(record);
    out.persist(data().log);
    out.emit(DecisionMade{record.tx, Outcome::abort, record.state});
  }
  if (const DecisionRecord* last = last_decision(data().log);
      last != nullptr && participant_count() > 0) {
    // Re-send the latest decision: participants may still be in doubt about it.
    c.pending = PendingDecision{Decision{last->tx, last->outcome, last->state},
                                std::vector<std::uint8_t>(node_count_, 0)};
    send_pending_decision(out);
    out.set_timer(DecisionRetryTimer{}, config_->decision_retry);
  }
  derive_phase();
  FL_ASSERT(dangling_begin(data().log) == nullptr, "recovery decides every dangling BEGIN");
  out.set_timer(HeartbeatTimer{}, config_->heartbeat_interval);
  if (c.phase == RolloutPhase::staging || c.phase == RolloutPhase::rolling_back)
    out.set_timer(StageTimer{}, config_->stage_interval);
}

// Where the rollout stands follows from the log alone, so a restarted coordinator resumes it.
void Node::derive_phase() {
  CoordinatorState& c = coord();
  FL_ASSERT(!c.active, "the phase is derived while no tx collects votes");
  const std::vector<std::uint32_t> weights = stage_weights_bps(*config_);
  const DecisionRecord* last = last_decision(data().log);
  c.next_stage = static_cast<std::uint32_t>(std::ranges::count_if(
      weights, [&](std::uint32_t w) { return w <= data().committed.canary_weight_bps; }));
  if (data().committed.status == RoutingStatus::rolled_back)
    c.phase = RolloutPhase::done;
  else if (last != nullptr && last->outcome == Outcome::abort)
    c.phase =
        config_->on_abort == OnAbort::halt ? RolloutPhase::halted : RolloutPhase::rolling_back;
  else if (c.next_stage >= weights.size())
    c.phase = RolloutPhase::done;
  else
    c.phase = RolloutPhase::staging;
  FL_ASSERT(c.phase != RolloutPhase::staging || c.next_stage < weights.size(),
            "staging has a stage left to begin");
}

void Node::coordinator_message(NodeId source, const Message& message, Effects& out) {
  FL_ASSERT(is_coordinator(), "coordinator messages go to the coordinator");
  FL_ASSERT(source != coordinator_id, "the coordinator does not message itself");
  if (const auto* v = std::get_if<Vote>(&message)) return on_vote(source, *v, out);
  if (const auto* a = std::get_if<Ack>(&message)) return on_ack(source, *a, out);
  if (const auto* q = std::get_if<DecisionQuery>(&message))
    return on_decision_query(source, *q, out);
  // Prepare, Decision, Heartbeat, StateSync, PeerQuery, PeerAnswer are for participants.
}

void Node::on_stage_timer(Effects& out) {
  const CoordinatorState& c = coord_state();
  if (c.active) return;  // cannot happen (the timer is set only when idle); harmless if it does
  FL_ASSERT(c.phase == RolloutPhase::staging || c.phase == RolloutPhase::rolling_back,
            "the stage timer is armed only while the rollout moves");
  if (c.phase == RolloutPhase::rolling_back) return begin_tx(TxKind::rollback, out);
  if (c.phase != RolloutPhase::staging) return;
  FL_ASSERT(c.next_stage < stage_weights_bps(*config_).size(), "staging has a stage left");
  if (!gate_open()) {
    // The coordinator's own health gate is closed: do not propose, look again later.
    out.emit(StageDeferred{c.next_stage});
    out.set_timer(StageTimer{}, config_->stage_interval);
    return;
  }
  begin_tx(TxKind::stage, out);
}

void Node::begin_tx(TxKind kind, Effects& out) {
  CoordinatorState& c = coord();
  FL_ASSERT(!c.active, "one transaction at a time");
  const std::vector<std::uint32_t> weights = stage_weights_bps(*config_);
  FL_ASSERT(kind == TxKind::rollback || c.next_stage < weights.size(), "no stage left to begin");
  FL_ASSERT(c.phase == (kind == TxKind::stage ? RolloutPhase::staging : RolloutPhase::rolling_back),
            "a stage begins while staging, a rollback while rolling back");
  RoutingState proposal = data().committed;
  proposal.version = data().committed.version + 1;
  proposal.canary_weight_bps = kind == TxKind::stage ? weights[c.next_stage] : 0;
  proposal.status = kind == TxKind::stage ? RoutingStatus::committed : RoutingStatus::rolled_back;
  ActiveTx active{c.next_tx, kind, c.next_stage, proposal,
                  std::vector<VoteState>(node_count_, VoteState::unknown)};
  c.next_tx = TxId{c.next_tx.value + 1};
  append(BeginRecord{active.tx, kind, proposal});
  out.persist(data().log);
  for (std::uint32_t i = 1; i < node_count_; ++i)
    out.send(NodeId{i}, Prepare{active.tx, kind, data().committed_tx, data().committed, proposal});
  out.set_timer(PrepareTimer{active.tx}, config_->prepare_timeout);
  out.emit(TxStarted{active.tx, kind, active.stage, proposal});
  c.active = std::move(active);
  evaluate_votes(/*timed_out=*/false, out);  // a one-node cluster decides at once
}

void Node::on_vote(NodeId source, const Vote& vote, Effects& out) {
  FL_ASSERT(source != coordinator_id, "participants vote");
  const CoordinatorState& c = coord_state();
  if (!c.active || c.active->tx != vote.tx) return;  // stale or duplicate after the decision
  FL_ASSERT(source.value < c.active->votes.size(), "a vote from a node of the cluster");
  if (c.active->votes[source.value] != VoteState::unknown)
    return;  // duplicate: a participant never changes its vote
  coord().active->votes[source.value] = vote.yes ? VoteState::yes : VoteState::no;
  evaluate_votes(/*timed_out=*/false, out);
}

void Node::evaluate_votes(bool timed_out, Effects& out) {
  const ActiveTx& active = *coord_state().active;
  FL_ASSERT(active.votes.size() == node_count_, "one vote slot per node");
  FL_ASSERT(active.votes[0] == VoteState::unknown, "the coordinator does not vote");
  std::uint32_t yes = 0;
  std::uint32_t no = 0;
  for (std::uint32_t i = 1; i < node_count_; ++i) {
    yes += active.votes[i] == VoteState::yes;
    no += active.votes[i] == VoteState::no;
  }
  FL_ASSERT(yes + no <= participant_count(), "more votes than participants");
  if (config_->bug == Bug::commit_on_majority) {
    // The bug: count the coordinator plus yes votes against the whole cluster, ignore no votes.
    if ((yes + 1) * 2 > node_count_) return decide(Outcome::commit, out);
    if (timed_out) decide(Outcome::abort, out);
    return;
  }
  if (no > 0 || timed_out) return decide(Outcome::abort, out);
  if (yes == participant_count()) decide(Outcome::commit, out);
}

void Node::decide(Outcome outcome, Effects& out) {
  CoordinatorState& c = coord();
  FL_ASSERT(c.active.has_value(), "deciding without a transaction");
  const ActiveTx active = std::move(*c.active);
  c.active.reset();
  FL_ASSERT(decision_of(data().log, active.tx) == nullptr, "a tx is decided once");
  append(DecisionRecord{active.tx, active.kind, outcome, active.proposal});
  if (outcome == Outcome::commit) append(CommittedRecord{active.tx, active.proposal});
  FL_ASSERT(outcome_of(data().log, active.tx) == outcome,
            "the decision is logged before it is sent");
  out.persist(data().log);
  out.cancel_timer(PrepareTimer{active.tx});
  out.emit(DecisionMade{active.tx, outcome, active.proposal});
  if (outcome == Outcome::commit) apply_commit(active.tx, active.proposal, out);
  if (participant_count() > 0) {
    c.pending = PendingDecision{Decision{active.tx, outcome, active.proposal},
                                std::vector<std::uint8_t>(node_count_, 0)};
    send_pending_decision(out);
    out.set_timer(DecisionRetryTimer{}, config_->decision_retry);
  }
  advance_after(active.kind, outcome, out);
}

void Node::advance_after(TxKind kind, Outcome outcome, Effects& out) {
  CoordinatorState& c = coord();
  FL_ASSERT(!c.active, "the rollout advances once the tx is decided");
  const auto stage_count = stage_weights_bps(*config_).size();
  FL_ASSERT(kind == TxKind::rollback || c.next_stage < stage_count, "a stage tx was a stage");
  if (outcome == Outcome::commit) {
    if (kind == TxKind::rollback) {
      c.phase = RolloutPhase::done;
      return;
    }
    c.next_stage += 1;
    c.phase = c.next_stage < stage_count ? RolloutPhase::staging : RolloutPhase::done;
    if (c.phase == RolloutPhase::staging) out.set_timer(StageTimer{}, config_->stage_interval);
    return;
  }
  if (config_->on_abort == OnAbort::halt) {
    c.phase = RolloutPhase::halted;
    return;
  }
  c.phase = RolloutPhase::rolling_back;
  // A failed stage rolls back at once; a failed rollback (someone unreachable) retries later.
  if (kind == TxKind::stage)
    begin_tx(TxKind::rollback, out);
  else
    out.set_timer(StageTimer{}, config_->stage_interval);
}

void Node::send_pending_decision(Effects& out) const {
  const PendingDecision& pending = *coord_state().pending;
  FL_ASSERT(pending.acked.size() == node_count_, "ack vector sized to the cluster");
  FL_ASSERT(decision_of(data().log, pending.decision.tx) != nullptr,
            "a decision is retransmitted only once it is logged");
  for (std::uint32_t i = 1; i < node_count_; ++i)
    if (pending.acked[i] == 0) out.send(NodeId{i}, pending.decision);
}

void Node::on_ack(NodeId source, const Ack& ack, Effects& out) {
  FL_ASSERT(source != coordinator_id, "participants ack");
  const CoordinatorState& seen = coord_state();
  if (!seen.pending || seen.pending->decision.tx != ack.tx) return;  // ack of an older decision
  FL_ASSERT(source.value < seen.pending->acked.size(), "an ack from a node of the cluster");
  if (seen.pending->acked[source.value] == 0)
    coord().pending->acked[source.value] = 1;  // a repeated ack changes nothing
  const PendingDecision& pending = *coord_state().pending;
  for (std::uint32_t i = 1; i < node_count_; ++i)
    if (pending.acked[i] == 0) return;
  coord().pending.reset();
  out.cancel_timer(DecisionRetryTimer{});
}

void Node::on_decision_query(NodeId source, const DecisionQuery& query, Effects& out) const {
  FL_ASSERT(source != coordinator_id, "participants ask for decisions");
  const CoordinatorState& c = coord_state();
  if (const DecisionRecord* d = decision_of(data().log, query.tx)) {
    out.send(source, Decision{d->tx, d->outcome, d->state});
    return;
  }
  if (c.active && c.active->tx == query.tx)
    return;  // still collecting votes; the decision will come
  // Never begun (or begun before a crash, which recovery aborted and logged): presumed abort.
  FL_ASSERT(dangling_begin(data().log) == nullptr || c.active,
            "recovery decides every dangling BEGIN");
  out.send(source, Decision{query.tx, Outcome::abort, RoutingState{}});
}

// ---------------------------------------------------------------------------------------------
// Participant

void Node::participant_start(Effects& out) {
  const ParticipantState& p = part_state();
  FL_ASSERT(!p.blocked, "a fresh node is not blocked yet");
  if (data().forgot_votes) {
    out.persist(data().log);  // make the (buggy) loss durable, as a lost unsynced write would be
    edit().forgot_votes = false;
  }
  if (p.in_doubt) out.set_timer(QueryTimer{}, config_->query_interval);
  FL_ASSERT(!data().forgot_votes, "the lost votes are durable now");
}

void Node::participant_message(NodeId source, const Message& message, Effects& out) {
  FL_ASSERT(!is_coordinator(), "participant messages go to participants");
  FL_ASSERT(source != id_, "a participant does not message itself");
  if (const auto* m = std::get_if<Prepare>(&message)) return on_prepare(source, *m, out);
  if (const auto* m = std::get_if<Decision>(&message)) return on_decision(source, *m, out);
  if (const auto* m = std::get_if<Heartbeat>(&message)) return on_heartbeat(source, *m, out);
  if (const auto* m = std::get_if<StateSync>(&message)) return on_state_sync(*m, out);
  if (const auto* m = std::get_if<PeerQuery>(&message)) return on_peer_query(source, *m, out);
  if (const auto* m = std::get_if<PeerAnswer>(&message)) {
    const ParticipantState& p = part_state();
    if (p.in_doubt && p.in_doubt->tx == m->tx) resolve(m->outcome, out);
    return;
  }
  // Vote, Ack, DecisionQuery are for the coordinator.
}

void Node::on_prepare(NodeId source, const Prepare& prepare, Effects& out) {
  if (const PreparedRecord* prior = prepared_of(data().log, prepare.tx)) {
    out.send(source, Vote{prepare.tx, prior->yes});  // duplicate PREPARE: same answer
    return;
  }
  if (const auto known = outcome_of(data().log, prepare.tx)) {
    out.send(source, Vote{prepare.tx, *known == Outcome::commit});  // aborted unilaterally earlier
    return;
  }
  if (prepare.tx < max_tx(data().log)) return;  // a stale PREPARE overtaken by a later tx
  const std::optional<TxId> doubted = in_doubt_tx();
  bool yes = false;
  if (!doubted) {
    if (prepare.base.version > data().committed.version)
      catch_up(prepare.base_tx, prepare.base, out);
    const bool next_version = prepare.proposal.version == data().committed.version + 1;
    // Rolling back to the stable model is always safe, so it needs no health evidence.
    yes = next_version && (prepare.kind == TxKind::rollback || gate_open());
  }
  // While in doubt about an older tx this node cannot judge the new proposal's base: vote no.
  FL_ASSERT(!yes || !doubted, "a participant in doubt votes no");
  append(PreparedRecord{prepare.tx, prepare.proposal, yes});
  if (!yes) append(AbortedRecord{prepare.tx});
  out.persist(data().log);
  out.send(source, Vote{prepare.tx, yes});
  out.emit(VoteCast{prepare.tx, yes});
  if (doubted) out.send(coordinator_id, DecisionQuery{*doubted});
  if (yes) {
    ParticipantState& p = part();
    FL_ASSERT(!p.in_doubt, "a participant is in doubt about at most one tx");
    p.in_doubt = InDoubt{prepare.tx, prepare.proposal};
    p.blocked = false;
    out.set_timer(QueryTimer{}, config_->query_interval);
  }
}

void Node::on_decision(NodeId source, const Decision& decision, Effects& out) {
  const ParticipantState& p = part_state();
  if (p.in_doubt && p.in_doubt->tx == decision.tx) {
    resolve(decision.outcome, out);
    FL_ASSERT(outcome_of(data().log, decision.tx) == decision.outcome, "the outcome is logged");
    out.send(source, Ack{decision.tx});
    return;
  }
  if (outcome_of(data().log, decision.tx)) {
    // Already final here (a duplicate, or with a buggy coordinator a conflicting one: outcomes
    // are final, so keep ours and let the checkers see the conflict).
    out.send(source, Ack{decision.tx});
    return;
  }
  // No record of this tx.
  if (decision.outcome == Outcome::abort) {
    out.send(source, Ack{decision.tx});  // presumed abort: nothing to remember
    return;
  }
  if (config_->bug == Bug::forget_vote_on_restart) {
    // The bug: an unknown tx is presumed aborted, even though the coordinator says commit.
    append(AbortedRecord{decision.tx});
    FL_ASSERT(outcome_of(data().log, decision.tx) == Outcome::abort, "the abort is logged");
    out.persist(data().log);
    out.send(source, Ack{decision.tx});
    return;
  }
  // A commit we never voted on (only a buggy coordinator sends one): adopt it if it is our next
  // version; otherwise heartbeats bring us up to date.
  if (!p.in_doubt && decision.state.version == data().committed.version + 1) {
    catch_up(decision.tx, decision.state, out);
    out.send(source, Ack{decision.tx});
  }
}

void Node::on_heartbeat(NodeId source, const Heartbeat& heartbeat, Effects& out) {
  FL_ASSERT(!is_coordinator(), "heartbeats go to participants");
  // Behind: ask for the state. (In doubt, only a sync naming our very tx resolves it.)
  if (heartbeat.version <= data().committed.version) return;
  out.send(source, StateRequest{});
}

void Node::on_state_sync(const StateSync& sync, Effects& out) {
  const ParticipantState& p = part_state();
  if (p.in_doubt) {
    if (sync.tx != p.in_doubt->tx || sync.state != p.in_doubt->proposal) return;
    resolve(Outcome::commit, out);  // a peer committed our very tx
    FL_ASSERT(!part_state().in_doubt, "a sync naming the doubted tx resolves it");
    return;
  }
  if (sync.state.version <= data().committed.version) return;  // not news
  catch_up(sync.tx, sync.state, out);
  FL_ASSERT(data().committed == sync.state, "a participant adopts a newer committed state");
}

void Node::catch_up(TxId tx, const RoutingState& state, Effects& out) {
  FL_ASSERT(!part_state().in_doubt, "catching up past an in-doubt tx would guess its outcome");
  FL_ASSERT(state.version > data().committed.version, "catching up moves forward");
  append(CommittedRecord{tx, state});
  out.persist(data().log);
  apply_commit(tx, state, out);
  FL_ASSERT(data().committed_tx == tx, "the caught-up state is the committed one");
}

void Node::on_peer_query(NodeId source, const PeerQuery& query, Effects& out) {
  FL_ASSERT(!is_coordinator(), "peers ask participants");
  if (source == coordinator_id) return;
  if (const auto known = outcome_of(data().log, query.tx)) {
    out.send(source, PeerAnswer{query.tx, *known});
    return;
  }
  if (prepared_of(data().log, query.tx) != nullptr) return;  // in doubt too: nothing to tell
  // Not voted yet: abort unilaterally (and vote no if the PREPARE arrives later), so the
  // coordinator cannot have committed and never will.
  append(AbortedRecord{query.tx});
  FL_ASSERT(outcome_of(data().log, query.tx) == Outcome::abort, "the unilateral abort is logged");
  out.persist(data().log);
  out.send(source, PeerAnswer{query.tx, Outcome::abort});
}

void Node::on_query_timer(Effects& out) {
  if (!part_state().in_doubt) return;
  const TxId doubted = part_state().in_doubt->tx;
  FL_ASSERT(prepared_of(data().log, doubted) != nullptr, "a participant doubts a tx it voted on");
  if (!part_state().blocked) {
    part().blocked = true;
    out.emit(Blocked{doubted});
  }
  FL_ASSERT(part_state().blocked, "a participant in doubt past one interval is blocked");
  out.send(coordinator_id, DecisionQuery{doubted});
  if (config_->cooperative_termination)
    for (std::uint32_t i = 1; i < node_count_; ++i)
      if (NodeId{i} != id_) out.send(NodeId{i}, PeerQuery{doubted});
  out.set_timer(QueryTimer{}, config_->query_interval);
}

void Node::resolve(Outcome outcome, Effects& out) {
  ParticipantState& p = part();
  FL_ASSERT(p.in_doubt.has_value(), "resolving without an in-doubt tx");
  const InDoubt doubt = std::move(*p.in_doubt);
  p.in_doubt.reset();
  FL_ASSERT(!outcome_of(data().log, doubt.tx), "an in-doubt tx has no outcome yet");
  if (outcome == Outcome::commit)
    append(CommittedRecord{doubt.tx, doubt.proposal});
  else
    append(AbortedRecord{doubt.tx});
  out.persist(data().log);
  out.cancel_timer(QueryTimer{});
  // With a correct coordinator the proposal is exactly the next version; a buggy one may have
  // moved us past it already (the checkers report that, we must not crash on it).
  if (outcome == Outcome::commit && doubt.proposal.version > data().committed.version)
    apply_commit(doubt.tx, doubt.proposal, out);
  if (p.blocked) out.emit(Unblocked{doubt.tx, outcome});
  p.blocked = false;
  FL_ASSERT(outcome_of(data().log, doubt.tx) == outcome, "the outcome is logged, once");
}

// ---------------------------------------------------------------------------------------------
// What every step leaves true

Node::StepStart Node::step_start() const {
  FL_ASSERT(data().committed.version >= 1, "a committed state has a version");
  FL_ASSERT(!data().forgot_votes, "a node handles events only after on_start");
  return StepStart{data().log.records, data().committed.version};
}

// The log is append-only (so a logged vote or outcome never changes: outcomes are final) and
// the committed state only moves forward.
void Node::check_step(const StepStart& before) const {
  const LogRecords& records = data().log.records;
  FL_ASSERT(records.size() >= before.records.size(), "the log is append-only: nothing removed");
  FL_ASSERT(before.records.empty() || records[before.records.size() - 1] == before.records.back(),
            "the log is append-only: no record rewritten");
  FL_ASSERT(data().committed.version >= before.committed_version,
            "the committed state never moves back");
  check_invariants();
}

// The invariants of node.h's banner that hold between steps.
void Node::check_invariants() const {
  const State& s = data();
  FL_ASSERT(s.role.index() == (is_coordinator() ? 0u : 1u), "node 0 coordinates, others take part");
  FL_ASSERT(s.committed.canary_weight_bps <= basis_points_total, "weight out of range");
  FL_ASSERT(s.committed.status != RoutingStatus::rolled_back || s.committed.canary_weight_bps == 0,
            "a rolled-back state sends every request to the stable model");
  if (const CoordinatorState* c = coordinator()) {
    FL_ASSERT(!c->active || c->active->votes.size() == node_count_, "one vote slot per node");
    FL_ASSERT(!c->pending || c->pending->acked.size() == node_count_, "one ack slot per node");
    FL_ASSERT(c->next_tx > max_tx(s.log), "a new tx id is above every logged one");
  } else {
    const ParticipantState& p = part_state();
    FL_ASSERT(!p.blocked || p.in_doubt.has_value(), "only a participant in doubt is blocked");
  }
}

}  // namespace faultline::two_phase_commit
