// The coordinator (the seed's coordinator.py): quorum writes and reads over the registry's
// alive list. A follower counts for quorums ("sync") once it caught up in its current
// incarnation; every new incarnation (a restart, a return, a spawn) first gets the leader's
// whole state (full state transfer), and a new leader incarnation sends every follower through
// it again (the leader's resend state did not survive).
#include <algorithm>

#include "protocols/quorum_kv/node.h"
#include "protocols/quorum_kv/protocol.h"
#include "sim/core/assert.h"

namespace faultline::quorum_kv {

const Member* Node::leader_member() const {
  for (const Member& m : members_)
    if (m.identity == leader_identity) return &m;
  return nullptr;
}

bool Node::is_ready(const Member& member) const {
  return std::find(ready_.begin(), ready_.end(), ReadyMark{member.node, member.incarnation}) !=
         ready_.end();
}

std::vector<NodeId> Node::ready_followers() const {
  std::vector<NodeId> nodes;
  for (const Member& m : members_)
    if (m.identity != leader_identity && is_ready(m)) nodes.push_back(m.node);
  std::sort(nodes.begin(), nodes.end());
  return nodes;
}

void Node::coordinator_message(NodeId source, const Message& message, Effects& out) {
  FL_ASSERT(layout_role_ == Role::coordinator, "the coordinator's handler");
  if (config_.mode == Mode::leaderless) {
    if (const auto* m = std::get_if<Membership>(&message)) return void(members_ = m->alive);
    if (const auto* r = std::get_if<WriteRequest>(&message)) return leaderless_write(*r, out);
    if (const auto* a = std::get_if<PutAck>(&message)) return on_leaderless_ack(source, *a, out);
  }
  if (const auto* m = std::get_if<Membership>(&message)) return on_membership(*m, out);
  if (const auto* r = std::get_if<WriteRequest>(&message)) return on_write_request(*r, out);
  if (const auto* r = std::get_if<ReadRequest>(&message)) return on_read_request(*r, out);
  if (const auto* r = std::get_if<GetReply>(&message)) return on_get_reply(source, *r, out);
  if (const auto* a = std::get_if<PutAck>(&message)) return on_write_back_ack(source, *a, out);
  if (const auto* r = std::get_if<Replicated>(&message)) {
    const auto it = std::find(writes_.begin(), writes_.end(), r->id);
    if (it == writes_.end()) return;  // answered already (timed out)
    writes_.erase(it);
    return answer(Outcome{r->id, true, r->status, r->version, 0, 0}, out);
  }
  if (const auto* c = std::get_if<CaughtUp>(&message)) {
    const auto member = std::find_if(members_.begin(), members_.end(), [&](const Member& m) {
      return m.node == c->node && m.incarnation == c->incarnation;
    });
    if (member == members_.end() || is_ready(*member)) return;
    ready_.push_back(ReadyMark{c->node, c->incarnation});
    std::sort(ready_.begin(), ready_.end(),
              [](const ReadyMark& a, const ReadyMark& b) { return a.node < b.node; });
    out.emit(Ready{c->node});
  }
}

void Node::on_membership(const Membership& membership, Effects& out) {
  members_ = membership.alive;
  const Member* leader = leader_member();
  if (leader != nullptr && leader->incarnation != leader_incarnation_) {
    leader_incarnation_ = leader->incarnation;
    ready_.clear();
  }
  std::erase_if(ready_, [&](const ReadyMark& mark) {
    return std::none_of(members_.begin(), members_.end(), [&](const Member& m) {
      return m.node == mark.node && m.incarnation == mark.incarnation;
    });
  });
  if (leader == nullptr) return;
  for (const Member& m : members_) {
    if (m.identity == leader_identity || is_ready(m)) continue;
    out.send(leader->node, CatchUp{m.node, m.incarnation});  // again each tick until ready
    out.emit(CatchUpStarted{m.node});
  }
}

void Node::on_write_request(const WriteRequest& request, Effects& out) {
  const Member* leader = leader_member();
  const std::vector<NodeId> sync = ready_followers();
  const std::uint32_t needed = config_.write_quorum - 1;
  if (leader == nullptr || sync.size() < needed)  // the seed's "Write quorum not available"
    return answer(Outcome{request.id, true, Status::unavailable, Version{}, 0, request.attempt},
                  out);
  const auto at = std::lower_bound(writes_.begin(), writes_.end(), request.id);
  if (at == writes_.end() || *at != request.id) {
    writes_.insert(at, request.id);
    out.set_timer(RequestTimer{request.id}, config_.write_timeout);
  }
  out.send(leader->node, Replicate{request.id, request.key, request.value, sync, needed});
}

void Node::on_read_request(const ReadRequest& request, Effects& out) {
  for (const PendingRead& read : reads_)
    if (read.id == request.id) return;  // a retry of a read under way
  std::vector<NodeId> replicas = ready_followers();
  if (const Member* leader = leader_member()) replicas.push_back(leader->node);
  std::sort(replicas.begin(), replicas.end());
  const std::uint32_t asked = config_.bug == Bug::read_from_one_replica ? 1 : config_.read_quorum;
  if (replicas.size() < asked)  // the seed's "Read quorum not available"
    return answer(Outcome{request.id, false, Status::unavailable, Version{}, 0, request.attempt},
                  out);
  PendingRead read{request.id, request.key, {}, {}, {}, Item{}, false, {}, {}};
  for (std::uint32_t i = 0; i < asked; ++i)
    read.asked.push_back(replicas[(read_cursor_ + i) % replicas.size()]);
  read_cursor_ += 1;  // reads start at the next replica round the list
  for (NodeId node : read.asked) out.send(node, Get{request.id, request.key});
  reads_.push_back(std::move(read));
  out.set_timer(RequestTimer{request.id}, config_.read_timeout);
}

void Node::on_get_reply(NodeId source, const GetReply& reply, Effects& out) {
  const auto read = std::find_if(reads_.begin(), reads_.end(),
                                 [&](const PendingRead& r) { return r.id == reply.id; });
  if (read == reads_.end()) return;
  const bool asked = std::find(read->asked.begin(), read->asked.end(), source) != read->asked.end();
  const bool seen =
      std::find(read->answered.begin(), read->answered.end(), source) != read->answered.end();
  if (!asked || seen) return;
  read->answered.push_back(source);
  read->versions.push_back(reply.item.version);
  if (reply.item.version > read->best.version) read->best = reply.item;
  if (!read->writing_back && read_complete(*read)) finish_read(*read, out);
}

// R answers: the highest version is the read's value. When they disagree, read_repair async
// sends it to the replicas that answered older ones and answers at once; sync sends it to every
// caught-up replica that did not answer it and answers once W replicas hold it.
void Node::finish_read(PendingRead& read, Effects& out) {
  FL_ASSERT(read_complete(read), "enough replicas answered");
  const bool agree = std::all_of(read.versions.begin(), read.versions.end(),
                                 [&](Version v) { return v == read.best.version; });
  if (agree || config_.read_repair == ReadRepair::none) {
    answer(Outcome{read.id, false, Status::ok, read.best.version, read.best.value, 0}, out);
    return end_read(read.id);
  }
  if (config_.read_repair == ReadRepair::async) {
    for (std::size_t i = 0; i < read.answered.size(); ++i)
      if (read.versions[i] < read.best.version) out.send(read.answered[i], Put{read.best, true});
    answer(Outcome{read.id, false, Status::ok, read.best.version, read.best.value, 0}, out);
    return end_read(read.id);
  }
  read.writing_back = true;
  for (std::size_t i = 0; i < read.answered.size(); ++i)
    if (read.versions[i] == read.best.version) read.holders.push_back(read.answered[i]);
  std::vector<NodeId> replicas = read.asked;  // leaderless: the key's replicas
  if (config_.mode == Mode::leader) {
    replicas = ready_followers();
    if (const Member* leader = leader_member()) replicas.push_back(leader->node);
  }
  for (NodeId node : replicas)
    if (std::find(read.holders.begin(), read.holders.end(), node) == read.holders.end())
      out.send(node, Put{read.best, true});
}

void Node::on_write_back_ack(NodeId source, const PutAck& ack, Effects& out) {
  for (PendingRead& read : reads_) {
    if (!read.writing_back || read.key != ack.key || ack.version < read.best.version) continue;
    if (std::find(read.holders.begin(), read.holders.end(), source) != read.holders.end()) continue;
    read.holders.push_back(source);
    if (read.holders.size() < config_.write_quorum) continue;
    answer(Outcome{read.id, false, Status::ok, read.best.version, read.best.value, 0}, out);
    return end_read(read.id);  // one read per ack at most: the loop ends here
  }
}

void Node::end_read(const RequestId& id) {
  std::erase_if(reads_, [&](const PendingRead& r) { return r.id == id; });
}

// The coordinator answers through the gateway; the gateway (leaderless reads) to the client.
void Node::answer(const Outcome& outcome, Effects& out) {
  out.cancel_timer(RequestTimer{outcome.id});
  if (layout_role_ == Role::gateway)
    return out.emit(Reply{outcome.id, outcome.write, outcome.status, outcome.version, outcome.value,
                          outcome.attempt});
  out.send(gateway_node, outcome);
}

void Node::on_request_timer(const RequestId& id, Effects& out) {
  FL_ASSERT(layout_role_ == Role::coordinator || layout_role_ == Role::gateway,
            "the coordinator times requests, and the gateway leaderless reads");
  if (const auto it = std::find(writes_.begin(), writes_.end(), id); it != writes_.end()) {
    writes_.erase(it);
    return answer(Outcome{id, true, Status::timeout, Version{}, 0, 0}, out);
  }
  const auto read =
      std::find_if(reads_.begin(), reads_.end(), [&](const PendingRead& r) { return r.id == id; });
  if (read == reads_.end()) return;
  reads_.erase(read);
  answer(Outcome{id, false, Status::timeout, Version{}, 0, 0}, out);
}

}  // namespace faultline::quorum_kv
