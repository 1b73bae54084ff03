// RealNode<P>: the socket runtime's driver for one protocol node in one OS process.
//
// It implements apply()'s four hooks (apply.h) with real effects:
//   persist -> DurableStore (temp file, fsync, rename, fsync dir) before anything else happens;
//              a failed persist ends the process (apply() must never run past it);
//   set/cancel timer -> an asio steady_timer per Timer value, its duration drawn from the
//              node's Rng: Rng(seed).fork("timers").fork(node id), so the same ranges as the
//              simulator are sampled by the same integer PRNG;
//   send -> the outbound Connection to that peer (queued while it reconnects, with backoff);
//   emit -> one line in outputs.log, and an Emitted frame to every connected client.
// Everything runs on one io_context thread, so the Node value is only touched there.
//
// Start-up: the durable file is read first; a corrupt or truncated file is an Error and the
// node does not start (starting empty would forget votes). Then it binds its address, then
// constructs the Node from what it recovered and runs on_start.
#pragma once

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <utility>  // first: Boost 1.74 asio/awaitable.hpp uses std::exchange without including it

#include <boost/asio.hpp>

#include "sim/core/apply.h"
#include "sim/core/describe.h"
#include "sim/core/outbox.h"
#include "sim/core/rng.h"
#include "sim/real/cluster_file.h"
#include "sim/real/connection.h"
#include "sim/real/durable_store.h"
#include "sim/real/log.h"
#include "sim/real/wire.h"

namespace faultline::real {

// The files of one node's data directory (<data_dir>/<node id>/).
struct NodeFiles {
  std::string dir;
  std::string durable() const { return dir + "/durable.bin"; }
  std::string outputs() const { return dir + "/outputs.log"; }
  std::string final_state() const { return dir + "/final_state.txt"; }
  std::string log() const { return dir + "/node.log"; }
  std::string pid() const { return dir + "/node.pid"; }
};

template <class P>
struct NodeSetup {
  ClusterFile cluster;
  typename P::Config config;
  std::uint32_t index = 0;
  std::uint64_t seed = 1;
};

template <class P>
class RealNode {
 public:
  using Node = typename P::Node;
  using Message = typename P::Message;
  using Timer = typename P::Timer;
  using Durable = typename P::Durable;
  using Input = typename P::Input;
  using Output = typename P::Output;

  RealNode(asio::io_context& io, NodeSetup<P> setup, const Logger& log)
      : io_(io),
        setup_(std::move(setup)),
        id_{setup_.index},
        node_count_(static_cast<std::uint32_t>(setup_.cluster.nodes.size())),
        files_{setup_.cluster.node_dir(setup_.index)},
        store_(files_.durable()),
        rng_(Rng(setup_.seed).fork("timers").fork(setup_.cluster.nodes[setup_.index].id)),
        log_(log),
        acceptor_(io) {}

  RealNode(const RealNode&) = delete;
  RealNode& operator=(const RealNode&) = delete;

  Result<void> start() {
    if (auto ok = make_directories(files_.dir); !ok) return ok;
    auto recovered = store_.read<Durable>();
    if (!recovered) return std::unexpected(recovered.error());
    if (*recovered) {
      recovered_ = true;
      auto size = read_file_bytes(files_.durable());
      recovered_bytes_ = size ? size->size() : 0;
      log_.line("recovered " + std::to_string(recovered_bytes_) + " bytes of durable state from " + files_.durable());
    } else {
      log_.line("no durable state at " + files_.durable() + ": first start");
    }
    outputs_ = std::fopen(files_.outputs().c_str(), "ab");
    if (outputs_ == nullptr) return fail(files_.outputs(), 0, "cannot open for appending");
    if (auto ok = listen(); !ok) return ok;
    for (std::uint32_t i = 0; i < node_count_; ++i) {
      links_.emplace_back(setup_.cluster.runtime);
      if (i != id_.value) connect(i);
    }
    node_.emplace(setup_.config, id_, node_count_, std::move(*recovered));
    run_handler([](Node& node, Outbox<P>& out) { node.on_start(out); });
    log_.line("started as " + std::string(node_->role()) + ", listening on " + setup_.cluster.nodes[id_.value].address);
    return {};
  }

  // Graceful stop (SIGTERM): the final state goes to final_state.txt, then every socket closes.
  void stop(const std::string& reason) {
    if (stopped_) return;
    stopped_ = true;
    log_.line("stopping: " + reason);
    if (node_) write_final_state();
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    for (auto& link : links_) {
      if (link.connection) link.connection->close("node stopping");
      if (link.retry) link.retry->cancel();
    }
    for (auto& slot : timers_) slot.asio->cancel();
    for (auto& c : std::vector(inbound_)) c->close("node stopping");
    if (outputs_ != nullptr) std::fclose(outputs_);
    outputs_ = nullptr;
  }

  const Node& node() const { return *node_; }
  bool recovered() const { return recovered_; }

  // ---- apply() hooks ----
  void persist(NodeId, const Durable& durable) {
    if (auto ok = store_.write(durable); !ok) {
      // apply() must not continue past a persist that did not happen: end the process now.
      log_.line("FATAL: persist failed: " + ok.error().to_string());
      std::_Exit(74);
    }
  }
  void set_timer(NodeId, const Timer& timer, DurationRange after) {
    TimerSlot& slot = timer_slot(timer);
    slot.generation = ++timer_generation_;
    slot.armed = true;
    const Duration delay = rng_.duration_in(after);
    slot.asio->expires_after(std::chrono::nanoseconds(delay.nanoseconds));
    const std::size_t index = static_cast<std::size_t>(&slot - timers_.data());
    slot.asio->async_wait([this, index, generation = slot.generation](const boost::system::error_code& ec) {
      if (ec || stopped_) return;
      TimerSlot& fired = timers_[index];
      if (!fired.armed || fired.generation != generation) return;  // re-armed or cancelled since
      fired.armed = false;
      const Timer timer = fired.timer;
      run_handler([&](Node& node, Outbox<P>& out) { node.on_timer(timer, out); });
    });
  }
  void cancel_timer(NodeId, const Timer& timer) {
    for (TimerSlot& slot : timers_)
      if (slot.timer == timer) slot.armed = false;
  }
  void send(NodeId, NodeId to, const Message& message) {
    if (to.value >= node_count_) {
      log_.line("dropped a message to a node outside the cluster: " + std::to_string(to.value));
      return;
    }
    if (to == id_) {  // to itself: deliver through the loop, never re-entrantly
      asio::post(io_, [this, message] {
        if (!stopped_) run_handler([&](Node& node, Outbox<P>& out) { node.on_message(id_, message, out); });
      });
      return;
    }
    const auto payload = encode_envelope<P>(PeerMessage<P>{message});
    PeerLink& link = links_[to.value];
    if (link.connection && link.connection->is_open()) return link.connection->send(payload);
    if (link.pending.size() >= setup_.cluster.runtime.send_queue_frames_max) {
      ++link.dropped;  // like loss on the network: the protocol retransmits what matters
      return;
    }
    link.pending.push_back(payload);
  }
  void emit(NodeId, const Output& output) {
    const std::int64_t now_ns = log_.elapsed_ns();
    if (outputs_ != nullptr) {
      const std::string text = describe(output);
      std::fprintf(outputs_, "%lld %s\n", static_cast<long long>(now_ns), text.c_str());
      std::fflush(outputs_);
    }
    const auto payload = encode_envelope<P>(Emitted<P>{++emitted_, output});
    for (auto& client : clients_) client->send(payload);
  }

 private:
  struct TimerSlot {
    Timer timer;
    std::uint64_t generation = 0;
    bool armed = false;
    std::unique_ptr<asio::steady_timer> asio;
  };
  struct PeerLink {
    explicit PeerLink(const RuntimeOptions& runtime)
        : backoff(runtime.reconnect_backoff_min.nanoseconds, runtime.reconnect_backoff_max.nanoseconds) {}
    std::shared_ptr<Connection> connection;
    Backoff backoff;
    std::unique_ptr<asio::steady_timer> retry;
    std::deque<std::vector<std::uint8_t>> pending;  // frames waiting for the connection
    std::uint64_t failures = 0;                     // attempts since the last success
    bool lost = false;                              // an established link broke; log its return
    std::uint64_t dropped = 0;
  };
  enum class CallerKind { unknown, peer, client };
  struct Caller {
    CallerKind kind = CallerKind::unknown;
    std::uint32_t id = 0;
  };

  template <class Handler>
  void run_handler(Handler&& handler) {
    outbox_.clear();
    handler(*node_, outbox_);
    apply(id_, outbox_, *this);
  }

  TimerSlot& timer_slot(const Timer& timer) {
    for (TimerSlot& slot : timers_)
      if (slot.timer == timer) return slot;
    timers_.push_back(TimerSlot{timer, 0, false, std::make_unique<asio::steady_timer>(io_)});
    return timers_.back();
  }

  Result<void> listen() {
    const Endpoint& self = setup_.cluster.endpoints[id_.value];
    auto endpoint = resolve_endpoint(io_, self.host, self.port);
    if (!endpoint) return std::unexpected(endpoint.error());
    boost::system::error_code ec;
    acceptor_.open(endpoint->protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(*endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return fail(setup_.cluster.nodes[id_.value].address, 0, "cannot listen: " + ec.message());
    accept();
    return {};
  }

  void accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
      if (stopped_) return;
      if (!ec) serve(std::move(socket));
      else log_.line("accept: " + ec.message());
      accept();
    });
  }

  void serve(tcp::socket socket) {
    boost::system::error_code ignored;
    const auto remote = socket.remote_endpoint(ignored);
    auto connection = std::make_shared<Connection>(std::move(socket), setup_.cluster.runtime.frame_bytes_max,
                                                   "inbound from " + remote.address().to_string() + ":" + std::to_string(remote.port()));
    inbound_.push_back(connection);
    auto caller = std::make_shared<Caller>();
    Connection* raw = connection.get();
    connection->start(
        [this, raw, caller](std::vector<std::uint8_t> payload) { on_inbound_frame(*raw, *caller, payload); },
        [this, raw, caller](const std::string& reason) {
          if (!stopped_ && reason != "peer closed the connection") log_.line("closed " + raw->label() + ": " + reason);
          std::erase_if(inbound_, [&](const auto& c) { return c.get() == raw; });
          std::erase_if(clients_, [&](const auto& c) { return c.get() == raw; });
        });
  }

  void on_inbound_frame(Connection& connection, Caller& caller, std::span<const std::uint8_t> payload) {
    auto envelope = decode_envelope<P>(payload);
    if (!envelope) return connection.close("undecodable payload: " + envelope.error().to_string());
    if (caller.kind == CallerKind::unknown) return on_hello(connection, caller, *envelope);
    if (caller.kind == CallerKind::peer) {
      const auto* message = std::get_if<PeerMessage<P>>(&*envelope);
      if (message == nullptr) return connection.close("a peer sent something other than a message");
      run_handler([&](Node& node, Outbox<P>& out) { node.on_message(NodeId{caller.id}, message->message, out); });
      return;
    }
    if (const auto* submit = std::get_if<Submit<P>>(&*envelope)) {
      run_handler([&](Node& node, Outbox<P>& out) { node.on_input(submit->input, out); });
      return;
    }
    if (std::holds_alternative<StatusRequest>(*envelope)) return connection.send(encode_envelope<P>(status()));
    connection.close("a client sent something other than a submit or a status request");
  }

  void on_hello(Connection& connection, Caller& caller, const Envelope<P>& envelope) {
    if (const auto* hello = std::get_if<PeerHello>(&envelope)) {
      if (hello->protocol != P::name) return connection.close("peer speaks protocol '" + hello->protocol + "'");
      if (hello->node >= node_count_ || hello->node == id_.value)
        return connection.close("peer hello names node " + std::to_string(hello->node) + ", not another member");
      caller = Caller{CallerKind::peer, hello->node};
      connection.set_label("inbound from " + setup_.cluster.nodes[hello->node].id);
      return;
    }
    if (const auto* hello = std::get_if<ClientHello>(&envelope)) {
      if (hello->protocol != P::name) return connection.close("client speaks protocol '" + hello->protocol + "'");
      caller = Caller{CallerKind::client, hello->client};
      connection.set_label("client c" + std::to_string(hello->client));
      for (auto& c : inbound_)
        if (c.get() == &connection) clients_.push_back(c);
      return;
    }
    connection.close("the first frame must be a hello");
  }

  StatusReply status() const {
    StatusReply reply;
    reply.node = id_.value;
    reply.role = std::string(node_->role());
    reply.recovered = recovered_;
    reply.recovered_bytes = recovered_bytes_;
    if constexpr (HasFields<Node>) {
      reply.node_state = encode_to_bytes(*node_);
      reply.text = describe(*node_);
    }
    return reply;
  }

  void write_final_state() {
    std::FILE* out = std::fopen(files_.final_state().c_str(), "wb");
    if (out == nullptr) return log_.line("cannot write " + files_.final_state());
    std::fprintf(out, "%s\n", status().text.c_str());
    std::fclose(out);
  }

  // ---- outbound peer links ----
  void connect(std::uint32_t peer) {
    const Endpoint& target = setup_.cluster.endpoints[peer];
    auto endpoint = resolve_endpoint(io_, target.host, target.port);
    if (!endpoint) {
      log_.line("peer " + setup_.cluster.nodes[peer].id + ": " + endpoint.error().to_string());
      return schedule_reconnect(peer);
    }
    auto socket = std::make_shared<tcp::socket>(io_);
    socket->async_connect(*endpoint, [this, peer, socket](const boost::system::error_code& ec) {
      if (stopped_) return;
      PeerLink& link = links_[peer];
      if (ec) {
        if (link.failures++ == 0) log_.line("cannot reach " + setup_.cluster.nodes[peer].id + " (" + ec.message() + "); retrying with backoff");
        return schedule_reconnect(peer);
      }
      if (link.failures > 0 || link.lost)
        log_.line((link.lost ? "reconnected to " : "connected to ") + setup_.cluster.nodes[peer].id + " after " +
                  std::to_string(link.failures) + " failed attempts");
      link.failures = 0;
      link.lost = false;
      link.backoff.reset();
      link.connection = std::make_shared<Connection>(std::move(*socket), setup_.cluster.runtime.frame_bytes_max,
                                                     "outbound to " + setup_.cluster.nodes[peer].id);
      Connection* raw = link.connection.get();
      link.connection->start([raw](std::vector<std::uint8_t>) { raw->close("a peer must not send on our outbound link"); },
                             [this, peer](const std::string& reason) {
                               if (stopped_) return;
                               log_.line("lost " + setup_.cluster.nodes[peer].id + ": " + reason);
                               links_[peer].lost = true;
                               schedule_reconnect(peer);
                             });
      link.connection->send(encode_envelope<P>(PeerHello{std::string(P::name), id_.value}));
      if (link.dropped > 0) log_.line("dropped " + std::to_string(link.dropped) + " messages to " + setup_.cluster.nodes[peer].id + " while it was unreachable");
      link.dropped = 0;
      while (!link.pending.empty() && link.connection->is_open()) {
        link.connection->send(link.pending.front());
        link.pending.pop_front();
      }
    });
  }

  void schedule_reconnect(std::uint32_t peer) {
    PeerLink& link = links_[peer];
    if (!link.retry) link.retry = std::make_unique<asio::steady_timer>(io_);
    link.retry->expires_after(std::chrono::nanoseconds(link.backoff.next()));
    link.retry->async_wait([this, peer](const boost::system::error_code& ec) {
      if (!ec && !stopped_) connect(peer);
    });
  }

  asio::io_context& io_;
  NodeSetup<P> setup_;
  NodeId id_;
  std::uint32_t node_count_;
  NodeFiles files_;
  DurableStore store_;
  Rng rng_;
  const Logger& log_;
  tcp::acceptor acceptor_;
  std::optional<Node> node_;
  Outbox<P> outbox_;
  std::vector<TimerSlot> timers_;
  std::uint64_t timer_generation_ = 0;
  std::vector<PeerLink> links_;
  std::vector<std::shared_ptr<Connection>> inbound_;
  std::vector<std::shared_ptr<Connection>> clients_;
  std::FILE* outputs_ = nullptr;
  std::uint64_t emitted_ = 0;
  bool recovered_ = false;
  std::uint64_t recovered_bytes_ = 0;
  bool stopped_ = false;
};

}  // namespace faultline::real
