// The node's construction and its dispatch by role; each role's handlers are in their own file
// (gateway.cc, registry.cc, coordinator.cc, replica.cc).
#include "protocols/quorum_kv/node.h"

#include "protocols/quorum_kv/protocol.h"
#include "sim/core/assert.h"

namespace faultline::quorum_kv {

namespace {

Role layout_role(const Config& config, NodeId self) {
  if (self == gateway_node) return Role::gateway;
  if (self == registry_node) return Role::registry;
  if (self == coordinator_node) return Role::coordinator;
  if (const auto identity = config.boot_identity(self))
    return *identity == leader_identity ? Role::leader : Role::follower;
  return Role::spare;
}

// The alive list at the first boot: every identity on its layout node, incarnation 1.
std::vector<Member> boot_members(const Config& config) {
  std::vector<Member> members;
  for (std::uint32_t i = 0; i < config.replicas(); ++i)
    members.push_back(Member{Identity{i}, config.boot_node(Identity{i}), 1});
  return members;
}

}  // namespace

Node::Node(const Config& config, NodeId self, std::uint32_t node_count,
           std::optional<Store> recovered)
    : config_(config), self_(self), layout_role_(layout_role(config, self)) {
  FL_ASSERT(node_count >= config.layout_nodes(), "the layout fits the cluster (validate)");
  FL_ASSERT(self.value < node_count, "a node of the cluster");
  const bool first_boot = !recovered.has_value();
  if (recovered) store_ = std::move(*recovered);
  if (first_boot) store_.identity = config.boot_identity(self);
  // A restarted replica claims its identity again only once the registry welcomes it back.
  claimed_ = first_boot && store_.identity.has_value();
  if (layout_role_ == Role::registry) {
    if (first_boot) {
      for (const Member& m : boot_members(config))
        claims_.push_back(Claim{m.identity, m.node, m.incarnation});
      for (std::uint32_t n = config.layout_nodes(); n < node_count; ++n)
        spare_views_.push_back(SpareView{NodeId{n}});
      next_incarnation_ = 2;
    } else {
      warmup_ticks_ = config.timeout_ticks();  // relearn the alive list before reporting it
    }
  }
  if (layout_role_ == Role::gateway && config.mode == Mode::leaderless)
    members_ = boot_members(config);  // it routes reads; the registry refreshes it every tick
  if (layout_role_ == Role::coordinator && first_boot) {
    members_ = boot_members(config);
    leader_incarnation_ = 1;
    for (const Member& m : members_)
      if (m.identity != leader_identity) ready_.push_back(ReadyMark{m.node, m.incarnation});
  }
}

Role Node::current_role() const {
  if (layout_role_ == Role::gateway || layout_role_ == Role::registry ||
      layout_role_ == Role::coordinator)
    return layout_role_;
  if (!store_.identity) return Role::spare;
  if (config_.mode == Mode::leaderless) return Role::replica;
  return *store_.identity == leader_identity ? Role::leader : Role::follower;
}

void Node::save(Effects& out) const { out.persist(store_); }

void Node::on_start(Effects& out) {
  switch (layout_role_) {
    case Role::gateway:
      if (!config_.rate_limit) return;
      out.emit(WindowOpened{});
      return out.set_timer(WindowTimer{}, config_.rate_limit_window);
    case Role::registry:
    case Role::coordinator:
      save(out);  // marks the first boot as done: a restart relearns its state
      if (layout_role_ == Role::registry) out.set_timer(TickTimer{}, config_.heartbeat_interval);
      return;
    case Role::leader:
    case Role::follower:
    case Role::spare:
    case Role::replica:
      save(out);
      heartbeat(out);
      out.set_timer(HeartbeatTimer{}, config_.heartbeat_interval);
      if (config_.mode == Mode::leaderless)
        out.set_timer(AntiEntropyTimer{}, config_.anti_entropy_interval);
      else if (store_.identity == leader_identity)
        out.set_timer(ResendTimer{}, config_.replication_retry);
      return;
  }
}

void Node::on_message(NodeId source, const Message& message, Effects& out) {
  switch (layout_role_) {
    case Role::gateway: return gateway_message(source, message, out);
    case Role::registry: return registry_message(source, message, out);
    case Role::coordinator: return coordinator_message(source, message, out);
    case Role::leader:
    case Role::follower:
    case Role::spare:
    case Role::replica: return replica_message(source, message, out);
  }
}

void Node::on_timer(const Timer& timer, Effects& out) {
  if (std::holds_alternative<HeartbeatTimer>(timer)) {
    heartbeat(out);
    return out.set_timer(HeartbeatTimer{}, config_.heartbeat_interval);
  }
  if (std::holds_alternative<TickTimer>(timer)) return on_tick(out);
  if (std::holds_alternative<WindowTimer>(timer)) {
    counts_.clear();
    out.emit(WindowOpened{});
    return out.set_timer(WindowTimer{}, config_.rate_limit_window);
  }
  if (std::holds_alternative<ResendTimer>(timer)) {
    resend(out);
    return out.set_timer(ResendTimer{}, config_.replication_retry);
  }
  if (std::holds_alternative<AntiEntropyTimer>(timer)) {
    if (store_.identity) return anti_entropy(out);
    return out.set_timer(AntiEntropyTimer{}, config_.anti_entropy_interval);
  }
  const RequestId& id = std::get<RequestTimer>(timer).id;
  if (layout_role_ == Role::coordinator || layout_role_ == Role::gateway)
    return on_request_timer(id, out);
  leaderless_write_timeout(id, out);
}

void Node::on_input(const Input& input, Effects& out) {
  if (layout_role_ == Role::gateway) return gateway_input(input, out);
  if (layout_role_ == Role::registry && std::holds_alternative<Spawn>(input)) {
    for (const Claim& claim : claims_)
      if (!claim.alive && claim.identity != leader_identity) return spawn(claim.identity, out);
  }
  // A client request sent anywhere but the gateway is not answered: the client times out.
}

// ---- gateway --------------------------------------------------------------------------------

// The fixed window: a client's count of requests since the window opened; the one that would
// exceed rate_limit_max is refused (the seed's 429).
bool Node::admit(std::uint32_t client, Effects& out) {
  if (!config_.rate_limit) return true;
  auto it = std::lower_bound(counts_.begin(), counts_.end(), client,
                             [](const ClientCount& c, std::uint32_t id) { return c.client < id; });
  if (it == counts_.end() || it->client != client) it = counts_.insert(it, ClientCount{client, 0});
  if (it->count >= config_.rate_limit_max) return false;
  it->count += 1;
  FL_ASSERT(it->count <= config_.rate_limit_max, "never more than the window's allowance");
  out.emit(Admitted{client});
  return true;
}

void Node::gateway_input(const Input& input, Effects& out) {
  FL_ASSERT(layout_role_ == Role::gateway, "only the gateway takes client requests");
  if (const auto* write = std::get_if<Write>(&input)) {
    if (!admit(write->id.client, out))
      return out.emit(Reply{write->id, true, Status::rate_limited, Version{}, 0, write->attempt});
    return out.send(coordinator_node,
                    WriteRequest{write->id, write->key, write->value, write->attempt});
  }
  if (const auto* read = std::get_if<Read>(&input)) {
    if (!admit(read->id.client, out))
      return out.emit(Reply{read->id, false, Status::rate_limited, Version{}, 0, read->attempt});
    if (config_.mode == Mode::leaderless) return gateway_read(*read, out);
    return out.send(coordinator_node, ReadRequest{read->id, read->key, read->attempt});
  }
}

void Node::gateway_message(NodeId source, const Message& message, Effects& out) {
  if (const auto* m = std::get_if<Membership>(&message)) return void(members_ = m->alive);
  if (const auto* r = std::get_if<GetReply>(&message)) return on_get_reply(source, *r, out);
  if (const auto* r = std::get_if<SiblingsReply>(&message))
    return on_siblings_reply(source, *r, out);
  if (const auto* a = std::get_if<PutAck>(&message)) return on_write_back_ack(source, *a, out);
  const auto* outcome = std::get_if<Outcome>(&message);
  if (outcome == nullptr) return;
  out.emit(Reply{outcome->id, outcome->write, outcome->status, outcome->version, outcome->value,
                 outcome->attempt});
}

}  // namespace faultline::quorum_kv
