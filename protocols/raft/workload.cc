#include "protocols/raft/workload.h"

#include <algorithm>

#include "protocols/raft/protocol.h"
#include "sim/core/assert.h"
#include "sim/core/describe.h"

namespace faultline::raft {

Result<void> WorkloadConfig::validate(std::uint32_t node_count) const {
  if (clients > clients_max)
    return fail(
        "clients", 0,
        "must be at most " + std::to_string(clients_max) + ", got " + std::to_string(clients));
  if (keys < 1 || keys > keys_max)
    return fail("keys", 0,
                "must be 1 to " + std::to_string(keys_max) + ", got " + std::to_string(keys));
  if (read_percent + cas_percent > 100)
    return fail("read_percent", 0, "read_percent + cas_percent exceeds 100");
  if (request_timeout < timer_floor)
    return fail("request_timeout", 0, below_timer_floor(request_timeout));
  if (retry_backoff < timer_floor)
    return fail("retry_backoff", 0, below_timer_floor(retry_backoff));
  if (think_time.min < Duration{} || think_time.max < think_time.min)
    return fail("think_time", 0, "must be a range [min, max] with 0 <= min <= max");
  if (first_target && first_target->value >= node_count)
    return fail("first_target", 0, "names a node outside the cluster");
  if (readers > clients) return fail("readers", 0, "is more than the number of clients");
  // Session ids double as client ids in the history (32 bits).
  if (session_base && *session_base + clients >= (std::uint64_t{1} << 32))
    return fail("session_base", 0, "session_base + clients does not fit 32 bits");
  if (!operations) return {};
  if (operations->size() > scripted_requests_max)
    return fail("operations", 0,
                "lists " + std::to_string(operations->size()) + " requests; at most " +
                    std::to_string(scripted_requests_max));
  for (std::size_t i = 0; i < operations->size(); ++i) {
    const ScriptedRequest& request = (*operations)[i];
    const std::string where = "operations[" + std::to_string(i) + "]";
    if (request.client >= clients)
      return fail(where + ".client", 0,
                  "client " + std::to_string(request.client) + " does not exist (clients: " +
                      std::to_string(clients) + ", numbered from 0)");
    if (request.at < Duration{}) return fail(where + ".at", 0, "must not be negative");
  }
  return {};
}

Workload::Workload(const WorkloadConfig& config, const Config&, std::uint32_t node_count, Rng rng)
    : config_(config), node_count_(node_count), rng_(std::move(rng)), clients_(config.clients) {
  FL_ASSERT(node_count_ > 0, "a workload needs nodes");
  for (std::uint32_t i = 0; i < clients_.size(); ++i) {
    clients_[i].target = config_.first_target.value_or(NodeId{i % node_count_});
    clients_[i].last_seen.assign(config_.keys, std::nullopt);
    FL_ASSERT(clients_[i].target.value < node_count_, "clients target nodes of the cluster");
  }
  // validate() reports a request of a client that does not exist; should a driver skip it, the
  // request is dropped rather than crash on user input.
  for (const ScriptedRequest& request : config_.operations.value_or(std::vector<ScriptedRequest>{}))
    if (request.client < clients_.size())
      clients_[request.client].script.requests.push_back(request);
}

void Workload::start(WorkloadSink<Raft>& sink) {
  for (std::uint32_t i = 0; i < clients_.size(); ++i) {
    FL_ASSERT(clients_[i].seq == 0, "start runs once, before any request");
    next_request(i, Time{}, sink);
  }
}

Operation Workload::draw_operation(Client& client, std::uint32_t index, std::uint64_t seq) {
  FL_ASSERT(seq >= 1, "an operation belongs to a numbered request");
  const std::uint32_t key_index = static_cast<std::uint32_t>(rng_.below(config_.keys));
  FL_ASSERT(key_index < client.last_seen.size(), "one last-seen value per key");
  client.key_index = key_index;
  std::string key = "k" + std::to_string(key_index);
  const std::uint64_t roll = rng_.below(100);
  if (roll < config_.read_percent || index < config_.readers) return Get{std::move(key)};
  std::string value = "c" + std::to_string(client_id(index)) + "s" + std::to_string(seq);
  if (roll < config_.read_percent + config_.cas_percent)
    return Cas{std::move(key), client.last_seen[key_index], std::move(value)};
  return Put{std::move(key), std::move(value)};
}

std::optional<ScriptedRequest> Workload::next_drawn(std::uint32_t index, Time from) {
  Client& client = clients_[index];
  const Duration think = rng_.duration_in(config_.think_time);
  if (from + think >= Time{} + config_.duration) return std::nullopt;
  if (config_.requests_per_client && client.seq >= *config_.requests_per_client)
    return std::nullopt;
  const Duration at{(from + think).nanoseconds};
  return ScriptedRequest{index, at, draw_operation(client, index, client.seq + 1)};
}

void Workload::next_request(std::uint32_t index, Time from, WorkloadSink<Raft>& sink) {
  FL_ASSERT(index < clients_.size(), "a request of a client that exists");
  Client& client = clients_[index];
  FL_ASSERT(!client.waiting, "one request outstanding per client");
  std::optional<ScriptedRequest> request =
      config_.operations ? client.script.take(from) : next_drawn(index, from);
  if (!request) return;
  FL_ASSERT(request->client == index, "a client sends its own requests");
  client.seq += 1;
  client.attempt = 0;
  client.operation = request->operation;
  client.waiting = true;
  if (issued_.size() < scripted_requests_max)
    issued_.push_back(*request);
  else
    issued_overflow_ = true;
  FL_ASSERT(request->at >= Duration{from.nanoseconds}, "a request is sent after the last answer");
  send(index, Time{} + request->at, sink);
}

void Workload::send(std::uint32_t index, Time at, WorkloadSink<Raft>& sink) {
  Client& client = clients_[index];
  FL_ASSERT(client.waiting, "only an outstanding request is sent");
  FL_ASSERT(client.target.value < node_count_, "a request goes to a node of the cluster");
  sink.submit(at, client.target, ClientId{static_cast<std::uint32_t>(client_id(index))},
              ClientRequest{client_id(index), client.seq, client.attempt, client.operation});
  // The token names this send, so the wake of an answered or superseded attempt is ignored.
  client.generation += 1;
  sink.wake(at + config_.request_timeout,
            (static_cast<std::uint64_t>(index) << 32) | client.generation);
}

void Workload::on_output(Time now, NodeId node, const Output& output, WorkloadSink<Raft>& sink) {
  FL_ASSERT(node.value < node_count_, "an output comes from a node of the cluster");
  const auto* reply = std::get_if<ClientReply>(&output);
  const std::uint64_t first_id = client_id(0);
  // A reply to a session of another client process is not this workload's.
  if (reply == nullptr || reply->client < first_id || reply->client - first_id >= clients_.size())
    return;
  const auto index = static_cast<std::uint32_t>(reply->client - first_id);
  Client& client = clients_[index];
  if (!client.waiting || reply->seq != client.seq) return;  // a late answer to an earlier request
  if (reply->status == ReplyStatus::not_leader) {
    if (node != client.target) return;  // an answer to an attempt it already gave up on
    client.attempt += 1;
    if (reply->leader_hint) {
      FL_ASSERT(reply->leader_hint->value < node_count_, "a hint names a node of the cluster");
      client.target = *reply->leader_hint;
      send(index, now, sink);
    } else {
      client.target = next_node(client.target);
      send(index, now + config_.retry_backoff, sink);
    }
    return;
  }
  client.waiting = false;
  client.target = node;  // it answered: it leads
  if (!config_.operations) remember_value(client, *reply);
  next_request(index, now, sink);
}

void Workload::remember_value(Client& client, const ClientReply& reply) {
  const std::uint32_t key_index = client.key_index;
  FL_ASSERT(key_index < client.last_seen.size(), "one last-seen value per key");
  if (std::holds_alternative<Put>(client.operation))
    client.last_seen[key_index] = std::get<Put>(client.operation).value;
  else if (std::holds_alternative<Cas>(client.operation) && reply.result.ok)
    client.last_seen[key_index] = std::get<Cas>(client.operation).value;
  else
    client.last_seen[key_index] = reply.result.value;
}

void Workload::on_wake(Time now, std::uint64_t token, WorkloadSink<Raft>& sink) {
  const std::uint32_t index = static_cast<std::uint32_t>(token >> 32);
  const std::uint32_t generation = static_cast<std::uint32_t>(token & 0xffffffffu);
  FL_ASSERT(index < clients_.size(), "a wake for a client that does not exist");
  Client& client = clients_[index];
  if (!client.waiting || client.generation != generation) return;
  client.attempt += 1;
  client.target = next_node(client.target);
  send(index, now, sink);
  FL_ASSERT(client.generation != generation, "a retry is a new send, with its own timeout");
}

NodeId Workload::next_node(NodeId node) const {
  FL_ASSERT(node.value < node_count_, "a client targets a node of the cluster");
  const NodeId next{(node.value + 1) % node_count_};
  FL_ASSERT(next != node || node_count_ == 1, "the next node is another one, if there is one");
  return next;
}

bool Workload::idle() const {
  for (const Client& c : clients_)
    if (c.waiting) return false;
  return true;
}

std::string Workload::outstanding() const {
  std::string text;
  for (std::uint32_t i = 0; i < clients_.size(); ++i) {
    const Client& c = clients_[i];
    if (!c.waiting) continue;
    FL_ASSERT(c.seq >= 1, "a waiting client has a numbered request");
    text += (text.empty() ? "" : "; ") + std::string("client ") + std::to_string(client_id(i)) +
            " seq " + std::to_string(c.seq) + " (attempt " + std::to_string(c.attempt) + ", to " +
            describe(c.target) + ")";
  }
  return text.empty() ? "nothing" : text;
}

std::optional<WorkloadScript> Workload::script(Time end) const {
  if (issued_overflow_) return std::nullopt;
  return WorkloadScript{encode_config(issued_until(issued_, end)),
                        {"duration", "think_time", "keys", "read_percent", "cas_percent", "readers",
                         "requests_per_client"}};
}

}  // namespace faultline::raft
