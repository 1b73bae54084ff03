#include "protocols/write_concern/node.h"

#include <algorithm>

#include "protocols/write_concern/protocol.h"
#include "sim/core/assert.h"

namespace faultline::write_concern {

namespace {

Pending new_pending(Seq seq, const MessageId& id, std::uint32_t w) {
  Pending pending;
  pending.seq = seq;
  pending.id = id;
  pending.w = w;
  return pending;
}

Seq last_seq(const Store& store) {
  return store.entries.empty() ? Seq{} : store.entries.back().seq;
}
Epoch last_epoch(const Store& store) {
  return store.entries.empty() ? first_epoch : store.entries.back().epoch;
}

// The epoch a message's sender acts in (a primary that sees a newer one steps down); none for
// the promotion messages, which propose an epoch rather than act in one.
std::optional<Epoch> acting_epoch(const Message& message) {
  return std::visit(
      [](const auto& m) -> std::optional<Epoch> {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, PromoteRequest> || std::is_same_v<M, PromoteReply> ||
                      std::is_same_v<M, CatchUpRequest>)
          return std::nullopt;
        else
          return m.epoch;
      },
      message);
}

}  // namespace

std::uint32_t Pending::confirmations() const {
  return static_cast<std::uint32_t>(std::count(confirmed.begin(), confirmed.end(), 1));
}

Node::Node(const Config& config, NodeId self, std::uint32_t node_count,
           std::optional<Store> recovered)
    : config_(config), self_(self), node_count_(node_count) {
  FL_ASSERT(self.value < node_count, "a node of the cluster");
  FL_ASSERT(node_count >= 1, "a cluster has a primary");
  if (recovered && !config_.volatile_store) store_ = std::move(*recovered);
  // A restarted primary resumes its epoch; a newer primary, if any, fences it.
  if (store_.primary == self_ && store_.voted <= store_.epoch) role_ = Role::primary;
  for (const Entry& e : store_.entries)
    if (e.id != filler_id) ids_.seqs[e.id] = e.seq;
  if (is_primary()) views_.assign(node_count_, SecondaryView{});
  recompute_delivered();
}

void Node::on_start(Effects& out) {
  if (!is_primary()) {
    if (config_.failover) out.set_timer(WatchTimer{}, config_.heartbeat_interval);
    return;
  }
  FL_ASSERT(pending_.empty(), "a fresh primary knows of no pending write");
  // After a restart it does not know who stored what: every secondary is asked to catch up.
  if (!store_.entries.empty())
    for (std::uint32_t s = 0; s < node_count_; ++s) views_[s].needs_catch_up = s != self_.value;
  out.set_timer(HeartbeatTimer{}, config_.heartbeat_interval);
}

void Node::on_input(const Input& input, Effects& out) {
  if (const auto* p = std::get_if<PostMessage>(&input)) {
    if (!is_primary()) return out.emit(PostReply{p->id, PostStatus::not_primary, Seq{}});
    return post(*p, out);
  }
  if (const auto* g = std::get_if<GetMessages>(&input))
    return out.emit(MessagesReply{g->client, delivered_ids()});
  const auto& inject = std::get<InjectFailure>(input);
  fail_next_ += inject.fail_next_n_requests;
}

void Node::on_message(NodeId source, const Message& message, Effects& out) {
  FL_ASSERT(source != self_, "a node does not message itself");
  FL_ASSERT(source.value < node_count_, "a node of the cluster");
  if (const auto* m = std::get_if<PromoteRequest>(&message))
    return on_promote_request(source, *m, out);
  if (const auto* m = std::get_if<PromoteReply>(&message)) return on_promote_reply(source, *m, out);
  if (is_primary()) {
    const std::optional<Epoch> epoch = acting_epoch(message);
    if (!epoch || *epoch <= store_.epoch) return on_primary_message(source, message, out);
    step_down(*epoch, out);  // a newer epoch exists: handle the message as a secondary
  }
  on_secondary_message(source, message, out);
}

void Node::on_timer(const Timer& timer, Effects& out) {
  if (std::holds_alternative<WatchTimer>(timer)) {
    if (!is_primary()) on_watch(out);
    return;
  }
  if (!is_primary()) return;  // a primary's timer outliving its role
  if (std::holds_alternative<HeartbeatTimer>(timer)) return on_heartbeat_timer(out);
  if (const auto* t = std::get_if<RetryTimer>(&timer)) return on_retry(*t, out);
  const auto& deadline = std::get<ReadOnlyTimer>(timer);
  Pending* pending = pending_of(deadline.id);
  if (pending == nullptr || pending->answered) return;
  answer(*pending, PostStatus::read_only, out);  // w not met in time: an explicit error
  forget_confirmed();
}

// ---------------------------------------------------------------------------------------------
// Primary

void Node::on_primary_message(NodeId source, const Message& message, Effects& out) {
  FL_ASSERT(is_primary(), "a primary's message");
  if (const auto* m = std::get_if<ReplicateAck>(&message)) return on_ack(source, *m, out);
  if (const auto* m = std::get_if<HeartbeatReply>(&message))
    return on_heartbeat_reply(source, *m, out);
  if (const auto* m = std::get_if<CatchUpRequest>(&message))
    return on_catch_up_request(source, *m, out);
  // A primary's message from another primary of an epoch no newer: it is the stale one.
}

std::uint32_t Node::available() const {
  FL_ASSERT(is_primary(), "availability is the primary's view");
  std::uint32_t count = 1;
  for (std::uint32_t s = 0; s < node_count_; ++s)
    count += s != self_.value && views_[s].health != Health::unhealthy;
  FL_ASSERT(count >= 1 && count <= node_count_, "between the primary alone and everyone");
  return count;
}

void Node::post(const PostMessage& post, Effects& out) {
  FL_ASSERT(is_primary(), "posts go to the primary");
  if (post.w < 1 || post.w > node_count_)
    return out.emit(PostReply{post.id, PostStatus::bad_request, Seq{}});
  if (const Entry* stored = entry_of(post.id)) {  // a client's retry: the same entry
    if (Pending* pending = pending_of(stored->seq)) {
      if (pending->acknowledged) out.emit(PostReply{post.id, PostStatus::ok, stored->seq});
      return;  // still blocked: the reply comes when w is met or at the deadline
    }
    pending_.push_back(new_pending(stored->seq, post.id, post.w));
    std::sort(pending_.begin(), pending_.end(),
              [](const Pending& a, const Pending& b) { return a.seq < b.seq; });
    return replicate(*pending_of(stored->seq), out);
  }
  if (available() < config_.quorum_nodes(node_count_))
    return out.emit(PostReply{post.id, PostStatus::unavailable, Seq{}});
  const Seq seq = last_seq(store_) + 1;
  const StoreResult stored = adopt(Entry{seq, post.id, store_.epoch, post.w}, out);
  FL_ASSERT(stored == StoreResult::stored, "a new id at a new seq is stored");
  save(out);
  pending_.push_back(new_pending(seq, post.id, post.w));
  replicate(pending_.back(), out);
}

// Sends the pending entry to every secondary that has not confirmed it and is not UNHEALTHY
// (an unhealthy one is left to catch-up), and answers at once what needs no confirmation.
void Node::replicate(Pending& pending, Effects& out) {
  const auto stored = index_at(pending.seq);
  FL_ASSERT(stored.has_value(), "the primary replicates what it stores");
  FL_ASSERT(store_.entries[*stored].id == pending.id, "at the pending write's seq");
  pending.confirmed.assign(node_count_, 0);
  pending.attempts.assign(node_count_, 0);
  pending.confirmed[self_.value] = 1;
  const Entry entry = store_.entries[*stored];
  for (std::uint32_t s = 0; s < node_count_; ++s) {
    if (s == self_.value) continue;
    if (views_[s].health == Health::unhealthy) {
      views_[s].needs_catch_up = true;
      continue;
    }
    out.send(NodeId{s}, Replicate{store_.epoch, entry});
    out.set_timer(RetryTimer{NodeId{s}, pending.seq}, config_.replication_timeout);
  }
  if (pending.w == 1 || config_.bug == Bug::ack_before_replicate)
    answer(pending, PostStatus::ok, out);  // the bug: acknowledged once the sends are out
  else
    out.set_timer(ReadOnlyTimer{pending.id}, config_.read_only_timeout);
  note_read_only(out);
}

void Node::answer(Pending& pending, PostStatus status, Effects& out) {
  FL_ASSERT(!pending.answered, "a write is answered once");
  pending.answered = true;
  pending.acknowledged = status == PostStatus::ok;
  acknowledgements_.value += pending.acknowledged ? 1 : 0;
  out.emit(PostReply{pending.id, status, pending.seq});
  out.cancel_timer(ReadOnlyTimer{pending.id});
  FL_ASSERT(pending.answered, "answered");
}

void Node::confirm(Pending& pending, NodeId node, Effects& out) {
  FL_ASSERT(node.value < node_count_, "a node of the cluster");
  if (pending.confirmed[node.value] == 1) return;
  pending.confirmed[node.value] = 1;
  out.cancel_timer(RetryTimer{node, pending.seq});
  if (!pending.answered && pending.confirmations() >= pending.w)
    answer(pending, PostStatus::ok, out);
}

void Node::on_ack(NodeId source, const ReplicateAck& ack, Effects& out) {
  Pending* pending = pending_of(ack.seq);
  if (pending == nullptr) return;  // confirmed by everyone already, or before a restart
  if (ack.result == StoreResult::stored || ack.result == StoreResult::duplicate) {
    confirm(*pending, source, out);
    if (pending->answered && pending->confirmations() == node_count_) forget_confirmed();
    return;
  }
  if (ack.result == StoreResult::injected_error)  // stored, answered 500: retry on policy
    out.set_timer(RetryTimer{source, ack.seq}, config_.healthy_retry_delay);
}

// Resends by the secondary's health (README.md): HEALTHY a few quick retries, SUSPECTED more
// with exponential backoff and jitter, UNHEALTHY none. When they run out, catch-up takes over.
void Node::on_retry(const RetryTimer& timer, Effects& out) {
  Pending* pending = pending_of(timer.seq);
  const std::uint32_t s = timer.secondary.value;
  FL_ASSERT(s < node_count_ && s != self_.value, "a retry of a secondary");
  if (pending == nullptr || pending->confirmed[s] == 1) return;
  const Health health = views_[s].health;
  const std::uint32_t limit = health == Health::healthy     ? config_.healthy_retries
                              : health == Health::suspected ? config_.suspected_retries
                                                            : 0;
  if (pending->attempts[s] >= limit) {
    views_[s].needs_catch_up = true;
    return;
  }
  const std::uint32_t attempt = pending->attempts[s]++;
  out.send(timer.secondary, Replicate{store_.epoch, store_.entries[*index_at(pending->seq)]});
  if (health == Health::healthy) return out.set_timer(timer, config_.healthy_retry_delay);
  const std::uint32_t doublings = std::min<std::uint32_t>(attempt, 30);
  Duration delay = config_.backoff_base;
  for (std::uint32_t i = 0; i < doublings && delay < config_.backoff_max; ++i) delay = delay * 2;
  delay = std::min(delay, config_.backoff_max);
  out.set_timer(timer, DurationRange{delay, delay + delay / 2});  // the jitter
}

void Node::on_heartbeat_timer(Effects& out) {
  for (std::uint32_t s = 0; s < node_count_; ++s) {
    if (s == self_.value) continue;
    SecondaryView& view = views_[s];
    if (!view.answered) {
      view.misses += 1;
      if (view.misses >= config_.unhealthy_after_misses)
        set_health(NodeId{s}, Health::unhealthy, out);
      else if (view.misses >= config_.suspect_after_misses)
        set_health(NodeId{s}, Health::suspected, out);
    }
    view.answered = false;
    out.send(NodeId{s}, Heartbeat{store_.epoch, last_seq(store_)});
  }
  out.set_timer(HeartbeatTimer{}, config_.heartbeat_interval);
}

// The clients of blocked writes whose w exceeds the nodes available enter read-only mode, each
// once (README.md: entered at the post, or when a secondary turns UNHEALTHY under the write).
void Node::note_read_only(Effects& out) {
  FL_ASSERT(is_primary(), "availability is the primary's");
  const std::uint32_t nodes = available();
  for (Pending& pending : pending_) {
    if (pending.answered || pending.read_only || pending.w <= nodes) continue;
    pending.read_only = true;
    out.emit(ReadOnly{pending.id});
  }
}

void Node::set_health(NodeId secondary, Health health, Effects& out) {
  SecondaryView& view = views_[secondary.value];
  if (view.health == health) return;
  view.health = health;
  if (health == Health::unhealthy) view.needs_catch_up = true;
  out.emit(HealthChanged{secondary, health});
  if (health == Health::unhealthy) note_read_only(out);
}

// An answer clears the misses; everything up to its delivered end is stored there (once its
// store is reconciled with this epoch's log); a secondary marked for catch-up, or not yet
// reconciled, gets the recovery notice, again with every answer until it has caught up (a
// notice or a catch-up message may be lost: the mark stays until the answer shows the gap gone).
void Node::on_heartbeat_reply(NodeId source, const HeartbeatReply& reply, Effects& out) {
  SecondaryView& view = views_[source.value];
  view.answered = true;
  view.misses = 0;
  set_health(source, Health::healthy, out);
  const bool synced = reply.synced == store_.epoch;
  if (synced)
    for (Pending& pending : pending_)
      if (pending.seq <= reply.delivered) confirm(pending, source, out);
  forget_confirmed();
  const Seq latest = last_seq(store_);
  if (!view.needs_catch_up && synced) return;
  if (synced && reply.delivered >= latest) {
    view.needs_catch_up = false;
    return;
  }
  if (config_.bug == Bug::skip_catchup_on_recovery) {
    view.needs_catch_up = false;  // the bug: the notice is never sent
    return;
  }
  view.needs_catch_up = true;
  out.send(source, RecoveryNotice{store_.epoch, latest});
}

void Node::on_catch_up_request(NodeId source, const CatchUpRequest& request, Effects& out) const {
  CatchUpReply reply{store_.epoch, request.after, request.upto, {}};
  const auto& entries = store_.entries;
  for (std::size_t i = store_.upper(request.after);
       i < entries.size() && entries[i].seq <= request.upto; ++i) {
    if (reply.entries.size() == catch_up_batch_max) break;
    reply.entries.push_back(entries[i]);
  }
  FL_ASSERT(reply.entries.size() <= catch_up_batch_max, "a bounded batch");
  out.send(source, std::move(reply));
}

// A newer epoch exists: the clients still waiting are told to go elsewhere (their writes may
// survive in the new primary's log, and a retry with the same id finds them there).
void Node::step_down(Epoch epoch, Effects& out) {
  FL_ASSERT(is_primary(), "only a primary steps down");
  FL_ASSERT(epoch > store_.epoch, "for a newer epoch");
  for (Pending& pending : pending_)
    if (!pending.answered) answer(pending, PostStatus::not_primary, out);
  pending_.clear();
  views_.clear();
  role_ = Role::secondary;
  store_.epoch = epoch;
  store_.primary.reset();  // learned from a reply: its primary will announce itself
  save(out);
  primary_misses_ = 0;
  if (config_.failover) out.set_timer(WatchTimer{}, config_.heartbeat_interval);
  FL_ASSERT(!is_primary(), "stepped down");
}

Pending* Node::pending_of(Seq seq) {
  const auto at = std::lower_bound(pending_.begin(), pending_.end(), seq,
                                   [](const Pending& p, Seq s) { return p.seq < s; });
  return at != pending_.end() && at->seq == seq ? &*at : nullptr;
}

Pending* Node::pending_of(const MessageId& id) {
  for (Pending& p : pending_)
    if (p.id == id) return &p;
  return nullptr;
}

// A write confirmed by every node and answered needs nothing more.
void Node::forget_confirmed() {
  std::erase_if(pending_,
                [&](const Pending& p) { return p.answered && p.confirmations() == node_count_; });
}

// ---------------------------------------------------------------------------------------------
// Secondary

void Node::on_secondary_message(NodeId source, const Message& message, Effects& out) {
  FL_ASSERT(!is_primary(), "a secondary's message");
  if (const auto* m = std::get_if<Replicate>(&message)) return on_replicate(source, *m, out);
  if (const auto* m = std::get_if<Heartbeat>(&message)) return on_heartbeat(source, *m, out);
  if (const auto* m = std::get_if<RecoveryNotice>(&message))
    return on_recovery_notice(source, *m, out);
  if (const auto* m = std::get_if<CatchUpReply>(&message))
    return on_catch_up_reply(source, *m, out);
  // A reply meant for a primary this node no longer is: nothing to do.
}

// `primary` acts in `epoch`, no older than any this node saw or voted for: it is followed.
void Node::follow(NodeId primary, Epoch epoch, Effects& out) {
  FL_ASSERT(!is_primary(), "a secondary follows");
  FL_ASSERT(epoch >= newest() || config_.bug == Bug::no_epoch_fencing, "no older epoch");
  primary_misses_ = 0;
  if (role_ == Role::candidate && epoch >= store_.voted) role_ = Role::secondary;
  if (epoch < store_.epoch || (epoch == store_.epoch && store_.primary == primary)) return;
  store_.epoch = epoch;
  store_.primary = primary;
  save(out);
}

void Node::on_replicate(NodeId source, const Replicate& replicate, Effects& out) {
  const Entry& entry = replicate.entry;
  const bool fenced = replicate.epoch < newest();
  if (fenced && config_.bug != Bug::no_epoch_fencing)
    return out.send(source, ReplicateAck{entry.seq, newest(), StoreResult::fenced});
  // With no_epoch_fencing an old primary's write is stored and confirmed in its own epoch.
  const Epoch answer_epoch = fenced ? replicate.epoch : newest();
  if (!fenced) follow(source, replicate.epoch, out);
  const StoreResult result = adopt(entry, out);
  if (result == StoreResult::duplicate)
    return out.send(source, ReplicateAck{entry.seq, answer_epoch, result});
  save(out);
  if (fail_next_ > 0) {  // the seed's InjectFailure(where: after_db_save)
    fail_next_ -= 1;
    return out.send(source, ReplicateAck{entry.seq, answer_epoch, StoreResult::injected_error});
  }
  out.send(source, ReplicateAck{entry.seq, answer_epoch, StoreResult::stored});
}

void Node::on_heartbeat(NodeId source, const Heartbeat& heartbeat, Effects& out) {
  const bool fenced = heartbeat.epoch < newest() && config_.bug != Bug::no_epoch_fencing;
  if (!fenced && heartbeat.epoch >= newest()) follow(source, heartbeat.epoch, out);
  const Epoch answer_epoch = fenced ? newest() : heartbeat.epoch;
  out.send(source, HeartbeatReply{answer_epoch, delivered_, store_.synced});
}

// The primary's latest seq. A node whose store is not reconciled with this epoch's log asks for
// the whole log (from seq 1, then on from what the replies covered), so that what the log
// lacks is found and rolled back; otherwise it asks for what it misses after its delivered end.
void Node::on_recovery_notice(NodeId source, const RecoveryNotice& notice, Effects& out) {
  if (notice.epoch < newest()) return;  // a stale primary's
  follow(source, notice.epoch, out);
  catch_up_upto_ = std::max(catch_up_upto_, notice.latest);
  catching_up_ = catching_up_ || store_.synced < notice.epoch || delivered_ < notice.latest;
  if (store_.synced < notice.epoch) {
    if (reconciling_ != notice.epoch) {
      reconciling_ = notice.epoch;
      reconciled_upto_ = Seq{};
      catch_up_upto_ = notice.latest;
    }
    return out.send(source, CatchUpRequest{reconciled_upto_, catch_up_upto_});
  }
  if (delivered_ >= notice.latest) return;
  out.send(source, CatchUpRequest{delivered_, notice.latest});
}

void Node::on_catch_up_reply(NodeId source, const CatchUpReply& reply, Effects& out) {
  if (reply.epoch < newest()) return;  // a stale primary's
  follow(source, reply.epoch, out);
  bool changed = false;
  for (const Entry& entry : reply.entries)
    changed = adopt(entry, out) == StoreResult::stored || changed;
  const bool full = reply.entries.size() == catch_up_batch_max;
  const Seq covered = full ? reply.entries.back().seq : reply.upto;  // (reply.after, covered]
  const bool reconciling = reconciling_ == reply.epoch;
  // A reply counts for the reconciliation only if it starts within what is reconciled: a late
  // reply to an earlier, shorter request must not end it early (swarm seed 412).
  if (reconciling && reply.after <= reconciled_upto_)
    reconciled_upto_ = std::max(reconciled_upto_, covered);
  if (reconciling && reconciled_upto_ >= catch_up_upto_) {
    finish_reconcile(out);
    changed = true;
  }
  if (changed) save(out);
  if (catching_up_ && !reconciling_ && delivered_ >= catch_up_upto_) {
    catching_up_ = false;
    out.emit(CaughtUp{delivered_});
  }
  out.send(source, HeartbeatReply{newest(), delivered_, store_.synced});  // confirms what it holds
  if (covered >= catch_up_upto_ && !reconciling_) return;
  if (reconciling_ == reply.epoch)
    return out.send(source, CatchUpRequest{reconciled_upto_, catch_up_upto_});
  if (full) out.send(source, CatchUpRequest{delivered_, catch_up_upto_});
}

// The whole log up to the notice's latest seq is adopted: what this node holds beyond it from
// an older epoch is not in the primary's log, and is rolled back.
void Node::finish_reconcile(Effects& out) {
  FL_ASSERT(reconciling_.has_value(), "a reconciliation under way");
  const Epoch epoch = *reconciling_;
  // Entries past the notice's latest seq are a suffix: walked from the end.
  for (std::size_t i = store_.entries.size(); i-- > 0;) {
    const Entry& e = store_.entries[i];
    if (e.seq <= catch_up_upto_) break;
    if (e.epoch < epoch) roll_back(i, out);
  }
  store_.synced = epoch;
  reconciling_.reset();
  recompute_delivered();
  FL_ASSERT(store_.synced == epoch, "reconciled");
}

// ---------------------------------------------------------------------------------------------
// Failover (README.md): a secondary that has not heard from the primary for
// unhealthy_after_misses watch ticks, plus two per node number (so n1 stands before n2: the
// deterministic order), stands for the next epoch; a failed candidacy is tried again every
// 2 x node_count ticks. Two ticks apart, not one: the secondaries last heard the primary at
// different moments, so their counts may be one tick out of step, and n1 and n2 standing at
// once would split the vote for ever.

void Node::on_watch(Effects& out) {
  FL_ASSERT(config_.failover, "the watch runs with failover only");
  FL_ASSERT(!is_primary(), "a secondary watches its primary");
  // A candidate's ticks are jittered (the engine draws in the range): counts that happen to
  // line up would otherwise have every node stand at once, and refuse each other, for ever
  // (swarm seed 1450). The first stand keeps the deterministic order.
  const Duration tick = config_.heartbeat_interval;
  if (role_ == Role::candidate)
    out.set_timer(WatchTimer{}, DurationRange{tick, tick * 2});
  else
    out.set_timer(WatchTimer{}, tick);
  primary_misses_ += 1;
  const std::uint32_t first = config_.unhealthy_after_misses + 2 * self_.value;
  if (primary_misses_ < first || (primary_misses_ - first) % (2 * node_count_) != 0) return;
  stand(out);
}

void Node::stand(Effects& out) {
  FL_ASSERT(!is_primary(), "a secondary stands");
  role_ = Role::candidate;
  store_.voted = std::max(newest(), epoch_floor_).next();
  save(out);
  votes_.assign(node_count_, 0);
  votes_[self_.value] = 1;
  if (majority() == 1) return become_primary(out);
  for (std::uint32_t n = 0; n < node_count_; ++n)
    if (n != self_.value)
      out.send(NodeId{n}, PromoteRequest{store_.voted, last_epoch(store_), last_seq(store_)});
  FL_ASSERT(role_ == Role::candidate, "standing");
}

// A vote: once per epoch, only by a node that lost the primary too (a live primary refuses),
// and only for a candidate at least as up to date as the voter (the last entry's epoch, then
// its seq) unless the promote_any_secondary bug. A grant carries every entry the voter holds;
// a voter refusing a candidate less up to date than itself stands instead.
void Node::on_promote_request(NodeId source, const PromoteRequest& request, Effects& out) {
  const bool fresh = request.epoch > newest();
  const bool lost_primary = !is_primary() && primary_misses_ >= config_.suspect_after_misses;
  const auto mine = std::pair{last_epoch(store_), last_seq(store_)};
  const auto theirs = std::pair{request.last_epoch, request.last_seq};
  const bool up_to_date = config_.bug == Bug::promote_any_secondary || theirs >= mine;
  if (!fresh || !lost_primary || !up_to_date) {
    out.send(source, PromoteReply{request.epoch, false, newest(), {}});
    epoch_floor_ = std::max(epoch_floor_, request.epoch);  // a stand of its own goes above
    // More up to date than a candidate, and without a primary too: it stands at once, so the
    // most up-to-date reachable node is the one promoted.
    if (fresh && lost_primary && !up_to_date && role_ != Role::candidate) stand(out);
    return;
  }
  store_.voted = request.epoch;
  save(out);
  role_ = Role::secondary;  // a candidate of an older epoch gives way
  votes_.clear();
  std::vector<Entry> entries;
  if (config_.bug != Bug::promote_any_secondary)
    entries.assign(store_.entries.begin(), store_.entries.end());
  out.send(source, PromoteReply{request.epoch, true, newest(), std::move(entries)});
  FL_ASSERT(store_.voted == request.epoch, "voted once for this epoch");
}

void Node::on_promote_reply(NodeId source, const PromoteReply& reply, Effects& out) {
  if (!reply.granted) epoch_floor_ = std::max(epoch_floor_, reply.newest);
  if (role_ != Role::candidate || reply.epoch != store_.voted || !reply.granted) return;
  FL_ASSERT(votes_.size() == node_count_, "a candidate counts votes by node");
  if (votes_[source.value] == 1) return;  // a duplicate
  votes_[source.value] = 1;
  for (const Entry& entry : reply.entries) merge(entry, out);
  save(out);
  const auto grants = static_cast<std::uint32_t>(std::count(votes_.begin(), votes_.end(), 1));
  if (grants >= majority()) become_primary(out);
}

// The merged log is this epoch's: a seq no voter held gets a filler, so the order has no gap.
void Node::become_primary(Effects& out) {
  FL_ASSERT(role_ == Role::candidate, "a candidate is promoted");
  role_ = Role::primary;
  store_.epoch = store_.voted;
  store_.primary = self_;
  store_.synced = store_.epoch;
  const Seq last = last_seq(store_);
  for (Seq seq{1}; seq <= last; ++seq)
    if (!index_at(seq)) adopt(Entry{seq, filler_id, store_.epoch, 1}, out);
  recompute_delivered();
  save(out);
  views_.assign(node_count_, SecondaryView{});
  for (std::uint32_t s = 0; s < node_count_; ++s) views_[s].needs_catch_up = s != self_.value;
  pending_.clear();
  votes_.clear();
  primary_misses_ = 0;
  out.cancel_timer(WatchTimer{});
  out.emit(Promoted{store_.epoch});
  on_heartbeat_timer(out);  // announces itself at once
  FL_ASSERT(delivered_ == last, "the new primary's log has no gap");
}

// ---------------------------------------------------------------------------------------------
// Both

// Puts the entry where the primary's log has it: a different entry at its seq, or the same
// client message at another seq, is not in that log and is rolled back. The same entry again is
// a duplicate (with no_dedup: stored a second time).
StoreResult Node::adopt(const Entry& entry, Effects& out) {
  FL_ASSERT(entry.seq >= Seq{1}, "seqs start at 1");
  const Seq delivered_before = delivered_;
  const StoreResult result = store_entry(entry, out);
  note_delivered(delivered_before, out);
  return result;
}

// A secondary names the messages its delivered prefix gained (not a primary: its reads return
// what it stores at once).
void Node::note_delivered(Seq before, Effects& out) const {
  if (is_primary() || delivered_ <= before) return;
  Delivered delivered;
  const auto& entries = store_.entries;
  for (std::size_t i = store_.lower(before + 1); i < entries.size() && entries[i].seq <= delivered_;
       ++i)
    if (entries[i].id != filler_id) delivered.ids.push_back(entries[i].id);
  if (!delivered.ids.empty()) out.emit(std::move(delivered));
}

StoreResult Node::store_entry(const Entry& entry, Effects& out) {
  if (config_.bug == Bug::no_dedup) {
    store_.insert(entry);
    if (entry.id != filler_id) ids_.seqs[entry.id] = entry.seq;
    advance_delivered();
    return StoreResult::stored;
  }
  const auto at = index_at(entry.seq);
  if (at && store_.entries[*at] == entry) return StoreResult::duplicate;
  bool removed = false;
  if (at) {
    roll_back(*at, out);
    removed = true;
  }
  if (entry.id != filler_id)
    if (const auto same = ids_.seqs.find(entry.id); same != ids_.seqs.end()) {
      const auto other = index_at(same->second);
      FL_ASSERT(other && store_.entries[*other].id == entry.id, "the index names the entry");
      roll_back(*other, out);
      removed = true;
    }
  store_.insert(entry);
  if (entry.id != filler_id) ids_.seqs[entry.id] = entry.seq;
  if (removed)
    recompute_delivered();
  else
    advance_delivered();
  return StoreResult::stored;
}

// A voter's entry, merged into a candidate's log: at each seq, and for each client message, the
// entry of the newer epoch wins (a majority-acknowledged write is in some voter's store, and no
// later primary wrote another entry at its seq: README.md has the argument).
void Node::merge(const Entry& entry, Effects& out) {
  const auto at = index_at(entry.seq);
  if (at && store_.entries[*at].epoch >= entry.epoch) return;
  if (entry.id != filler_id)
    if (const Entry* same = entry_of(entry.id); same != nullptr && same->epoch >= entry.epoch)
      return;
  adopt(entry, out);
}

void Node::roll_back(std::size_t at, Effects& out) {
  FL_ASSERT(at < store_.entries.size(), "an entry held");
  const Entry entry = store_.entries[at];
  if (entry.id != filler_id) {
    out.emit(RolledBack{entry});
    if (const auto indexed = ids_.seqs.find(entry.id);
        indexed != ids_.seqs.end() && indexed->second == entry.seq)
      ids_.seqs.erase(indexed);
  }
  store_.erase(at);
}

std::optional<std::size_t> Node::index_at(Seq seq) const {
  const std::size_t at = store_.lower(seq);
  if (at < store_.entries.size() && store_.entries[at].seq == seq) return at;
  return std::nullopt;
}

const Entry* Node::entry_of(const MessageId& id) const {
  const auto indexed = ids_.seqs.find(id);
  return indexed == ids_.seqs.end() ? nullptr : store_.find(indexed->second, id);
}

void Node::save(Effects& out) const {
  if (!config_.volatile_store) out.persist(store_);
}

// The delivered end moves on through the entries that follow it without a gap (entries were
// only added since it was right, so it cannot move back).
void Node::advance_delivered() {
  if (config_.bug == Bug::deliver_out_of_order) {  // the bug: no MISSING_PARENT hold
    delivered_ = last_seq(store_);
    return;
  }
  const auto& entries = store_.entries;
  for (std::size_t i = store_.lower(delivered_ + 1);
       i < entries.size() && entries[i].seq <= delivered_ + 1; ++i)
    delivered_ = entries[i].seq;
}

void Node::recompute_delivered() {
  if (config_.bug == Bug::deliver_out_of_order) {  // the bug: no MISSING_PARENT hold
    delivered_ = last_seq(store_);
    return;
  }
  Seq end;
  for (const Entry& e : store_.entries) {
    if (e.seq == end + 1)
      end = e.seq;
    else if (e.seq > end + 1)
      break;
  }
  delivered_ = end;
}

std::vector<MessageId> Node::delivered_ids() const {
  std::vector<MessageId> ids;
  for (const Entry& e : store_.entries) {
    if (e.seq > delivered_) break;
    if (e.id != filler_id) ids.push_back(e.id);
  }
  return ids;
}

}  // namespace faultline::write_concern
