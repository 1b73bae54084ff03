#include "protocols/quorum_kv/workload.h"

#include <algorithm>

#include "protocols/quorum_kv/protocol.h"
#include "sim/core/assert.h"

namespace faultline::quorum_kv {

namespace {

Result<void> check_script(const std::vector<ScriptedRequest>& script, std::uint32_t clients) {
  if (script.size() > scripted_requests_max)
    return fail("operations", 0,
                "lists " + std::to_string(script.size()) + " requests; at most " +
                    std::to_string(scripted_requests_max));
  for (std::size_t i = 0; i < script.size(); ++i) {
    const ScriptedRequest& r = script[i];
    const std::string where = "operations[" + std::to_string(i) + "]";
    if (r.client >= clients)
      return fail(where + ".client", 0,
                  "client " + std::to_string(r.client) + " does not exist (clients: " +
                      std::to_string(clients) + ", numbered from 0)");
    if (r.at < Duration{}) return fail(where + ".at", 0, "must not be negative");
    const std::string& key =
        std::visit([](const auto& op) -> const std::string& { return op.key; }, r.operation);
    if (key.empty() || key.size() > 64)
      return fail(where + ".operation", 0, "needs a key of 1 to 64 characters");
  }
  return {};
}

}  // namespace

Result<void> WorkloadConfig::validate(std::uint32_t) const {
  if (clients > clients_max)
    return fail(
        "clients", 0,
        "must be at most " + std::to_string(clients_max) + ", got " + std::to_string(clients));
  if (request_timeout < timer_floor)
    return fail("request_timeout", 0,
                "must be at least " + format_duration(timer_floor) + ", got " +
                    format_duration(request_timeout));
  if (think_time.min < Duration{} || think_time.max < think_time.min)
    return fail("think_time", 0, "must be a range [min, max] with 0 <= min <= max");
  if (keys < 1 || keys > keys_max)
    return fail("keys", 0,
                "must be 1 to " + std::to_string(keys_max) + ", got " + std::to_string(keys));
  if (read_percent > 100) return fail("read_percent", 0, "must be at most 100");
  if (read_delay < Duration{}) return fail("read_delay", 0, "must not be negative");
  if (operations) return check_script(*operations, clients);
  return {};
}

Workload::Workload(const WorkloadConfig& config, const Config&, std::uint32_t node_count, Rng rng)
    : config_(config), rng_(std::move(rng)), clients_(config.clients) {
  FL_ASSERT(node_count > gateway_node.value, "the cluster has a gateway");
  for (const ScriptedRequest& r : config_.operations.value_or(std::vector<ScriptedRequest>{}))
    if (r.client < clients_.size()) clients_[r.client].script.requests.push_back(r);
}

void Workload::start(WorkloadSink<QuorumKv>& sink) {
  for (std::uint32_t i = 0; i < clients_.size(); ++i) next_request(i, Time{}, sink);
}

std::optional<ScriptedRequest> Workload::next_drawn(std::uint32_t index, Time from) {
  if (config_.write_then_read) return next_write_then_read(index, from);
  const Duration think = rng_.duration_in(config_.think_time);
  if (from + think >= Time{} + config_.duration) return std::nullopt;
  if (config_.requests_per_client && clients_[index].requests >= *config_.requests_per_client)
    return std::nullopt;
  const Duration at{(from + think).nanoseconds};
  const std::string key = key_name(static_cast<std::uint32_t>(rng_.below(config_.keys)));
  if (rng_.below(100) < config_.read_percent) return ScriptedRequest{index, at, ScriptedRead{key}};
  return ScriptedRequest{index, at, ScriptedWrite{key}};
}

// Odd requests write the client's key after a think time, even ones read it read_delay after.
std::optional<ScriptedRequest> Workload::next_write_then_read(std::uint32_t index, Time from) {
  const Client& client = clients_[index];
  const bool read = client.requests % 2 == 1;
  const Duration wait = read ? config_.read_delay : rng_.duration_in(config_.think_time);
  if (!read && from + wait >= Time{} + config_.duration) return std::nullopt;
  if (config_.requests_per_client && client.requests >= *config_.requests_per_client)
    return std::nullopt;
  const Duration at{(from + wait).nanoseconds};
  const std::string key = "c" + std::to_string(index + 1);
  if (read) return ScriptedRequest{index, at, ScriptedRead{key}};
  return ScriptedRequest{index, at, ScriptedWrite{key}};
}

void Workload::next_request(std::uint32_t index, Time from, WorkloadSink<QuorumKv>& sink) {
  FL_ASSERT(index < clients_.size(), "a request of a client that exists");
  Client& client = clients_[index];
  FL_ASSERT(!client.waiting, "one request outstanding per client");
  auto request = config_.operations ? client.script.take(from) : next_drawn(index, from);
  if (!request) return;
  client.requests += 1;
  client.attempt = 0;
  client.current = *request;
  client.waiting = true;
  if (issued_.size() < scripted_requests_max)
    issued_.push_back(*request);
  else
    issued_overflow_ = true;
  send(index, Time{} + request->at, sink);
}

void Workload::send(std::uint32_t index, Time at, WorkloadSink<QuorumKv>& sink) {
  Client& client = clients_[index];
  FL_ASSERT(client.waiting && client.current, "only an outstanding request is sent");
  const RequestId id{index + 1, client.requests};
  if (const auto* write = std::get_if<ScriptedWrite>(&client.current->operation))
    sink.submit(at, gateway_node, ClientId{index + 1},
                Write{id, write->key, value_of(id), client.attempt});
  else
    sink.submit(at, gateway_node, ClientId{index + 1},
                Read{id, std::get<ScriptedRead>(client.current->operation).key, client.attempt});
  client.attempt += 1;
  client.generation += 1;
  sink.wake(at + config_.request_timeout,
            (static_cast<std::uint64_t>(index) << 32) | client.generation);
}

void Workload::on_output(Time now, NodeId, const Output& output, WorkloadSink<QuorumKv>& sink) {
  const auto* reply = std::get_if<Reply>(&output);
  if (reply == nullptr || reply->id.client == 0 || reply->id.client > clients_.size()) return;
  const std::uint32_t index = reply->id.client - 1;
  Client& client = clients_[index];
  if (!client.waiting || reply->id.number != client.requests) return;  // a late answer
  client.waiting = false;
  client.current.reset();
  next_request(index, now, sink);
}

// No answer in time: the same request again.
void Workload::on_wake(Time now, std::uint64_t token, WorkloadSink<QuorumKv>& sink) {
  const auto index = static_cast<std::uint32_t>(token >> 32);
  const auto generation = static_cast<std::uint32_t>(token & 0xffffffffu);
  FL_ASSERT(index < clients_.size(), "a wake for a client that exists");
  const Client& client = clients_[index];
  if (!client.waiting || client.generation != generation) return;
  send(index, now, sink);
}

bool Workload::idle() const {
  return std::none_of(clients_.begin(), clients_.end(), [](const Client& c) { return c.waiting; });
}

std::string Workload::outstanding() const {
  std::string text;
  for (std::uint32_t i = 0; i < clients_.size(); ++i) {
    if (!clients_[i].waiting) continue;
    const bool write = std::holds_alternative<ScriptedWrite>(clients_[i].current->operation);
    text += (text.empty() ? "" : "; ") + std::string("client ") + std::to_string(i + 1) +
            (write ? " write " : " read ") + std::to_string(clients_[i].requests);
  }
  return text.empty() ? "nothing" : text;
}

std::optional<WorkloadScript> Workload::script(Time end) const {
  if (issued_overflow_) return std::nullopt;
  return WorkloadScript{encode_config(issued_until(issued_, end)),
                        {"duration", "think_time", "keys", "read_percent", "requests_per_client",
                         "write_then_read", "read_delay"}};
}

}  // namespace faultline::quorum_kv
