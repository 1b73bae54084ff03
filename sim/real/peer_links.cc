#include "sim/real/peer_links.h"

namespace faultline::real {

PeerLinks::PeerLinks(asio::io_context& io, const ClusterFile& cluster, std::uint32_t self,
                     std::string protocol, std::vector<std::uint8_t> plain_hello, const Logger& log)
    : io_(io),
      cluster_(cluster),
      self_(self),
      protocol_(std::move(protocol)),
      hello_(std::move(plain_hello)),
      log_(log) {
  links_.reserve(cluster_.nodes.size());
  for (std::size_t i = 0; i < cluster_.nodes.size(); ++i) links_.emplace_back(cluster_.runtime);
}

void PeerLinks::start() {
  for (std::uint32_t peer = 0; peer < links_.size(); ++peer)
    if (peer != self_) connect(peer);
}

void PeerLinks::send(std::uint32_t peer, std::span<const std::uint8_t> payload) {
  Link& link = links_.at(peer);
  if (link.up && link.connection->is_open()) return link.connection->send(payload);
  if (link.pending.size() >= cluster_.runtime.send_queue_frames_max) {
    ++link.dropped;  // like loss on the network: the protocol retransmits what matters
    return;
  }
  link.pending.emplace_back(payload.begin(), payload.end());
}

void PeerLinks::close(const std::string& reason) {
  closed_ = true;
  for (Link& link : links_) {
    if (link.connection) link.connection->close(reason);
    if (link.retry) link.retry->cancel();
  }
}

void PeerLinks::connect(std::uint32_t peer) {
  const Endpoint& target = cluster_.endpoints[peer];
  auto endpoint = resolve_endpoint(io_, target.host, target.port);
  if (!endpoint) {
    log_.line("peer " + name(peer) + ": " + endpoint.error().to_string());
    return schedule_reconnect(peer);
  }
  auto socket = std::make_shared<tcp::socket>(io_);
  socket->async_connect(*endpoint, [this, peer, socket](const boost::system::error_code& ec) {
    if (closed_) return;
    Link& link = links_[peer];
    if (ec) {
      if (link.failures++ == 0)
        log_.line("cannot reach " + name(peer) + " (" + ec.message() + "); retrying with backoff");
      return schedule_reconnect(peer);
    }
    on_connected(peer, std::move(*socket));
  });
}

void PeerLinks::on_connected(std::uint32_t peer, tcp::socket socket) {
  Link& link = links_[peer];
  link.connection = std::make_shared<Connection>(
      std::move(socket), cluster_.runtime.frame_bytes_max, "outbound to " + name(peer));
  Connection* raw = link.connection.get();
  start_caller(
      *link.connection,
      CallerIdentity{cluster_.auth_key(), protocol_, CallerRole::peer, self_, peer, hello_},
      [raw](std::vector<std::uint8_t>) { raw->close("a peer must not send on our outbound link"); },
      [this, peer] { on_up(peer); },
      [this, peer](const std::string& reason) { on_closed(peer, reason); });
}

// The link is up (past the handshake, if any): what waited goes out.
void PeerLinks::on_up(std::uint32_t peer) {
  Link& link = links_[peer];
  if (link.failures > 0 || link.lost)
    log_.line((link.lost ? "reconnected to " : "connected to ") + name(peer) + " after " +
              std::to_string(link.failures) + " failed attempts");
  link.up = true;
  link.up_at = std::chrono::steady_clock::now();
  link.failures = 0;
  link.lost = false;
  if (link.dropped > 0)
    log_.line("dropped " + std::to_string(link.dropped) + " messages to " + name(peer) +
              " while it was unreachable");
  link.dropped = 0;
  while (!link.pending.empty() && link.connection->is_open()) {
    link.connection->send(link.pending.front());
    link.pending.pop_front();
  }
}

// A link that was up is lost; one that never got past the handshake is a failed attempt
// (logged the first time, like an unreachable peer). Either way it retries with backoff, from
// the minimum again only if the link had stayed up a while: a peer that closes every link at
// once (one that refuses us) is retried ever more slowly, not 20 times a second.
void PeerLinks::on_closed(std::uint32_t peer, const std::string& reason) {
  if (closed_) return;
  Link& link = links_[peer];
  if (link.up) {
    log_.line("lost " + name(peer) + ": " + reason);
    link.lost = true;
    if (stayed_up(link.up_at, cluster_.runtime.reconnect_backoff_max.nanoseconds))
      link.backoff.reset();
  } else if (link.failures++ == 0) {
    log_.line("cannot open a link to " + name(peer) + " (" + reason + "); retrying with backoff");
  }
  link.up = false;
  schedule_reconnect(peer);
}

void PeerLinks::schedule_reconnect(std::uint32_t peer) {
  Link& link = links_[peer];
  if (!link.retry) link.retry = std::make_unique<asio::steady_timer>(io_);
  link.retry->expires_after(std::chrono::nanoseconds(link.backoff.next()));
  link.retry->async_wait([this, peer](const boost::system::error_code& ec) {
    if (!ec && !closed_) connect(peer);
  });
}

}  // namespace faultline::real
