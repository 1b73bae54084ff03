#include "sim/real/peer_links.h"

namespace faultline::real {

PeerLinks::PeerLinks(asio::io_context& io, const ClusterFile& cluster, std::uint32_t self,
                     std::vector<std::uint8_t> hello, const Logger& log)
    : io_(io), cluster_(cluster), self_(self), hello_(std::move(hello)), log_(log) {
  links_.reserve(cluster_.nodes.size());
  for (std::size_t i = 0; i < cluster_.nodes.size(); ++i) links_.emplace_back(cluster_.runtime);
}

void PeerLinks::start() {
  for (std::uint32_t peer = 0; peer < links_.size(); ++peer)
    if (peer != self_) connect(peer);
}

void PeerLinks::send(std::uint32_t peer, std::span<const std::uint8_t> payload) {
  Link& link = links_.at(peer);
  if (link.connection && link.connection->is_open()) return link.connection->send(payload);
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
  if (link.failures > 0 || link.lost)
    log_.line((link.lost ? "reconnected to " : "connected to ") + name(peer) + " after " +
              std::to_string(link.failures) + " failed attempts");
  link.failures = 0;
  link.lost = false;
  link.backoff.reset();
  link.connection = std::make_shared<Connection>(
      std::move(socket), cluster_.runtime.frame_bytes_max, "outbound to " + name(peer));
  Connection* raw = link.connection.get();
  link.connection->start(
      [raw](std::vector<std::uint8_t>) { raw->close("a peer must not send on our outbound link"); },
      [this, peer](const std::string& reason) {
        if (closed_) return;
        log_.line("lost " + name(peer) + ": " + reason);
        links_[peer].lost = true;
        schedule_reconnect(peer);
      });
  link.connection->send(hello_);
  if (link.dropped > 0)
    log_.line("dropped " + std::to_string(link.dropped) + " messages to " + name(peer) +
              " while it was unreachable");
  link.dropped = 0;
  while (!link.pending.empty() && link.connection->is_open()) {
    link.connection->send(link.pending.front());
    link.pending.pop_front();
  }
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
