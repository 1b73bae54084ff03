// The leaderless mode (Dynamo, DeCandia et al., SOSP 2007): every key lives on the
// `replication` replicas that follow its hash on the ring of replica identities (its preference
// list). A write is stamped with its coordinator's clock (last-write-wins), sent to the key's
// live preference replicas (with sloppy_quorum, a dead one's share goes to the next live replica
// past the list, with a hint naming it) and acknowledged after W of them stored it. A read is
// sent by the gateway to the same replicas and answered with the newest of the first R answers;
// read repair and anti-entropy (each replica pushes its items to the next every
// anti_entropy_interval, and resends its hints) make the replicas converge.
//
// The write coordinator is n2 (write_coordinator: router) or the key's first live preference
// replica (preference). Reads are coordinated by the gateway, where they enter: the write and
// read paths then use separate links, which is what lets a scenario give them the WARS model's
// four latency distributions (README.md, "PBS").
#include <algorithm>
#include <tuple>

#include "protocols/quorum_kv/node.h"
#include "protocols/quorum_kv/protocol.h"
#include "sim/core/assert.h"

namespace faultline::quorum_kv {

namespace {

// Last-write-wins stamps: a clock reading, biased so that a clock behind by up to a day (a
// negative reading at the start of a run) still gives a positive version.
Version stamp_of(Time clock) {
  constexpr std::int64_t bias = std::int64_t{1} << 62;
  FL_ASSERT(clock.nanoseconds > -bias, "a clock within the validated skew");
  return Version{static_cast<std::uint64_t>(clock.nanoseconds + bias)};
}

bool holds(const std::vector<NodeId>& nodes, NodeId node) {
  return std::find(nodes.begin(), nodes.end(), node) != nodes.end();
}

}  // namespace

std::optional<NodeId> Node::node_of(Identity identity) const {
  for (const Member& m : members_)
    if (m.identity == identity) return m.node;
  return std::nullopt;
}

// The key's live preference replicas, then (sloppy_quorum) a substitute for each dead one: the
// next live replica past the list, with a hint naming the dead one's node.
std::vector<Target> Node::targets_for(std::string_view key) const {
  const std::uint32_t ring = config_.replicas();
  const std::vector<Identity> list = preference_list(config_, key);
  std::vector<Target> targets;
  std::vector<Identity> dead;
  for (const Identity identity : list) {
    if (const auto node = node_of(identity))
      targets.push_back(Target{*node, std::nullopt});
    else
      dead.push_back(identity);
  }
  if (!config_.sloppy_quorum || list.empty()) return targets;
  for (std::uint32_t i = 1; i < ring - config_.replication + 1 && !dead.empty(); ++i) {
    const auto node = node_of(Identity{(list.back().value + i) % ring});
    if (!node) continue;
    targets.push_back(Target{*node, config_.boot_node(dead.front())});
    dead.erase(dead.begin());
  }
  FL_ASSERT(targets.size() <= config_.replication, "at most N targets");
  return targets;
}

// n2: a client's write. Refused (503) with fewer than W targets; else coordinated here or by
// the key's first live preference replica.
void Node::leaderless_write(const WriteRequest& request, Effects& out) {
  const std::vector<Target> targets = targets_for(request.key);
  const bool coordinator_present = !targets.empty() && !targets.front().intended;
  if (targets.size() < config_.write_quorum || !coordinator_present)
    return answer(Outcome{request.id, true, Status::unavailable, Version{}, 0, request.attempt},
                  out);
  const auto at = std::lower_bound(writes_.begin(), writes_.end(), request.id);
  if (at != writes_.end() && *at == request.id) return;  // a retry of a write under way
  writes_.insert(at, request.id);
  out.set_timer(RequestTimer{request.id}, config_.write_timeout);
  if (config_.write_coordinator == WriteCoordinator::preference)
    return out.send(targets.front().node, CoordinateWrite{request.id, request.key, request.value,
                                                          targets, config_.write_quorum});
  coordinate(request.id, Sibling{Item{request.key, stamp_of(out.clock()), request.value}, {}},
             targets, config_.write_quorum, out);
}

// Sends the stamped write (with its clock under version vectors, else none) to every target
// but this node (which, as a replica, stored it and counts for one of the `needed`), and
// answers once `needed` acknowledged it.
void Node::coordinate(const RequestId& id, const Sibling& write, const std::vector<Target>& targets,
                      std::uint32_t needed, Effects& out) {
  FL_ASSERT(needed > 0, "a write needs at least one acknowledgement");
  FL_ASSERT(targets.size() >= needed, "a write is coordinated only with W targets");
  const Item& item = write.item;
  const bool vectors = !write.clock.empty();
  PendingWrite pending{id, item.key, item.version, needed, {}, {}, false, false, write.clock};
  if (store_.identity && (vectors ? merge_sibling(write) : store_.merge(item))) save(out);
  if (store_.identity) pending.acked.push_back(self_);
  for (const Target& target : targets) {
    if (target.node == self_) continue;
    pending.sync.push_back(target.node);
    if (vectors)
      out.send(target.node, PutSibling{write});
    else if (target.intended)
      out.send(target.node, HintedPut{item, *target.intended});
    else
      out.send(target.node, Put{item, false});
  }
  if (store_.identity) pending.sync.push_back(self_);
  pending_writes_.push_back(std::move(pending));
  settle_leaderless(out);
}

void Node::on_coordinate_write(NodeId source, const CoordinateWrite& request, Effects& out) {
  FL_ASSERT(source == coordinator_node, "writes are handed over by n2");
  for (const PendingWrite& p : pending_writes_)
    if (p.id == request.id) return;  // a retry of a write under way
  out.set_timer(RequestTimer{request.id}, config_.write_timeout);
  const Version stamp = stamp_of(out.clock());
  const Sibling write = config_.conflicts == Conflicts::version_vectors
                            ? next_sibling(request.key, stamp, request.value)
                            : Sibling{Item{request.key, stamp, request.value}, {}};
  coordinate(request.id, write, request.targets, request.needed, out);
}

void Node::on_leaderless_ack(NodeId source, const PutAck& ack, Effects& out) {
  FL_ASSERT(source != self_, "a node counts its own store without a message");
  const auto before = store_.hints.size();
  std::erase_if(store_.hints, [&](const Hint& h) {
    return h.intended == source && h.item.key == ack.key && h.item.version <= ack.version;
  });
  if (store_.hints.size() != before) save(out);
  for (PendingWrite& p : pending_writes_)
    if (p.key == ack.key && p.clock.empty() && p.version <= ack.version && holds(p.sync, source) &&
        !holds(p.acked, source))
      p.acked.push_back(source);
  settle_leaderless(out);
}

// Answers each pending write with its W acknowledgements (ack_before_quorum: at once), to the
// gateway (n2 coordinates) or to n2 (a replica does); forgets those every target stored.
void Node::settle_leaderless(Effects& out) {
  for (PendingWrite& p : pending_writes_) {
    const bool early = config_.bug == Bug::ack_before_quorum;
    if (p.answered || (p.acked.size() < p.needed && !early)) continue;
    p.answered = true;
    p.acknowledged = true;
    if (layout_role_ == Role::coordinator) {
      if (const auto it = std::find(writes_.begin(), writes_.end(), p.id); it != writes_.end()) {
        writes_.erase(it);
        answer(Outcome{p.id, true, Status::ok, p.version, 0, 0}, out);
      }
    } else {
      out.cancel_timer(RequestTimer{p.id});
      out.send(coordinator_node, Replicated{p.id, Status::ok, p.version});
    }
  }
  std::erase_if(pending_writes_, [](const PendingWrite& p) {
    return p.answered && p.acked.size() == p.sync.size();
  });
}

// A coordinating replica's deadline: too few acknowledgements (n2 answers the client itself).
void Node::leaderless_write_timeout(const RequestId& id, Effects& out) {
  const auto it = std::find_if(pending_writes_.begin(), pending_writes_.end(),
                               [&](const PendingWrite& p) { return p.id == id; });
  if (it == pending_writes_.end()) return;
  if (!it->answered) out.send(coordinator_node, Replicated{id, Status::timeout, it->version});
  pending_writes_.erase(it);
}

// ---- reads, at the gateway ------------------------------------------------------------------

void Node::gateway_read(const Read& read, Effects& out) {
  for (const PendingRead& r : reads_)
    if (r.id == read.id) return;  // a retry of a read under way
  const std::vector<Target> targets = targets_for(read.key);
  const std::uint32_t needed = config_.bug == Bug::read_from_one_replica ? 1 : config_.read_quorum;
  if (targets.size() < needed)
    return answer(Outcome{read.id, false, Status::unavailable, Version{}, 0, read.attempt}, out);
  PendingRead pending{read.id, read.key, {}, {}, {}, Item{}, false, {}, {}};
  for (const Target& t : targets) {
    pending.asked.push_back(t.node);
    out.send(t.node, Get{read.id, read.key});
  }
  reads_.push_back(std::move(pending));
  out.set_timer(RequestTimer{read.id}, config_.read_timeout);
}

// Leader mode: every replica asked answered; leaderless: the first R (one, with the bug).
bool Node::read_complete(const PendingRead& read) const {
  if (config_.mode == Mode::leader) return read.answered.size() == read.asked.size();
  const std::uint32_t needed = config_.bug == Bug::read_from_one_replica ? 1 : config_.read_quorum;
  return read.answered.size() >= needed;
}

// ---- replicas -------------------------------------------------------------------------------

void Node::on_hinted_put(NodeId source, const HintedPut& put, Effects& out) {
  FL_ASSERT(store_.identity.has_value(), "only replicas hold hints");
  auto held = std::find_if(store_.hints.begin(), store_.hints.end(), [&](const Hint& h) {
    return h.intended == put.intended && h.item.key == put.item.key;
  });
  if (held == store_.hints.end())
    store_.hints.push_back(Hint{put.intended, put.item});
  else if (put.item.version > held->item.version)
    held->item = put.item;
  save(out);
  out.send(source, PutAck{put.item.key, put.item.version});
}

// Every anti_entropy_interval: resend each hint to its replica, and push every item to the next
// replica round the ring (a full push: small key sets; a Merkle tree is the next step).
void Node::anti_entropy(Effects& out) {
  FL_ASSERT(store_.identity.has_value(), "only replicas run anti-entropy");
  for (const Hint& hint : store_.hints) out.send(hint.intended, Put{hint.item, false});
  const std::uint32_t ring = config_.replicas();
  if (ring > 1 && !(store_.items.empty() && store_.siblings.empty())) {
    sync_cursor_ = sync_cursor_ % (ring - 1) + 1;
    const Identity peer{(store_.identity->value + sync_cursor_) % ring};
    if (config_.conflicts == Conflicts::version_vectors)
      out.send(config_.boot_node(peer), SyncSiblings{store_.siblings});
    else
      out.send(config_.boot_node(peer), Sync{store_.items});
  }
  out.set_timer(AntiEntropyTimer{}, config_.anti_entropy_interval);
}

// Merges the pushed items of the keys this replica is a preference replica of.
void Node::on_sync(const Sync& sync, Effects& out) {
  FL_ASSERT(store_.identity.has_value(), "only replicas merge");
  bool changed = false;
  for (const Item& item : sync.items) {
    const auto list = preference_list(config_, item.key);
    if (std::find(list.begin(), list.end(), *store_.identity) == list.end()) continue;
    changed = store_.merge(item) || changed;
  }
  if (changed) save(out);
}

// ---- version vectors -----------------------------------------------------------------------

// A write coordinated here: its clock is the join of every sibling of the key this replica
// holds, with this replica's entry one more, so it replaces them all and nothing it has not seen.
Sibling Node::next_sibling(const std::string& key, Version stamp, std::int64_t value) const {
  FL_ASSERT(store_.identity.has_value(), "a replica coordinates");
  VersionVector clock(config_.replicas(), 0);
  for (const Sibling& held : store_.siblings_of(key))
    for (std::size_t i = 0; i < clock.size(); ++i) clock[i] = std::max(clock[i], held.clock[i]);
  clock[store_.identity->value] += 1;
  return Sibling{Item{key, stamp, value}, std::move(clock)};
}

// Store::merge_sibling, or under siblings_by_stamp last-write-wins among siblings: the higher
// stamp replaces every sibling of the key.
bool Node::merge_sibling(const Sibling& sibling) {
  FL_ASSERT(sibling.clock.size() == config_.replicas(), "a clock per replica");
  if (config_.bug != Bug::siblings_by_stamp) return store_.merge_sibling(sibling);
  for (const Sibling& held : store_.siblings)
    if (held.item.key == sibling.item.key && held.item.version >= sibling.item.version)
      return false;
  std::erase_if(store_.siblings,
                [&](const Sibling& held) { return held.item.key == sibling.item.key; });
  return store_.merge_sibling(sibling);
}

void Node::on_put_sibling(NodeId source, const PutSibling& put, Effects& out) {
  FL_ASSERT(store_.identity.has_value(), "only replicas store");
  if (merge_sibling(put.sibling)) save(out);
  out.send(source, SiblingAck{put.sibling.item.key, put.sibling.clock});
}

// The acknowledgement counts for every pending write of the key the acknowledged one descends
// from (the replica holds it or a descendant); never by stamp, which two writes may share.
void Node::on_sibling_ack(NodeId source, const SiblingAck& ack, Effects& out) {
  FL_ASSERT(source != self_, "a node counts its own store without a message");
  for (PendingWrite& p : pending_writes_)
    if (p.key == ack.key && !p.clock.empty() && descends(ack.clock, p.clock) &&
        holds(p.sync, source) && !holds(p.acked, source))
      p.acked.push_back(source);
  settle_leaderless(out);
}

// The gateway: a replica's siblings join the read's; its newest stamp is what it held.
void Node::on_siblings_reply(NodeId source, const SiblingsReply& reply, Effects& out) {
  const auto read = std::find_if(reads_.begin(), reads_.end(),
                                 [&](const PendingRead& r) { return r.id == reply.id; });
  if (read == reads_.end()) return;
  if (!holds(read->asked, source) || holds(read->answered, source)) return;
  read->answered.push_back(source);
  Version newest{};
  for (const Sibling& sibling : reply.siblings) {
    FL_ASSERT(sibling.item.key == read->key, "a reply carries the key asked");
    newest = std::max(newest, sibling.item.version);
    if (std::tie(sibling.item.version, sibling.item.value) >
        std::tie(read->best.version, read->best.value))
      read->best = sibling.item;
    Store joined;
    joined.siblings = std::move(read->siblings);
    joined.merge_sibling(sibling);
    read->siblings = std::move(joined.siblings);
  }
  read->versions.push_back(newest);
  if (!read_complete(*read)) return;
  std::vector<Sibling> by_stamp = read->siblings;
  std::sort(by_stamp.begin(), by_stamp.end(), [](const Sibling& a, const Sibling& b) {
    return std::tie(a.item.version, a.item.value) < std::tie(b.item.version, b.item.value);
  });
  std::vector<std::int64_t> values;
  for (const Sibling& sibling : by_stamp) values.push_back(sibling.item.value);
  out.emit(Siblings{read->id, std::move(values)});
  finish_read(*read, out);
}

void Node::on_sync_siblings(const SyncSiblings& sync, Effects& out) {
  FL_ASSERT(store_.identity.has_value(), "only replicas merge");
  bool changed = false;
  for (const Sibling& sibling : sync.siblings) {
    const auto list = preference_list(config_, sibling.item.key);
    if (std::find(list.begin(), list.end(), *store_.identity) == list.end()) continue;
    changed = merge_sibling(sibling) || changed;
  }
  if (changed) save(out);
}

}  // namespace faultline::quorum_kv
