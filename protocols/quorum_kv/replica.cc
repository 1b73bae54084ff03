// Replicas (the seed's node.py): the leader versions and stores each write, sends it to every
// follower it replicates to (the coordinator's sync list and the followers in state transfer)
// in parallel, resends what is not acknowledged every replication_retry, and answers once W-1
// sync followers stored it. Followers keep each key's highest version. Spares heartbeat until
// the registry hands them an identity.
#include <algorithm>

#include "protocols/quorum_kv/node.h"
#include "protocols/quorum_kv/protocol.h"
#include "sim/core/assert.h"

namespace faultline::quorum_kv {

namespace {

bool contains(const std::vector<NodeId>& nodes, NodeId node) {
  return std::find(nodes.begin(), nodes.end(), node) != nodes.end();
}

Session* session_of(Store& store, std::uint32_t client) {
  const auto it = std::lower_bound(store.sessions.begin(), store.sessions.end(), client,
                                   [](const Session& s, std::uint32_t c) { return s.client < c; });
  if (it != store.sessions.end() && it->client == client) return &*it;
  return &*store.sessions.insert(it, Session{client, 0, Version{}, false});
}

}  // namespace

void Node::heartbeat(Effects& out) const {
  out.send(registry_node, Heartbeat{store_.identity, store_.identity.has_value() && !claimed_});
}

void Node::replica_message(NodeId source, const Message& message, Effects& out) {
  if (const auto* w = std::get_if<Welcome>(&message)) {
    if (store_.identity == w->identity) claimed_ = true;
    return;
  }
  if (const auto* r = std::get_if<Retire>(&message)) {
    if (store_.identity != r->identity) return;
    store_.identity.reset();  // a ghost: it becomes a spare
    claimed_ = false;
    pending_writes_.clear();
    unacked_.clear();
    return save(out);
  }
  if (const auto* a = std::get_if<Assume>(&message)) {
    if (store_.identity) return;
    store_.identity = a->identity;
    claimed_ = true;
    save(out);
    return heartbeat(out);
  }
  if (!store_.identity) return;  // a spare holds no data
  if (config_.mode == Mode::leaderless) {
    if (const auto* w = std::get_if<CoordinateWrite>(&message))
      return on_coordinate_write(source, *w, out);
    if (const auto* h = std::get_if<HintedPut>(&message)) return on_hinted_put(source, *h, out);
    if (const auto* s = std::get_if<Sync>(&message)) return on_sync(*s, out);
    if (const auto* a = std::get_if<PutAck>(&message)) return on_leaderless_ack(source, *a, out);
    if (const auto* p = std::get_if<PutSibling>(&message)) return on_put_sibling(source, *p, out);
    if (const auto* a = std::get_if<SiblingAck>(&message)) return on_sibling_ack(source, *a, out);
    if (const auto* s = std::get_if<SyncSiblings>(&message)) return on_sync_siblings(*s, out);
    const auto* get = std::get_if<Get>(&message);
    if (get != nullptr && config_.conflicts == Conflicts::version_vectors)
      return out.send(source, SiblingsReply{get->id, store_.siblings_of(get->key)});
  }
  if (const auto* put = std::get_if<Put>(&message)) return on_put(*put, source, out);
  if (const auto* get = std::get_if<Get>(&message)) {
    const Item* item = store_.find(get->key);
    return out.send(source, GetReply{get->id, item ? *item : Item{get->key, Version{}, 0}});
  }
  if (const auto* snapshot = std::get_if<Snapshot>(&message)) {
    bool changed = false;
    for (const Item& item : snapshot->items) changed = store_.merge(item) || changed;
    if (changed) save(out);
    return out.send(source, SnapshotAck{snapshot->incarnation});
  }
  if (*store_.identity != leader_identity) return;
  if (const auto* r = std::get_if<Replicate>(&message)) return on_replicate(*r, out);
  if (const auto* a = std::get_if<PutAck>(&message)) return on_put_ack(source, *a, out);
  if (const auto* c = std::get_if<CatchUp>(&message)) return on_catch_up(*c, out);
  if (const auto* a = std::get_if<SnapshotAck>(&message)) return on_snapshot_ack(source, *a, out);
}

void Node::on_put(const Put& put, NodeId source, Effects& out) {
  FL_ASSERT(store_.identity.has_value(), "only replicas store");
  const bool overwrite = put.repair && config_.bug == Bug::read_repair_overwrites_newer;
  if (store_.merge(put.item, overwrite)) save(out);
  out.send(source, PutAck{put.item.key, store_.version_of(put.item.key)});
}

// The followers each write goes to: the coordinator's sync list and the state transfers under
// way (a newcomer must get the writes its snapshot does not hold). Puts to nodes no longer
// among them are given up: a node that comes back is caught up by state transfer.
void Node::set_fanout(const std::vector<NodeId>& sync) {
  std::erase_if(catching_, [&](const ReadyMark& c) { return contains(sync, c.node); });
  fanout_ = sync;
  for (const ReadyMark& c : catching_)
    if (!contains(fanout_, c.node)) fanout_.push_back(c.node);
  std::sort(fanout_.begin(), fanout_.end());
  std::erase_if(unacked_, [&](const Unacked& u) { return !contains(fanout_, u.node); });
}

void Node::on_replicate(const Replicate& replicate, Effects& out) {
  FL_ASSERT(is_leader() || store_.identity == leader_identity, "only the leader versions writes");
  set_fanout(replicate.sync);
  Session* session = session_of(store_, replicate.id.client);
  if (session->number > replicate.id.number) return;  // older than the client's last: stale
  if (session->number == replicate.id.number) {       // a retry
    const bool open = std::any_of(pending_writes_.begin(), pending_writes_.end(),
                                  [&](const PendingWrite& p) { return p.id == replicate.id; });
    if (!open)
      out.send(coordinator_node,
               Replicated{replicate.id, session->acknowledged ? Status::ok : Status::timeout,
                          session->version});
    return settle(out);
  }
  const Item item{replicate.key, store_.next_version, replicate.value};
  store_.next_version += 1;
  store_.merge(item);
  *session = Session{replicate.id.client, replicate.id.number, item.version, false};
  save(out);
  pending_writes_.push_back(PendingWrite{replicate.id,
                                         replicate.key,
                                         item.version,
                                         replicate.needed,
                                         replicate.sync,
                                         {},
                                         false,
                                         false,
                                         {}});
  for (NodeId node : fanout_) {
    out.send(node, Put{item});
    const Unacked entry{node, item.key};
    const auto at = std::lower_bound(unacked_.begin(), unacked_.end(), entry);
    if (at == unacked_.end() || *at != entry) unacked_.insert(at, entry);
  }
  settle(out);
}

void Node::on_put_ack(NodeId source, const PutAck& ack, Effects& out) {
  if (store_.version_of(ack.key) <= ack.version) std::erase(unacked_, Unacked{source, ack.key});
  for (PendingWrite& p : pending_writes_)
    if (p.key == ack.key && p.version <= ack.version && contains(p.sync, source) &&
        !contains(p.acked, source))
      p.acked.push_back(source);
  settle(out);
}

// Answers every pending write that has its W-1 acks (ok) or can no longer get them (timeout:
// its sync followers left the fan-out), and forgets those answered and stored by every sync
// follower still in the fan-out.
void Node::settle(Effects& out) {
  for (PendingWrite& p : pending_writes_) {
    std::uint32_t waiting = 0;
    for (NodeId node : p.sync) waiting += contains(fanout_, node) && !contains(p.acked, node);
    const auto acks = static_cast<std::uint32_t>(p.acked.size());
    const bool early = config_.bug == Bug::ack_before_quorum;
    if (p.answered) continue;
    if (acks < p.needed && acks + waiting >= p.needed && !early) continue;
    p.answered = true;
    p.acknowledged = acks >= p.needed || early;
    Session* session = session_of(store_, p.id.client);
    if (session->number == p.id.number) session->acknowledged = p.acknowledged;
    save(out);
    out.send(coordinator_node,
             Replicated{p.id, p.acknowledged ? Status::ok : Status::timeout, p.version});
  }
  std::erase_if(pending_writes_, [&](const PendingWrite& p) {
    if (!p.answered) return false;
    return std::all_of(p.sync.begin(), p.sync.end(), [&](NodeId node) {
      return !contains(fanout_, node) || contains(p.acked, node);
    });
  });
}

void Node::on_catch_up(const CatchUp& request, Effects& out) {
  if (config_.bug != Bug::catchup_misses_inflight_write) {
    std::erase_if(catching_, [&](const ReadyMark& c) { return c.node == request.node; });
    catching_.push_back(ReadyMark{request.node, request.incarnation});
    if (!contains(fanout_, request.node)) {
      fanout_.push_back(request.node);
      std::sort(fanout_.begin(), fanout_.end());
    }
  }
  out.send(request.node, Snapshot{request.incarnation, store_.items});
}

void Node::on_snapshot_ack(NodeId source, const SnapshotAck& ack, Effects& out) {
  out.send(coordinator_node, CaughtUp{source, ack.incarnation});
}

void Node::resend(Effects& out) const {
  if (store_.identity != leader_identity) return;
  for (const Unacked& u : unacked_)
    if (const Item* item = store_.find(u.key)) out.send(u.node, Put{*item});
}

}  // namespace faultline::quorum_kv
