#include "protocols/write_concern/workload.h"

#include <algorithm>

#include "protocols/write_concern/protocol.h"
#include "sim/core/assert.h"

namespace faultline::write_concern {

namespace {

std::string below_floor(Duration d) {
  return "must be at least " + format_duration(timer_floor) + ", got " + format_duration(d);
}

Result<void> check_script(const std::vector<ScriptedRequest>& script, std::uint32_t clients,
                          std::uint32_t node_count) {
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
    if (const auto* post = std::get_if<ScriptedPost>(&r.operation))
      if (post->w < 1 || post->w > node_count)
        return fail(
            where + ".operation.post.w", 0,
            "must be 1 to " + std::to_string(node_count) + ", got " + std::to_string(post->w));
    if (const auto* get = std::get_if<ScriptedGet>(&r.operation))
      if (get->node.value >= node_count)
        return fail(where + ".operation.get.node", 0, "names a node outside the cluster");
  }
  return {};
}

}  // namespace

Result<void> WorkloadConfig::validate(std::uint32_t node_count) const {
  if (clients > clients_max)
    return fail(
        "clients", 0,
        "must be at most " + std::to_string(clients_max) + ", got " + std::to_string(clients));
  if (request_timeout < timer_floor)
    return fail("request_timeout", 0, below_floor(request_timeout));
  if (think_time.min < Duration{} || think_time.max < think_time.min)
    return fail("think_time", 0, "must be a range [min, max] with 0 <= min <= max");
  if (read_percent > 100) return fail("read_percent", 0, "must be at most 100");
  if (w.empty() && read_percent < 100) return fail("w", 0, "needs a value when posts are drawn");
  for (std::size_t i = 0; i < w.size(); ++i)
    if (w[i] < 1 || w[i] > node_count)
      return fail("w[" + std::to_string(i) + "]", 0,
                  "must be 1 to " + std::to_string(node_count) + " (the node count), got " +
                      std::to_string(w[i]));
  if (operations) return check_script(*operations, clients, node_count);
  return {};
}

Workload::Workload(const WorkloadConfig& config, const Config& protocol_config,
                   std::uint32_t node_count, Rng rng)
    : config_(config),
      failover_(protocol_config.failover),
      node_count_(node_count),
      rng_(std::move(rng)),
      clients_(config.clients) {
  FL_ASSERT(node_count_ > 0, "a workload needs nodes");
  // validate() reports bad entries; should a driver skip it, they are dropped, not crashed on.
  for (const ScriptedRequest& r : config_.operations.value_or(std::vector<ScriptedRequest>{}))
    if (r.client < clients_.size()) clients_[r.client].script.requests.push_back(r);
  if (config_.w.empty()) config_.read_percent = 100;
}

void Workload::start(WorkloadSink<WriteConcern>& sink) {
  for (std::uint32_t i = 0; i < clients_.size(); ++i) next_request(i, Time{}, sink);
}

std::optional<ScriptedRequest> Workload::next_drawn(std::uint32_t index, Time from) {
  Client& client = clients_[index];
  const Duration think = rng_.duration_in(config_.think_time);
  if (from + think >= Time{} + config_.duration) return std::nullopt;
  if (config_.requests_per_client && client.requests >= *config_.requests_per_client)
    return std::nullopt;
  const Duration at{(from + think).nanoseconds};
  if (rng_.below(100) < config_.read_percent) {
    const auto node = static_cast<std::uint32_t>(rng_.below(node_count_));
    return ScriptedRequest{index, at, ScriptedGet{NodeId{node}}};
  }
  FL_ASSERT(!config_.w.empty(), "posts draw a write concern");
  const std::uint32_t w = config_.w[rng_.below(config_.w.size())];
  return ScriptedRequest{index, at, ScriptedPost{w}};
}

void Workload::next_request(std::uint32_t index, Time from, WorkloadSink<WriteConcern>& sink) {
  FL_ASSERT(index < clients_.size(), "a request of a client that exists");
  Client& client = clients_[index];
  FL_ASSERT(!client.waiting, "one request outstanding per client");
  auto request = config_.operations ? client.script.take(from) : next_drawn(index, from);
  if (!request) return;
  FL_ASSERT(request->client == index, "a client sends its own requests");
  client.requests += 1;
  if (std::holds_alternative<ScriptedPost>(request->operation)) client.posts += 1;
  client.current = *request;
  client.waiting = true;
  if (issued_.size() < scripted_requests_max)
    issued_.push_back(*request);
  else
    issued_overflow_ = true;
  send(index, Time{} + request->at, sink);
}

void Workload::send(std::uint32_t index, Time at, WorkloadSink<WriteConcern>& sink) {
  Client& client = clients_[index];
  FL_ASSERT(client.waiting && client.current, "only an outstanding request is sent");
  const ClientId id{index + 1};
  if (const auto* post = std::get_if<ScriptedPost>(&client.current->operation)) {
    sink.submit(at, client.primary, id, PostMessage{MessageId{index + 1, client.posts}, post->w});
  } else {
    const auto& get = std::get<ScriptedGet>(client.current->operation);
    FL_ASSERT(get.node.value < node_count_, "a read goes to a node of the cluster");
    sink.submit(at, get.node, id, GetMessages{index + 1});
  }
  client.generation += 1;
  sink.wake(at + config_.request_timeout,
            (static_cast<std::uint64_t>(index) << 32) | client.generation);
}

void Workload::done(std::uint32_t index, Time now, WorkloadSink<WriteConcern>& sink) {
  Client& client = clients_[index];
  FL_ASSERT(client.waiting, "an answer to an outstanding request");
  client.waiting = false;
  client.current.reset();
  next_request(index, now, sink);
}

void Workload::on_output(Time now, NodeId, const Output& output, WorkloadSink<WriteConcern>& sink) {
  if (const auto* reply = std::get_if<PostReply>(&output)) {
    const std::uint32_t index = reply->id.client - 1;
    if (reply->id.client == 0 || index >= clients_.size()) return;
    const Client& client = clients_[index];
    if (!client.waiting || !std::holds_alternative<ScriptedPost>(client.current->operation) ||
        reply->id.number != client.posts)
      return;  // a late answer to an earlier post
    if (reply->status != PostStatus::not_primary || !failover_) return done(index, now, sink);
    move_on(index);  // a little later: during a promotion every node may say not_primary
    return send(index, now + not_primary_retry_delay, sink);
  }
  if (const auto* reply = std::get_if<MessagesReply>(&output)) {
    const std::uint32_t index = reply->client - 1;
    if (reply->client == 0 || index >= clients_.size()) return;
    const Client& client = clients_[index];
    if (!client.waiting || !std::holds_alternative<ScriptedGet>(client.current->operation)) return;
    return done(index, now, sink);
  }
}

// No answer in time: a post is sent again (same id), a read is given up.
void Workload::on_wake(Time now, std::uint64_t token, WorkloadSink<WriteConcern>& sink) {
  const auto index = static_cast<std::uint32_t>(token >> 32);
  const auto generation = static_cast<std::uint32_t>(token & 0xffffffffu);
  FL_ASSERT(index < clients_.size(), "a wake for a client that exists");
  Client& client = clients_[index];
  if (!client.waiting || client.generation != generation) return;
  if (std::holds_alternative<ScriptedGet>(client.current->operation)) return done(index, now, sink);
  if (failover_) move_on(index);
  send(index, now, sink);
}

// The primary may have moved: the next node round the cluster is tried.
void Workload::move_on(std::uint32_t index) {
  Client& client = clients_[index];
  client.primary = NodeId{(client.primary.value + 1) % node_count_};
  FL_ASSERT(client.primary.value < node_count_, "a node of the cluster");
}

bool Workload::idle() const {
  return std::none_of(clients_.begin(), clients_.end(), [](const Client& c) { return c.waiting; });
}

std::string Workload::outstanding() const {
  std::string text;
  for (std::uint32_t i = 0; i < clients_.size(); ++i) {
    if (!clients_[i].waiting) continue;
    const bool post = std::holds_alternative<ScriptedPost>(clients_[i].current->operation);
    text += (text.empty() ? "" : "; ") + std::string("client ") + std::to_string(i + 1) +
            (post ? " post " + std::to_string(clients_[i].posts) : std::string(" read"));
  }
  return text.empty() ? "nothing" : text;
}

std::optional<WorkloadScript> Workload::script(Time end) const {
  if (issued_overflow_) return std::nullopt;
  return WorkloadScript{encode_config(issued_until(issued_, end)),
                        {"duration", "think_time", "read_percent", "requests_per_client"}};
}

}  // namespace faultline::write_concern
