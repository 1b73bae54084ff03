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
  if (is_primary()) views_.assign(node_count_, SecondaryView{});
  recompute_delivered();
}

void Node::on_start(Effects& out) {
  if (!is_primary()) return;
  FL_ASSERT(pending_.empty(), "a fresh primary knows of no pending write");
  // After a restart it does not know who stored what: every secondary is asked to catch up.
  if (!store_.entries.empty())
    for (std::uint32_t s = 1; s < node_count_; ++s) views_[s].needs_catch_up = true;
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
  if (is_primary()) {
    if (const auto* m = std::get_if<ReplicateAck>(&message)) return on_ack(source, *m, out);
    if (const auto* m = std::get_if<HeartbeatReply>(&message))
      return on_heartbeat_reply(source, *m, out);
    if (const auto* m = std::get_if<CatchUpRequest>(&message))
      return on_catch_up_request(source, *m, out);
    return;  // a secondary's message sent to the primary (none in this protocol)
  }
  if (const auto* m = std::get_if<Replicate>(&message)) return on_replicate(*m, out);
  if (const auto* m = std::get_if<Heartbeat>(&message)) {
    if (m->epoch > store_.epoch) store_.epoch = m->epoch;
    return out.send(source, HeartbeatReply{store_.epoch, delivered_});
  }
  if (const auto* m = std::get_if<RecoveryNotice>(&message)) return on_recovery_notice(*m, out);
  if (const auto* m = std::get_if<CatchUpReply>(&message)) return on_catch_up_reply(*m, out);
}

void Node::on_timer(const Timer& timer, Effects& out) {
  FL_ASSERT(is_primary(), "only the primary sets timers");
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

std::uint32_t Node::available() const {
  FL_ASSERT(is_primary(), "availability is the primary's view");
  std::uint32_t count = 1;
  for (std::uint32_t s = 1; s < node_count_; ++s) count += views_[s].health != Health::unhealthy;
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
  const Seq seq = store_.entries.empty() ? Seq{1} : store_.entries.back().seq + 1;
  const StoreResult stored = store_entry(Entry{seq, post.id, store_.epoch, post.w});
  FL_ASSERT(stored == StoreResult::stored, "a new id at a new seq is stored");
  save(out);
  pending_.push_back(new_pending(seq, post.id, post.w));
  replicate(pending_.back(), out);
}

// Sends the pending entry to every secondary that has not confirmed it and is not UNHEALTHY
// (an unhealthy one is left to catch-up), and answers at once what needs no confirmation.
void Node::replicate(Pending& pending, Effects& out) {
  FL_ASSERT(entry_of(pending.id) != nullptr, "the primary replicates what it stores");
  pending.confirmed.assign(node_count_, 0);
  pending.attempts.assign(node_count_, 0);
  pending.confirmed[self_.value] = 1;
  const Entry entry = *entry_of(pending.id);
  for (std::uint32_t s = 1; s < node_count_; ++s) {
    if (views_[s].health == Health::unhealthy) {
      views_[s].needs_catch_up = true;
      continue;
    }
    out.send(NodeId{s}, Replicate{entry});
    out.set_timer(RetryTimer{NodeId{s}, pending.seq}, config_.replication_timeout);
  }
  if (pending.w == 1 || config_.bug == Bug::ack_before_replicate)
    answer(pending, PostStatus::ok, out);  // the bug: acknowledged once the sends are out
  else
    out.set_timer(ReadOnlyTimer{pending.id}, config_.read_only_timeout);
}

void Node::answer(Pending& pending, PostStatus status, Effects& out) {
  FL_ASSERT(!pending.answered, "a write is answered once");
  pending.answered = true;
  pending.acknowledged = status == PostStatus::ok;
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
    return forget_confirmed();
  }
  if (ack.result == StoreResult::injected_error)  // stored, answered 500: retry on policy
    out.set_timer(RetryTimer{source, ack.seq}, config_.healthy_retry_delay);
}

// Resends by the secondary's health (README.md): HEALTHY a few quick retries, SUSPECTED more
// with exponential backoff and jitter, UNHEALTHY none. When they run out, catch-up takes over.
void Node::on_retry(const RetryTimer& timer, Effects& out) {
  Pending* pending = pending_of(timer.seq);
  const std::uint32_t s = timer.secondary.value;
  FL_ASSERT(s >= 1 && s < node_count_, "a retry of a secondary");
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
  out.send(timer.secondary, Replicate{*entry_of(pending->id)});
  if (health == Health::healthy) return out.set_timer(timer, config_.healthy_retry_delay);
  const std::uint32_t doublings = std::min<std::uint32_t>(attempt, 30);
  Duration delay = config_.backoff_base;
  for (std::uint32_t i = 0; i < doublings && delay < config_.backoff_max; ++i) delay = delay * 2;
  delay = std::min(delay, config_.backoff_max);
  out.set_timer(timer, DurationRange{delay, delay + delay / 2});  // the jitter
}

void Node::on_heartbeat_timer(Effects& out) {
  const Seq latest = store_.entries.empty() ? Seq{} : store_.entries.back().seq;
  for (std::uint32_t s = 1; s < node_count_; ++s) {
    SecondaryView& view = views_[s];
    if (!view.answered) {
      view.misses += 1;
      if (view.misses >= config_.unhealthy_after_misses)
        set_health(NodeId{s}, Health::unhealthy, out);
      else if (view.misses >= config_.suspect_after_misses)
        set_health(NodeId{s}, Health::suspected, out);
    }
    view.answered = false;
    out.send(NodeId{s}, Heartbeat{store_.epoch, latest});
  }
  out.set_timer(HeartbeatTimer{}, config_.heartbeat_interval);
}

void Node::set_health(NodeId secondary, Health health, Effects& out) {
  SecondaryView& view = views_[secondary.value];
  if (view.health == health) return;
  view.health = health;
  if (health == Health::unhealthy) view.needs_catch_up = true;
  out.emit(HealthChanged{secondary, health});
}

// An answer clears the misses; everything up to its delivered end is stored there; a secondary
// marked for catch-up gets the recovery notice.
void Node::on_heartbeat_reply(NodeId source, const HeartbeatReply& reply, Effects& out) {
  SecondaryView& view = views_[source.value];
  view.answered = true;
  view.misses = 0;
  set_health(source, Health::healthy, out);
  for (Pending& pending : pending_)
    if (pending.seq <= reply.delivered) confirm(pending, source, out);
  forget_confirmed();
  const Seq latest = store_.entries.empty() ? Seq{} : store_.entries.back().seq;
  if (!view.needs_catch_up) return;
  view.needs_catch_up = false;
  if (reply.delivered >= latest || config_.bug == Bug::skip_catchup_on_recovery) return;
  out.send(source, RecoveryNotice{store_.epoch, latest});
}

void Node::on_catch_up_request(NodeId source, const CatchUpRequest& request, Effects& out) const {
  CatchUpReply reply;
  for (const Entry& entry : store_.entries) {
    if (entry.seq <= request.after || entry.seq > request.upto) continue;
    if (reply.entries.size() == catch_up_batch_max) break;
    reply.entries.push_back(entry);
  }
  FL_ASSERT(reply.entries.size() <= catch_up_batch_max, "a bounded batch");
  out.send(source, std::move(reply));
}

Pending* Node::pending_of(Seq seq) {
  for (Pending& p : pending_)
    if (p.seq == seq) return &p;
  return nullptr;
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

void Node::on_replicate(const Replicate& replicate, Effects& out) {
  FL_ASSERT(!is_primary(), "the primary replicates, it is not replicated to");
  const Entry& entry = replicate.entry;
  if (entry.epoch < store_.epoch)
    return out.send(primary_id, ReplicateAck{entry.seq, store_.epoch, StoreResult::fenced});
  const StoreResult result = store_entry(entry);
  if (result == StoreResult::duplicate)
    return out.send(primary_id, ReplicateAck{entry.seq, store_.epoch, result});
  save(out);
  if (fail_next_ > 0) {  // the seed's InjectFailure(where: after_db_save)
    fail_next_ -= 1;
    return out.send(primary_id, ReplicateAck{entry.seq, store_.epoch, StoreResult::injected_error});
  }
  out.send(primary_id, ReplicateAck{entry.seq, store_.epoch, StoreResult::stored});
}

void Node::on_recovery_notice(const RecoveryNotice& notice, Effects& out) {
  if (notice.epoch > store_.epoch) store_.epoch = notice.epoch;
  catch_up_upto_ = std::max(catch_up_upto_, notice.latest);
  if (delivered_ >= notice.latest) return;
  out.send(primary_id, CatchUpRequest{delivered_, notice.latest});
}

void Node::on_catch_up_reply(const CatchUpReply& reply, Effects& out) {
  bool changed = false;
  for (const Entry& entry : reply.entries)
    changed = store_entry(entry) == StoreResult::stored || changed;
  if (changed) save(out);
  out.send(primary_id, HeartbeatReply{store_.epoch, delivered_});  // confirms what it now holds
  if (reply.entries.size() == catch_up_batch_max && delivered_ < catch_up_upto_)
    out.send(primary_id, CatchUpRequest{delivered_, catch_up_upto_});
}

// ---------------------------------------------------------------------------------------------
// Both

StoreResult Node::store_entry(const Entry& entry) {
  FL_ASSERT(entry.seq >= Seq{1}, "seqs start at 1");
  if (entry_of(entry.id) != nullptr && config_.bug != Bug::no_dedup) return StoreResult::duplicate;
  auto& entries = store_.entries;
  auto at = std::lower_bound(entries.begin(), entries.end(), entry.seq,
                             [](const Entry& e, Seq seq) { return e.seq < seq; });
  if (at != entries.end() && at->seq == entry.seq && config_.bug != Bug::no_dedup)
    *at = entry;  // a primary that lost its volatile store reused the seq: its order wins
  else
    entries.insert(at, entry);
  recompute_delivered();
  return StoreResult::stored;
}

const Entry* Node::entry_of(const MessageId& id) const {
  for (const Entry& e : store_.entries)
    if (e.id == id) return &e;
  return nullptr;
}

void Node::save(Effects& out) const {
  if (!config_.volatile_store) out.persist(store_);
}

void Node::recompute_delivered() {
  if (config_.bug == Bug::deliver_out_of_order) {  // the bug: no MISSING_PARENT hold
    delivered_ = store_.entries.empty() ? Seq{} : store_.entries.back().seq;
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
    ids.push_back(e.id);
  }
  return ids;
}

}  // namespace faultline::write_concern
