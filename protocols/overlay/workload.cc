#include "protocols/overlay/workload.h"

#include <algorithm>
#include <string>
#include <variant>

#include "protocols/overlay/protocol.h"
#include "protocols/overlay/tree.h"
#include "sim/core/assert.h"

namespace faultline::overlay {

namespace {

constexpr NodeId leader{0};

// A wake token: the client's index and the generation of the request it times.
std::uint64_t token_of(std::uint32_t index, std::uint32_t generation) {
  return std::uint64_t{index} << 32 | generation;
}

}  // namespace

Result<void> WorkloadConfig::validate(std::uint32_t) const {
  std::uint64_t total = 0;
  for (std::uint32_t count : clients) total += count;
  if (total > clients_max)
    return fail("clients", 0, "at most " + std::to_string(clients_max) + " in all");
  if (limit < 1 || limit > limit_max)
    return fail("limit", 0, "must be 1 to " + std::to_string(limit_max));
  if (request_timeout < timer_floor) return fail("request_timeout", 0, "must be at least 1ms");
  if (think_time.min < Duration{} || think_time.max < think_time.min)
    return fail("think_time", 0, "must be [min, max] with 0 <= min <= max");
  return {};
}

Workload::Workload(const WorkloadConfig& config, const Config& protocol_config, std::uint32_t,
                   Rng rng)
    : config_(config), total_records_(Tree(protocol_config).total_records()), rng_(rng) {
  for (std::uint32_t team = 0; team < config_.clients.size(); ++team)
    for (std::uint32_t c = 0; c < config_.clients[team]; ++c) clients_.push_back(Client{team});
}

void Workload::start(WorkloadSink<Overlay>& sink) {
  for (std::uint32_t i = 0; i < clients_.size(); ++i) next_query(i, Time{}, sink);
}

void Workload::next_query(std::uint32_t index, Time from, WorkloadSink<Overlay>& sink) {
  Client& client = clients_[index];
  const Time at = from + rng_.duration_in(config_.think_time);
  const bool enough =
      config_.queries_per_client > 0 && client.queries >= config_.queries_per_client;
  if (at >= Time{} + config_.duration || enough) {
    client.done = true;
    client.busy = false;
    return;
  }
  send_query(index, at, sink);
}

void Workload::send_query(std::uint32_t index, Time at, WorkloadSink<Overlay>& sink) {
  Client& client = clients_[index];
  Query query;
  query.id = QueryId{index, ++client.queries};
  query.team = client.team;
  query.limit = config_.limit;
  query.filter.value_min = config_.value_min;
  if (config_.key_span > 0 && config_.key_span < total_records_) {
    const std::uint64_t from = rng_.below(total_records_ - config_.key_span + 1);
    query.filter.key_from = static_cast<std::uint32_t>(from);
    query.filter.key_to = static_cast<std::uint32_t>(from + config_.key_span);
  }
  client.busy = true;
  client.chunks = 0;
  client.next_chunk = 0;
  sink.submit(at, leader, ClientId{index}, query);
  arm_timeout(index, at, sink);
}

void Workload::fetch(std::uint32_t index, Time at, WorkloadSink<Overlay>& sink) {
  Client& client = clients_[index];
  FL_ASSERT(client.next_chunk < client.chunks, "a chunk of the answer");
  sink.submit(at, leader, ClientId{index},
              FetchChunk{QueryId{index, client.queries}, client.next_chunk});
  arm_timeout(index, at, sink);
}

void Workload::arm_timeout(std::uint32_t index, Time at, WorkloadSink<Overlay>& sink) {
  Client& client = clients_[index];
  ++client.generation;
  sink.wake(at + config_.request_timeout, token_of(index, client.generation));
}

void Workload::on_output(Time now, NodeId, const Output& output, WorkloadSink<Overlay>& sink) {
  if (const auto* done = std::get_if<QueryDone>(&output)) {
    const std::uint32_t index = done->id.client;
    if (index >= clients_.size() || !clients_[index].busy) return;
    Client& client = clients_[index];
    if (done->id.number != client.queries || client.chunks > 0) return;
    client.chunks = config_.fetch_chunks ? done->chunks : 0;
    if (client.chunks == 0) return finished(index, now, sink);
    return fetch(index, now, sink);
  }
  if (const auto* chunk = std::get_if<Chunk>(&output)) {
    const std::uint32_t index = chunk->id.client;
    if (index >= clients_.size() || !clients_[index].busy) return;
    Client& client = clients_[index];
    if (chunk->id.number != client.queries || chunk->index != client.next_chunk) return;
    if (!chunk->found || ++client.next_chunk == client.chunks) return finished(index, now, sink);
    fetch(index, now, sink);
  }
}

void Workload::finished(std::uint32_t index, Time now, WorkloadSink<Overlay>& sink) {
  ++clients_[index].generation;  // the pending timeout is stale now
  next_query(index, now, sink);
}

void Workload::on_wake(Time now, std::uint64_t token, WorkloadSink<Overlay>& sink) {
  const auto index = static_cast<std::uint32_t>(token >> 32);
  FL_ASSERT(index < clients_.size(), "a wake-up of a client");
  Client& client = clients_[index];
  if (!client.busy || static_cast<std::uint32_t>(token) != client.generation) return;
  finished(index, now, sink);  // given up: the next query
}

bool Workload::idle() const {
  return std::ranges::all_of(clients_, [](const Client& c) { return !c.busy; });
}

std::string Workload::outstanding() const {
  std::string text;
  for (std::uint32_t i = 0; i < clients_.size(); ++i)
    if (clients_[i].busy)
      text += (text.empty() ? "" : ", ") + std::string("client ") + std::to_string(i) + " query " +
              std::to_string(clients_[i].queries);
  return text;
}

}  // namespace faultline::overlay
