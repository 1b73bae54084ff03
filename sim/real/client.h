// ClusterClient<P>: the client side of the runtime's wire protocol, and the recorder of the
// history a real cluster produced, in the simulator's shape (sim/core/history.h).
//
// It keeps one connection per node (reconnecting with backoff, like peers), submits inputs,
// receives every output the nodes emit while it is connected, and asks nodes for their status.
// A connection counts as connected once it is open and, when the cluster file has `auth:`, past
// the handshake (handshake.h: the node proved it holds the key before anything is sent to it).
// Times in the history are steady-clock nanoseconds since the client started: an invocation is
// stamped when the client hands it to the socket (delivered = false when that node's connection
// was down, as the simulator marks inputs to a down node), an emission when it arrives here.
// Emissions a node makes while no client is connected are in its outputs.log, not the history.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <utility>  // first: Boost 1.74 asio/awaitable.hpp uses std::exchange without including it

#include <boost/asio.hpp>

#include "sim/core/history.h"
#include "sim/real/cluster_file.h"
#include "sim/real/connection.h"
#include "sim/real/handshake.h"
#include "sim/real/log.h"
#include "sim/real/wire.h"

namespace faultline::real {

template <class P>
class ClusterClient {
 public:
  using Input = typename P::Input;
  using Output = typename P::Output;
  using StatusCallback = std::function<void(Result<StatusReply>)>;

  // Hooks for recording as things happen (the history file is streamed, so a killed client
  // still leaves every line it saw).
  std::function<void(const Invocation<P>&)> on_invocation;
  std::function<void(const Emission<P>&)> on_emission;
  std::function<void(NodeId, bool up)> on_link;
  // A connection that closed before it was up (refused, or a failed handshake), with the reason.
  std::function<void(NodeId, const std::string& reason)> on_failure;
  // Whether history() keeps every invocation and emission in memory (the hooks see them either
  // way; a long closed-loop run that streams its history to a file turns this off).
  bool keep_history = true;

  ClusterClient(asio::io_context& io, ClusterFile cluster, ClientId id,
                std::vector<std::uint32_t> targets, const Logger& log)
      : io_(io), cluster_(std::move(cluster)), id_(id), log_(log) {
    links_.resize(cluster_.nodes.size());
    for (std::uint32_t t : targets) links_[t].wanted = true;
  }

  void start() {
    for (std::uint32_t i = 0; i < links_.size(); ++i)
      if (links_[i].wanted) {
        links_[i].backoff.emplace(cluster_.runtime.reconnect_backoff_min.nanoseconds,
                                  cluster_.runtime.reconnect_backoff_max.nanoseconds);
        connect(i);
      }
  }
  void stop() {
    stopped_ = true;
    for (auto& link : links_) {
      if (link.connection) link.connection->close("client stopping");
      if (link.retry) link.retry->cancel();
      for (auto& callback : link.status_waiters) callback(fail("client stopped"));
      link.status_waiters.clear();
    }
  }

  bool connected(std::uint32_t node) const {
    return links_[node].up && links_[node].connection->is_open();
  }
  std::int64_t now_ns() const { return log_.elapsed_ns(); }

  // Submits one input; returns whether it went out on a live connection.
  bool submit(NodeId node, ClientId client, Input input) {
    const bool up = node.value < links_.size() && connected(node.value);
    Invocation<P> invocation{Time{now_ns()}, node, client, input, up};
    if (on_invocation) on_invocation(invocation);
    if (keep_history) history_.invocations.push_back(std::move(invocation));
    if (up)
      links_[node.value].connection->send(
          encode_envelope<P>(Submit<P>{++next_request_, std::move(input)}));
    return up;
  }

  // Asks a node for its status; the callback runs once, with the reply or why none came.
  void request_status(std::uint32_t node, StatusCallback callback) {
    if (!connected(node)) return callback(fail(cluster_.nodes[node].id, 0, "not connected"));
    links_[node].status_waiters.push_back(std::move(callback));
    links_[node].connection->send(encode_envelope<P>(StatusRequest{}));
  }

  const History<P>& history() const { return history_; }

 private:
  struct Link {
    bool wanted = false;
    std::shared_ptr<Connection> connection;
    bool up = false;  // open and past the handshake
    std::chrono::steady_clock::time_point up_at;
    std::optional<Backoff> backoff;
    std::unique_ptr<asio::steady_timer> retry;
    std::deque<StatusCallback> status_waiters;  // replies come in request order
    std::uint64_t failures = 0;
  };

  void connect(std::uint32_t node) {
    const Endpoint& target = cluster_.endpoints[node];
    auto endpoint = resolve_endpoint(io_, target.host, target.port);
    if (!endpoint) {
      log_.line(cluster_.nodes[node].id + ": " + endpoint.error().to_string());
      return schedule_reconnect(node);
    }
    auto socket = std::make_shared<tcp::socket>(io_);
    socket->async_connect(*endpoint, [this, node, socket](const boost::system::error_code& ec) {
      if (stopped_) return;
      Link& link = links_[node];
      if (ec) {
        if (link.failures++ == 0)
          log_.line("cannot reach " + cluster_.nodes[node].id + " (" + ec.message() +
                    "); retrying");
        return schedule_reconnect(node);
      }
      link.connection = std::make_shared<Connection>(
          std::move(*socket), cluster_.runtime.frame_bytes_max, "to " + cluster_.nodes[node].id);
      Connection* raw = link.connection.get();
      start_caller(
          *link.connection,
          CallerIdentity{cluster_.auth_key(), std::string(P::name), CallerRole::client, id_.value,
                         node, encode_envelope<P>(ClientHello{std::string(P::name), id_.value})},
          [this, node, raw](std::vector<std::uint8_t> payload) { on_frame(node, *raw, payload); },
          [this, node] { on_up(node); },
          [this, node](const std::string& reason) { on_closed(node, reason); });
    });
  }

  void on_up(std::uint32_t node) {
    Link& link = links_[node];
    link.up = true;
    link.up_at = std::chrono::steady_clock::now();
    link.failures = 0;
    if (on_link) on_link(NodeId{node}, true);
  }

  void on_frame(std::uint32_t node, Connection& connection, std::span<const std::uint8_t> payload) {
    auto envelope = decode_envelope<P>(payload);
    if (!envelope) return connection.close("undecodable payload: " + envelope.error().to_string());
    if (const auto* emitted = std::get_if<Emitted<P>>(&*envelope)) {
      Emission<P> emission{Time{now_ns()}, NodeId{node}, emitted->output};
      if (on_emission) on_emission(emission);
      if (keep_history) history_.emissions.push_back(std::move(emission));
      return;
    }
    if (const auto* status = std::get_if<StatusReply>(&*envelope)) {
      Link& link = links_[node];
      if (link.status_waiters.empty()) return connection.close("a status reply nobody asked for");
      auto callback = std::move(link.status_waiters.front());
      link.status_waiters.pop_front();
      return callback(*status);
    }
    connection.close("a node sent something other than an output or a status reply");
  }

  // A link that was up is lost; one that never got past the handshake is a failed attempt
  // (logged the first time). The backoff starts over only after a link that stayed up a while.
  void on_closed(std::uint32_t node, const std::string& reason) {
    Link& link = links_[node];
    auto waiters = std::move(link.status_waiters);
    link.status_waiters.clear();
    for (auto& callback : waiters)
      callback(fail(cluster_.nodes[node].id, 0, "connection closed: " + reason));
    const bool was_up = std::exchange(link.up, false);
    if (stopped_) return;
    if (was_up) {
      log_.line("lost " + cluster_.nodes[node].id + ": " + reason);
      if (stayed_up(link.up_at, cluster_.runtime.reconnect_backoff_max.nanoseconds))
        link.backoff->reset();
      if (on_link) on_link(NodeId{node}, false);
    } else {
      if (link.failures++ == 0)
        log_.line("cannot open a connection to " + cluster_.nodes[node].id + " (" + reason +
                  "); retrying");
      if (on_failure) on_failure(NodeId{node}, reason);
    }
    schedule_reconnect(node);
  }

  void schedule_reconnect(std::uint32_t node) {
    Link& link = links_[node];
    if (!link.retry) link.retry = std::make_unique<asio::steady_timer>(io_);
    link.retry->expires_after(std::chrono::nanoseconds(link.backoff->next()));
    link.retry->async_wait([this, node](const boost::system::error_code& ec) {
      if (!ec && !stopped_) connect(node);
    });
  }

  asio::io_context& io_;
  ClusterFile cluster_;
  ClientId id_;
  const Logger& log_;
  std::vector<Link> links_;
  History<P> history_;
  std::uint64_t next_request_ = 0;
  bool stopped_ = false;
};

// Asks one node for its status and waits up to `timeout` (runs its own io_context).
template <class P>
Result<StatusReply> query_status(const ClusterFile& cluster, std::uint32_t node, Duration timeout) {
  asio::io_context io;
  Logger quiet(nullptr, "status");
  ClusterClient<P> client(io, cluster, ClientId{0xfffffffeu}, {node}, quiet);
  std::optional<Result<StatusReply>> answer;
  client.on_link = [&](NodeId, bool up) {
    if (up && !answer)
      client.request_status(node, [&](Result<StatusReply> reply) {
        answer = std::move(reply);
        io.stop();
      });
  };
  client.on_failure = [&](NodeId, const std::string& reason) {
    if (reason.starts_with("authentication failed") && !answer) {  // retrying would not help
      answer = fail(cluster.nodes[node].id, 0, reason);
      io.stop();
    }
  };
  client.start();
  io.run_for(std::chrono::nanoseconds(timeout.nanoseconds));
  client.stop();
  if (!answer)
    return fail(cluster.nodes[node].id, 0, "no status reply within " + format_duration(timeout));
  if (!*answer && cluster.auth_key() == nullptr)  // a node that requires auth closes at once
    answer->error().what += " (a node with auth: in its cluster file refuses callers without it)";
  return std::move(*answer);
}

}  // namespace faultline::real
