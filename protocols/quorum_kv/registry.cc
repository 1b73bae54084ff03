// The registry: service discovery with heartbeats (the seed's registry.py). Every tick
// (heartbeat_interval) it ages each claim by one; a claim not heard for more than
// timeout_ticks() ticks is dead; with auto_spawn a dead follower's identity goes to an idle spare
// after spawn_ticks() more. A heartbeat claiming an identity the registry gives to another node is
// answered Retire: after a network blip shorter than the detection plus the spawn delay nothing
// happens, after a longer one the old node and the spawned one both claimed the identity until then
// (INC-2).
#include <algorithm>

#include "protocols/quorum_kv/node.h"
#include "protocols/quorum_kv/protocol.h"
#include "sim/core/assert.h"

namespace faultline::quorum_kv {

Claim* Node::claim_of(Identity identity) {
  const auto it =
      std::lower_bound(claims_.begin(), claims_.end(), identity,
                       [](const Claim& claim, Identity id) { return claim.identity < id; });
  return it != claims_.end() && it->identity == identity ? &*it : nullptr;
}

void Node::registry_message(NodeId source, const Message& message, Effects& out) {
  FL_ASSERT(layout_role_ == Role::registry, "the registry's handler");
  if (const auto* heartbeat = std::get_if<Heartbeat>(&message))
    on_heartbeat(source, *heartbeat, out);
}

void Node::on_heartbeat(NodeId source, const Heartbeat& heartbeat, Effects& out) {
  const auto spare = std::find_if(spare_views_.begin(), spare_views_.end(),
                                  [&](const SpareView& v) { return v.node == source; });
  if (!heartbeat.identity) {
    if (spare != spare_views_.end()) return void(spare->misses = 0);
    const auto at = std::lower_bound(spare_views_.begin(), spare_views_.end(), source,
                                     [](const SpareView& v, NodeId node) { return v.node < node; });
    return void(spare_views_.insert(at, SpareView{source}));
  }
  if (spare != spare_views_.end()) spare_views_.erase(spare);
  const Identity identity = *heartbeat.identity;
  Claim* claim = claim_of(identity);
  if (claim == nullptr) {  // a restarted registry relearns: the first claimer holds it
    const auto at = std::lower_bound(claims_.begin(), claims_.end(), identity,
                                     [](const Claim& c, Identity id) { return c.identity < id; });
    claim = &*claims_.insert(at, Claim{identity, source, next_incarnation_++});
    out.emit(MemberUp{identity, source});
  } else if (claim->node != source) {
    return out.send(source, Retire{identity});  // a ghost: the identity went to another node
  } else if (!claim->alive || heartbeat.rejoin) {
    if (!claim->alive) out.emit(MemberUp{identity, source});
    claim->alive = true;
    claim->dead_ticks = 0;
    claim->incarnation = next_incarnation_++;  // it may have missed writes: catch it up
  }
  claim->misses = 0;
  if (heartbeat.rejoin) out.send(source, Welcome{identity});
  FL_ASSERT(claim->node == source && claim->alive, "the heartbeat's sender holds the claim");
}

void Node::on_tick(Effects& out) {
  FL_ASSERT(layout_role_ == Role::registry, "only the registry ticks");
  const std::uint32_t timeout = config_.timeout_ticks();
  for (SpareView& view : spare_views_) view.misses += 1;
  std::erase_if(spare_views_, [&](const SpareView& v) { return v.misses > timeout; });
  for (Claim& claim : claims_) {
    claim.misses += 1;
    if (claim.alive && claim.misses > timeout) {
      claim.alive = false;
      claim.dead_ticks = 0;
      out.emit(MemberDown{claim.identity, claim.node});
    } else if (!claim.alive) {
      claim.dead_ticks += 1;
      if (config_.auto_spawn && claim.identity != leader_identity &&
          claim.dead_ticks >= config_.spawn_ticks())
        spawn(claim.identity, out);
    }
  }
  if (warmup_ticks_ > 0)
    warmup_ticks_ -= 1;
  else
    report_membership(out);
  out.set_timer(TickTimer{}, config_.heartbeat_interval);
}

// Hands a dead follower's identity to the first spare heard from lately (none: nothing, and
// auto-spawn tries again next tick).
void Node::spawn(Identity identity, Effects& out) {
  FL_ASSERT(identity != leader_identity, "only followers are spawned");
  Claim* claim = claim_of(identity);
  FL_ASSERT(claim != nullptr && !claim->alive, "a dead follower is spawned");
  if (spare_views_.empty()) return;
  const NodeId spare = spare_views_.front().node;
  spare_views_.erase(spare_views_.begin());
  claim->node = spare;
  claim->alive = true;
  claim->misses = 0;
  claim->dead_ticks = 0;
  claim->incarnation = next_incarnation_++;
  out.send(spare, Assume{identity});
  out.emit(Spawned{identity, spare});
  out.emit(MemberUp{identity, spare});
}

void Node::report_membership(Effects& out) const {
  Membership membership;
  for (const Claim& claim : claims_)
    if (claim.alive)
      membership.alive.push_back(Member{claim.identity, claim.node, claim.incarnation});
  if (config_.mode == Mode::leaderless) out.send(gateway_node, membership);  // it routes reads
  out.send(coordinator_node, std::move(membership));
}

}  // namespace faultline::quorum_kv
