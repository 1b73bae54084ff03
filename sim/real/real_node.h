// RealNode<P>: the socket runtime's driver for one protocol node in one OS process.
//
// It gives apply()'s four effects (apply.h) real meaning:
//   persist -> DurableLog (durable.log: a delta appended and fdatasync'd, by the Persister thread)
//              before any send or output that may depend on it leaves; a failed persist ends the
//              process (nothing may run past it). The delta is built while encoding
//              (durable_delta.h: the chunks of a log the last write held are copied, not
//              re-encoded), so a write costs what changed, not the whole Durable;
//   set/cancel timer -> an asio steady_timer per Timer value, its duration drawn from the
//              node's Rng: Rng(seed).fork("timers").fork(node id), so the same ranges as the
//              simulator are sampled by the same integer PRNG;
//   send -> PeerLinks (peer_links.h): the outbound link to that peer, queued while it reconnects;
//   emit -> one line in outputs.log, and an Emitted frame to every connected client.
// Everything runs on one io_context thread, so the Node value is only touched there.
//
// The inbound side admits a caller as a peer or a client only after its first frames: with the
// cluster's auth key, the handshake (handshake.h: the caller proves it holds the key, then every
// frame carries a MAC); without one, a plain hello. A connection refused (no or failed handshake,
// a hello naming a non-member, another protocol) or one with a bad frame is closed and logged,
// and nothing it sent reaches the Node: no handler runs for a caller that was not admitted.
//
// Group commit. Handlers run as their events arrive, each into its own Outbox; a handler's
// timer effects take effect at once (timers are local and die with the process), but its
// persist, sends and outputs wait for the end of the batch: every event that is ready, and
// every event those make ready, up to group_commit_events_max handler calls. Then the batch's
// LATEST Durable is written once (one fsync: a Durable is the node's whole durable state, so the
// last one covers every earlier one), and only once it is durable do the batch's sends and
// outputs leave, in handler order. A crash before that write completes loses the whole batch and
// sends nothing, which is the same as a crash before its first event; a crash after it is an
// ordinary crash after the batch, with some messages lost. So no message ever leaves before the
// state it depends on is durable. The write runs on the Persister thread while the loop goes on
// running handlers into the next batch (one write in flight; the next batch closes when it
// completes). A handler that runs while nothing is pending or in flight and persists nothing
// sends at once; when the write in flight completes, the open batch's handlers before its first
// persist go out too (they depended on nothing else). Client inputs wait for the next write to
// start and run just before it (delivery delay only), so the peer messages and timers of a
// batch come before its client writes. A status request is answered after the batch it arrived in.
//
// Start-up: the durable file is read first; a corrupt or truncated file is an Error and the
// node does not start (starting empty would forget votes). Then it binds its address, then
// constructs the Node from what it recovered and runs on_start.
#pragma once

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <utility>  // first: Boost 1.74 asio/awaitable.hpp uses std::exchange without including it

#include <boost/asio.hpp>

#include "sim/core/apply.h"
#include "sim/core/describe.h"
#include "sim/core/fingerprint.h"
#include "sim/core/outbox.h"
#include "sim/core/protocol.h"
#include "sim/core/rng.h"
#include "sim/real/cluster_file.h"
#include "sim/real/connection.h"
#include "sim/real/durable_delta.h"
#include "sim/real/durable_log.h"
#include "sim/real/durable_store.h"
#include "sim/real/handshake.h"
#include "sim/real/log.h"
#include "sim/real/peer_links.h"
#include "sim/real/persister.h"
#include "sim/real/wire.h"

namespace faultline::real {

// The files of one node's data directory (<data_dir>/<node id>/).
struct NodeFiles {
  std::string dir;
  std::string durable() const { return dir + "/durable.log"; }
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

template <Protocol P>
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
        persister_(io, store_),
        rng_(Rng(setup_.seed).fork("timers").fork(setup_.cluster.nodes[setup_.index].id)),
        log_(log),
        peers_(io, setup_.cluster, setup_.index, std::string(P::name),
               encode_envelope<P>(PeerHello{std::string(P::name), setup_.index}), log),
        acceptor_(io) {}

  RealNode(const RealNode&) = delete;
  RealNode& operator=(const RealNode&) = delete;

  Result<void> start() {
    if (auto ok = make_directories(files_.dir); !ok) return ok;
    auto bytes = store_.recover();
    if (!bytes) return std::unexpected(bytes.error());
    std::optional<Durable> recovered;
    if (*bytes) {
      auto value = decode_from_bytes<Durable>(**bytes);
      if (!value)
        return fail(files_.durable(), 0, "value does not decode: " + value.error().to_string());
      recovered = std::move(*value);
      recovered_ = true;
      recovered_bytes_ = store_.file_bytes();
      log_.line("recovered " + std::to_string((*bytes)->size()) + " bytes of durable state from " +
                files_.durable() + " (" + std::to_string(recovered_bytes_) + " bytes)");
    } else {
      log_.line("no durable state at " + files_.durable() + ": first start");
    }
    if (store_.recovered_torn_bytes() > 0)
      log_.line("cut off a torn final record of " + std::to_string(store_.recovered_torn_bytes()) +
                " bytes (a crash during a write)");
    persister_.start();
    outputs_ = std::fopen(files_.outputs().c_str(), "ab");
    if (outputs_ == nullptr) return fail(files_.outputs(), 0, "cannot open for appending");
    if (auto ok = listen(); !ok) return ok;
    log_auth_mode();
    peers_.start();
    node_.emplace(setup_.config, id_, node_count_, std::move(recovered));
    run_handler([](Node& node, Outbox<P>& out) { node.on_start(out); });
    log_.line("started as " + std::string(node_->role()) + ", listening on " +
              setup_.cluster.nodes[id_.value].address);
    return {};
  }

  // Graceful stop (SIGTERM): the final state goes to final_state.txt, then every socket closes.
  void stop(const std::string& reason) {
    if (stopped_) return;
    flush();  // the pending batches are persisted and sent before the sockets close
    stopped_ = true;
    log_.line("stopping: " + reason + " (" + std::to_string(events_) + " events, " +
              std::to_string(persists_) + " persists of " + std::to_string(persisted_bytes_) +
              " bytes, " + std::to_string(batches_) + " batches)");
    if (node_) write_final_state();
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    peers_.close("node stopping");
    for (auto& slot : timers_) slot.asio->cancel();
    for (auto& c : std::vector(inbound_)) c->close("node stopping");
    if (outputs_ != nullptr) std::fclose(outputs_);
    outputs_ = nullptr;
  }

  const Node& node() const { return *node_; }
  bool recovered() const { return recovered_; }

  // Inbound callers since start: admitted as peers or clients, and refused (a failed or missing
  // handshake, a bad hello; not connections closed later for a bad frame).
  struct InboundCounts {
    std::uint64_t peers = 0;
    std::uint64_t clients = 0;
    std::uint64_t refused = 0;
  };
  const InboundCounts& inbound_counts() const { return inbound_counts_; }

  // Ends every pending batch now, synchronously: waits for the write in flight, writes the latest
  // Durable, releases every send and output. For stop(); the loop never blocks on the disk.
  void flush() {
    persister_.stop();  // the write in flight completes; its completion handler is ignored
    if (auto failure = persister_.failure()) fatal_persist(*failure);
    const Durable* latest = nullptr;
    if (closing_.latest) latest = &*closing_.latest;
    if (open_.latest) latest = &*open_.latest;
    if (latest != nullptr) persist(id_, *latest);
    writing_ = false;
    release(closing_);
    release(open_);
  }
  // True when every effect of every handler so far has happened (nothing pending or in flight).
  bool synced() const {
    return !writing_ && open_.empty() && closing_.empty() && deferred_inputs_.empty();
  }

  // ---- the effects (apply.h's hooks) ----
  // Synchronous persist (stop() only; batches go through the Persister).
  void persist(NodeId, const Durable& durable) {
    const auto encoded = encoder_.encode(durable);
    auto ok = encoded.delta ? store_.append_delta(encoded.bytes, encoded.value_bytes)
                            : store_.append(encoded.bytes);
    if (!ok) fatal_persist(ok.error());
    ++persists_;
    persisted_bytes_ += encoded.value_bytes;
  }
  void set_timer(NodeId, const Timer& timer, DurationRange after) {
    TimerSlot& slot = timer_slot(timer);
    slot.generation = ++timer_generation_;
    slot.armed = true;
    const Duration delay = rng_.duration_in(after);
    slot.asio->expires_after(std::chrono::nanoseconds(delay.nanoseconds));
    const std::size_t index = static_cast<std::size_t>(&slot - timers_.data());
    slot.asio->async_wait(
        [this, index, generation = slot.generation](const boost::system::error_code& ec) {
          if (ec || stopped_) return;
          TimerSlot& fired = timers_[index];
          if (!fired.armed || fired.generation != generation)
            return;  // re-armed or cancelled since
          const Timer timer = fired.timer;
          release_timer_slot(index);
          run_handler([&](Node& node, Outbox<P>& out) { node.on_timer(timer, out); });
        });
  }
  void cancel_timer(NodeId, const Timer& timer) {
    if (const auto found = find_timer_slot(timer)) release_timer_slot(*found);
  }
  void send(NodeId, NodeId to, const Message& message) {
    if (to.value >= node_count_) {
      log_.line("dropped a message to a node outside the cluster: " + std::to_string(to.value));
      return;
    }
    if (to == id_) {  // to itself: deliver through the loop, never re-entrantly
      asio::post(io_, [this, message] {
        if (!stopped_)
          run_handler([&](Node& node, Outbox<P>& out) { node.on_message(id_, message, out); });
      });
      return;
    }
    peers_.send(to.value, encode_envelope<P>(PeerMessage<P>{message}));
  }
  void emit(NodeId, const Output& output) {
    const std::int64_t now_ns = log_.elapsed_ns();
    if (outputs_ != nullptr) {  // flushed once per batch
      const std::string text = describe(output);
      std::fprintf(outputs_, "%lld %s\n", static_cast<long long>(now_ns), text.c_str());
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
  enum class CallerKind { unknown, peer, client };
  struct Caller {
    CallerKind kind = CallerKind::unknown;
    std::uint32_t id = 0;
    std::unique_ptr<NodeHandshake> handshake;  // from its AuthHello until its AuthProof
    AuthHello hello;                           // what the caller claims to be, meanwhile
  };

  // One group-commit batch: an outbox per handler call (reused across batches) for its sends
  // and outputs, and the latest Durable any of them persisted (earlier ones are freed at once).
  struct Batch {
    std::vector<Outbox<P>> outboxes;
    std::size_t used = 0;
    std::size_t released = 0;                  // outboxes [0, released) have gone out already
    std::optional<std::size_t> first_persist;  // the first outbox whose handler persisted
    std::optional<Durable> latest;
    std::vector<std::shared_ptr<Connection>> status_waiters;
    bool empty() const { return used == released && status_waiters.empty(); }
  };

  // Runs one handler under group commit (see the banner).
  template <class Handler>
  void run_handler(Handler&& handler) {
    ++events_;
    ++arrivals_;
    Batch& batch = open_;
    if (batch.used == batch.outboxes.size()) batch.outboxes.emplace_back();
    Outbox<P>& out = batch.outboxes[batch.used];
    out.clear();
    // The node's clock is the system's real-time clock (last-write-wins stamps compare across
    // processes); timers use the monotonic one.
    out.set_clock(Time{std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count()});
    handler(*node_, out);
    for (const auto& effect : out.timers()) {
      if (effect.after)
        set_timer(id_, effect.timer, *effect.after);
      else
        cancel_timer(id_, effect.timer);
    }
    if (!writing_ && !batch.first_persist &&
        !out.persisted()) {  // depends on nothing unwritten: out it goes
      release_outbox(out);
      out.clear();
      if (outputs_ != nullptr) std::fflush(outputs_);
      return;
    }
    if (out.persisted()) {
      if (!batch.first_persist) batch.first_persist = batch.used;
      batch.latest = out.take_persisted();
    }
    ++batch.used;
    schedule_flush();
  }

  // Sends, then outputs (apply()'s order after persist and timers).
  void release_outbox(const Outbox<P>& out) {
    for (const auto& message : out.sends()) send(id_, message.target, message.message);
    for (const auto& output : out.outputs()) emit(id_, output);
  }
  // Releases outboxes [released, until) of a batch.
  void release_until(Batch& batch, std::size_t until) {
    for (std::size_t i = batch.released; i < until; ++i) {
      release_outbox(batch.outboxes[i]);
      batch.outboxes[i].clear();
    }
    batch.released = std::max(batch.released, until);
  }
  void release(Batch& batch) {
    release_until(batch, batch.used);
    const bool any = batch.used > 0;
    batch.used = 0;
    batch.released = 0;
    batch.first_persist.reset();
    batch.latest.reset();
    if (any) ++batches_;
    if (outputs_ != nullptr) std::fflush(outputs_);
    auto waiting = std::move(batch.status_waiters);
    batch.status_waiters.clear();
    for (auto& connection : waiting)
      if (connection->is_open()) connection->send(status_payload());
  }

  // The open batch ends when a posted turn finds that no handler ran since it was posted (the
  // ready queue is drained, including one non-blocking poll of the sockets), or at the size bound.
  void schedule_flush() {
    if (flush_posted_) return;
    flush_posted_ = true;
    flush_seen_events_ = arrivals_;
    asio::post(io_, [this, alive = std::weak_ptr<int>(alive_)] {
      if (!alive.expired()) flush_turn();
    });
  }
  void flush_turn() {
    if (stopped_) return;
    if (arrivals_ != flush_seen_events_ &&
        open_.used + deferred_inputs_.size() < setup_.cluster.runtime.group_commit_events_max) {
      flush_seen_events_ = arrivals_;
      asio::post(io_, [this, alive = std::weak_ptr<int>(alive_)] {
        if (!alive.expired()) flush_turn();
      });
      return;
    }
    flush_posted_ = false;
    close_batch();
  }

  // The open batch becomes the closing one: client inputs that waited run first (into it), then
  // its latest Durable goes to the Persister (if it has one), and its effects are released when
  // that write completes. With a write in flight it stays open; the completion closes it.
  void close_batch() {
    if (writing_) return;
    run_deferred_inputs();
    if (open_.empty()) return;
    std::swap(open_, closing_);  // closing_ was released, so the new open_ is empty
    if (!closing_.latest) return release(closing_);
    writing_ = true;
    auto payload = encoder_.encode(*closing_.latest);  // a delta against the last write
    closing_.latest.reset();  // encoded: the value itself is no longer needed
    ++persists_;
    persisted_bytes_ += payload.value_bytes;
    persister_.write(
        std::move(payload), [this, alive = std::weak_ptr<int>(alive_)](Result<void> written) {
          if (alive.expired() || stopped_ || !writing_) return;
          if (!written) fatal_persist(written.error());
          writing_ = false;
          release(closing_);
          // The open batch's handlers before its first persist depended on nothing but that write.
          release_until(open_, open_.first_persist.value_or(open_.used));
          if (outputs_ != nullptr) std::fflush(outputs_);
          if (!flush_posted_)
            close_batch();  // the batch that gathered meanwhile (else its turn closes it)
        });
  }

  // Client inputs wait for the next write to start: delivering an input later is only delay, and
  // running them last keeps the open batch's peer messages and timers (a leader's replies and
  // commits) ahead of its first persist, so those go out as soon as the write in flight lands.
  void run_deferred_inputs() {
    if (deferred_inputs_.empty()) return;
    auto inputs = std::move(deferred_inputs_);
    deferred_inputs_.clear();
    for (const Input& input : inputs)
      run_handler([&](Node& node, Outbox<P>& out) { node.on_input(input, out); });
    inputs.clear();
    if (deferred_inputs_.empty()) deferred_inputs_ = std::move(inputs);  // keep the capacity
  }

  [[noreturn]] void fatal_persist(const Error& error) {
    // Nothing may run past a persist that did not happen: end the process now.
    log_.line("FATAL: persist failed: " + error.to_string());
    std::_Exit(74);
  }

  // The slot of an armed timer, found by its fingerprint (protocols need not order their
  // timers) in O(log n); a timer that fired or was cancelled gives its slot back, so a protocol
  // that arms a timer per write (write_concern's retries) keeps as many slots as it has timers
  // armed, not one per timer it ever set (a linear scan over those was 43% of a primary's CPU in
  // `bench write_concern-socket`).
  std::optional<std::size_t> find_timer_slot(const Timer& timer) const {
    const auto [first, last] = timer_index_.equal_range(fingerprint(timer));
    for (auto it = first; it != last; ++it)
      if (timers_[it->second].timer == timer) return it->second;
    return std::nullopt;
  }
  TimerSlot& timer_slot(const Timer& timer) {
    if (const auto found = find_timer_slot(timer)) return timers_[*found];
    std::size_t index = timers_.size();
    if (!free_timer_slots_.empty()) {
      index = free_timer_slots_.back();
      free_timer_slots_.pop_back();
      timers_[index].timer = timer;
    } else {
      timers_.push_back(TimerSlot{timer, 0, false, std::make_unique<asio::steady_timer>(io_)});
    }
    timer_index_.emplace(fingerprint(timer), index);
    return timers_[index];
  }
  // A stale wait on a released slot finds it unarmed or of another generation, and does nothing.
  void release_timer_slot(std::size_t index) {
    TimerSlot& slot = timers_[index];
    const auto [first, last] = timer_index_.equal_range(fingerprint(slot.timer));
    const auto it =
        std::find_if(first, last, [&](const auto& entry) { return entry.second == index; });
    FL_ASSERT(it != last, "a slot in use is indexed");
    timer_index_.erase(it);
    slot.armed = false;
    free_timer_slots_.push_back(index);
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
    if (ec)
      return fail(setup_.cluster.nodes[id_.value].address, 0, "cannot listen: " + ec.message());
    accept();
    return {};
  }

  void accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
      if (stopped_) return;
      if (!ec)
        serve(std::move(socket));
      else
        log_.line("accept: " + ec.message());
      accept();
    });
  }

  void serve(tcp::socket socket) {
    boost::system::error_code ignored;
    const auto remote = socket.remote_endpoint(ignored);
    auto connection = std::make_shared<Connection>(
        std::move(socket), setup_.cluster.runtime.frame_bytes_max,
        "inbound from " + remote.address().to_string() + ":" + std::to_string(remote.port()));
    inbound_.push_back(connection);
    auto caller = std::make_shared<Caller>();
    Connection* raw = connection.get();
    connection->start(
        [this, raw, caller](std::vector<std::uint8_t> payload) {
          on_inbound_frame(*raw, *caller, payload);
        },
        [this, raw, caller](const std::string& reason) {
          if (caller->handshake) {  // the caller gave up: it could not check our proof
            ++inbound_counts_.refused;
            if (!stopped_)
              log_.line("refused " + raw->label() + ": it left during the auth handshake (" +
                        reason + "; a caller with another key gives up here)");
          } else if (!stopped_ && reason != "peer closed the connection") {
            log_.line("closed " + raw->label() + ": " + reason);
          }
          std::erase_if(inbound_, [&](const auto& c) { return c.get() == raw; });
          std::erase_if(clients_, [&](const auto& c) { return c.get() == raw; });
        });
  }

  void on_inbound_frame(Connection& connection, Caller& caller,
                        std::span<const std::uint8_t> payload) {
    if (caller.kind == CallerKind::unknown) {
      if (setup_.cluster.auth_key() != nullptr) return on_handshake(connection, caller, payload);
      if (is_auth_payload(payload))
        return refuse(connection, caller,
                      "the caller authenticates, but this node's cluster file has no auth:");
      auto envelope = decode_envelope<P>(payload);
      if (!envelope)
        return connection.close("undecodable payload: " + envelope.error().to_string());
      return on_hello(connection, caller, *envelope);
    }
    auto envelope = decode_envelope<P>(payload);
    if (!envelope) return connection.close("undecodable payload: " + envelope.error().to_string());
    if (caller.kind == CallerKind::peer) {
      const auto* message = std::get_if<PeerMessage<P>>(&*envelope);
      if (message == nullptr) return connection.close("a peer sent something other than a message");
      run_handler([&](Node& node, Outbox<P>& out) {
        node.on_message(NodeId{caller.id}, message->message, out);
      });
      return;
    }
    if (auto* submit = std::get_if<Submit<P>>(&*envelope)) {
      deferred_inputs_.push_back(std::move(submit->input));  // run when the next batch closes
      ++arrivals_;
      schedule_flush();
      return;
    }
    if (std::holds_alternative<StatusRequest>(*envelope)) {
      if (synced()) return connection.send(status_payload());
      // Answered with the batch it arrived in (the state it reports is then durable).
      (open_.empty() && writing_ ? closing_ : open_)
          .status_waiters.push_back(connection.shared_from_this());
      if (!open_.empty()) schedule_flush();
      return;
    }
    connection.close("a client sent something other than a submit or a status request");
  }

  // With auth: the caller's AuthHello (answered with our challenge), then its AuthProof (checked;
  // then the frame MAC is on and the caller is admitted as what its hello claimed).
  void on_handshake(Connection& connection, Caller& caller, std::span<const std::uint8_t> payload) {
    if (!is_auth_payload(payload))
      return refuse(connection, caller,
                    "the caller did not authenticate (its first frame is not an auth hello: is "
                    "auth: missing from its cluster file?)");
    if (!caller.handshake) {
      caller.handshake = std::make_unique<NodeHandshake>(*setup_.cluster.auth_key(),
                                                         std::string(P::name), id_.value);
      auto hello = caller.handshake->on_hello(payload);
      if (!hello) return refuse(connection, caller, hello.error().to_string());
      if (auto problem = claim_problem(hello->role, hello->caller))
        return refuse(connection, caller, *problem);
      caller.hello = std::move(*hello);
      return connection.send(caller.handshake->challenge());
    }
    auto keys = caller.handshake->on_proof(payload);
    if (!keys)
      return refuse(connection, caller, "authentication failed: " + keys.error().to_string());
    connection.enable_mac(*keys);
    const AuthHello hello = std::move(caller.hello);
    admit(connection, caller, hello.role, hello.caller);
  }

  // Closes a connection whose caller was not admitted (the close handler logs the reason).
  void refuse(Connection& connection, Caller& caller, const std::string& reason) {
    caller.handshake.reset();  // counted and logged here, not as a caller who left
    ++inbound_counts_.refused;
    connection.close("refused: " + reason);
  }

  std::optional<std::string> claim_problem(CallerRole role, std::uint32_t id) const {
    if (role == CallerRole::peer && (id >= node_count_ || id == id_.value))
      return "peer hello names node " + std::to_string(id) + ", not another member";
    return std::nullopt;
  }

  void admit(Connection& connection, Caller& caller, CallerRole role, std::uint32_t id) {
    if (role == CallerRole::peer) {
      caller = Caller{CallerKind::peer, id, nullptr, {}};
      connection.set_label("inbound from " + setup_.cluster.nodes[id].id);
      ++inbound_counts_.peers;
      return;
    }
    caller = Caller{CallerKind::client, id, nullptr, {}};
    connection.set_label("client c" + std::to_string(id));
    ++inbound_counts_.clients;
    for (auto& c : inbound_)
      if (c.get() == &connection) clients_.push_back(c);
  }

  // Without auth: the plain hello says who calls.
  void on_hello(Connection& connection, Caller& caller, const Envelope<P>& envelope) {
    const auto* peer = std::get_if<PeerHello>(&envelope);
    const auto* client = std::get_if<ClientHello>(&envelope);
    if (peer == nullptr && client == nullptr)
      return refuse(connection, caller, "the first frame must be a hello");
    const std::string& protocol = peer != nullptr ? peer->protocol : client->protocol;
    if (protocol != P::name)
      return refuse(connection, caller,
                    (peer != nullptr ? "peer" : "client") + std::string(" speaks protocol '") +
                        protocol + "'");
    const CallerRole role = peer != nullptr ? CallerRole::peer : CallerRole::client;
    const std::uint32_t id = peer != nullptr ? peer->node : client->client;
    if (auto problem = claim_problem(role, id)) return refuse(connection, caller, *problem);
    admit(connection, caller, role, id);
  }

  void log_auth_mode() const {
    if (const AuthKey* key = setup_.cluster.auth_key()) {
      log_.line("auth: every peer and client must prove the cluster's key (" + key->source +
                "); every write's frames carry an HMAC-SHA256 tag");
      if (!key->warning.empty()) log_.line("WARNING: " + key->warning);
      return;
    }
    log_.line(
        "WARNING: no auth: in the cluster file: any process on this machine can connect as a "
        "peer or client (allowed only because every address is loopback)");
  }

  StatusReply status() const {
    StatusReply reply;
    reply.node = id_.value;
    reply.role = std::string(node_->role());
    reply.recovered = recovered_;
    reply.recovered_bytes = recovered_bytes_;
    reply.events = events_;
    reply.persists = persists_;
    reply.persisted_bytes = persisted_bytes_;
    if constexpr (HasFields<Node>) {
      reply.node_state = encode_to_bytes(*node_);
      reply.text = describe(*node_);
    }
    return reply;
  }

  // A status reply as one frame's payload. It carries the whole node (a Raft log, say), so when
  // that is more than a frame may hold (frame_bytes_max; the client would close the connection)
  // the node state is left out and the text cut, and the text says so.
  std::vector<std::uint8_t> status_payload() const {
    StatusReply reply = status();
    auto payload = encode_envelope<P>(reply);
    // With auth the reply travels inside a record: its own header and the record's MAC count too.
    const std::size_t limit =
        setup_.cluster.runtime.frame_bytes_max - frame_header_bytes - frame_mac_bytes;
    if (payload.size() <= limit) return payload;
    const std::string note = "[node state of " + std::to_string(reply.node_state.size()) +
                             " bytes and text of " + std::to_string(reply.text.size()) +
                             " bytes left out: the reply exceeds runtime.frame_bytes_max]";
    reply.node_state.clear();
    reply.text =
        note + " " + reply.text.substr(0, std::min<std::size_t>(reply.text.size(), limit / 2));
    return encode_envelope<P>(reply);
  }

  void write_final_state() {
    std::FILE* out = std::fopen(files_.final_state().c_str(), "wb");
    if (out == nullptr) return log_.line("cannot write " + files_.final_state());
    std::fprintf(out, "%s\n", status().text.c_str());
    std::fclose(out);
  }

  asio::io_context& io_;
  NodeSetup<P> setup_;
  NodeId id_;
  std::uint32_t node_count_;
  NodeFiles files_;
  DurableLog store_;
  DeltaEncoder encoder_;  // on the loop thread; its writes reach store_ in order
  Persister persister_;
  Rng rng_;
  const Logger& log_;
  PeerLinks peers_;
  tcp::acceptor acceptor_;
  std::optional<Node> node_;
  Batch open_;     // gathering handler calls
  Batch closing_;  // its Durable is being written (writing_), or empty
  bool writing_ = false;
  bool flush_posted_ = false;
  std::uint64_t flush_seen_events_ = 0;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // posted handlers check it outlived them
  std::vector<Input> deferred_inputs_;  // client inputs waiting for the next batch to close
  std::uint64_t arrivals_ = 0;          // handler calls and deferred inputs (for the batch's end)
  std::uint64_t events_ = 0;            // handler calls
  std::uint64_t persists_ = 0;          // durable writes (one fdatasync'd append each)
  std::uint64_t persisted_bytes_ = 0;   // encoded Durable bytes handed to them
  std::uint64_t batches_ = 0;
  std::vector<TimerSlot> timers_;
  std::multimap<std::uint64_t, std::size_t> timer_index_;  // fingerprint -> slot in use
  std::vector<std::size_t> free_timer_slots_;              // slots to reuse
  std::uint64_t timer_generation_ = 0;
  std::vector<std::shared_ptr<Connection>> inbound_;
  std::vector<std::shared_ptr<Connection>> clients_;
  std::FILE* outputs_ = nullptr;
  std::uint64_t emitted_ = 0;
  bool recovered_ = false;
  std::uint64_t recovered_bytes_ = 0;
  InboundCounts inbound_counts_;
  bool stopped_ = false;
};

}  // namespace faultline::real
