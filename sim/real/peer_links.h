// PeerLinks: a node's outbound side of the socket runtime, one TCP link to every other member.
//
// Each link connects, then opens as a caller (handshake.h's start_caller): with the cluster's
// auth key it runs the handshake (the peer must prove it holds the key before anything is sent,
// and every later frame carries a MAC), without one it sends the plain hello given at
// construction. Only then is the link up. It carries frames one way: a peer never answers on
// our outbound link (replies come on its own outbound link to us), so anything it sends after
// the handshake closes the connection. A failed or lost link, or a failed handshake, reconnects
// with exponential backoff (runtime.reconnect_backoff_min..max). While a link is not up, frames
// queue up to runtime.send_queue_frames_max; beyond that they are dropped and counted, as loss
// on the network would drop them (the protocol retransmits what matters), and the count is
// logged when the link returns. Everything runs on the node's io_context thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "sim/real/cluster_file.h"
#include "sim/real/connection.h"
#include "sim/real/handshake.h"
#include "sim/real/log.h"

namespace faultline::real {

class PeerLinks {
 public:
  // self: this node's index in cluster.nodes; protocol: its name (the handshake vouches for
  // it); plain_hello: the first frame on every connection when the cluster has no auth.
  PeerLinks(asio::io_context& io, const ClusterFile& cluster, std::uint32_t self,
            std::string protocol, std::vector<std::uint8_t> plain_hello, const Logger& log);
  PeerLinks(const PeerLinks&) = delete;
  PeerLinks& operator=(const PeerLinks&) = delete;

  // Connects to every other member (each link retries on its own until it is up).
  void start();
  // Sends one frame's payload to peer (not self), or queues it while that link is down.
  void send(std::uint32_t peer, std::span<const std::uint8_t> payload);
  // Closes every link and cancels every retry; nothing reconnects afterwards.
  void close(const std::string& reason);

 private:
  struct Link {
    explicit Link(const RuntimeOptions& runtime)
        : backoff(runtime.reconnect_backoff_min.nanoseconds,
                  runtime.reconnect_backoff_max.nanoseconds) {}
    std::shared_ptr<Connection> connection;
    bool up = false;  // connection open and past the handshake
    std::chrono::steady_clock::time_point up_at;
    Backoff backoff;
    std::unique_ptr<asio::steady_timer> retry;
    std::deque<std::vector<std::uint8_t>> pending;  // frames waiting for the connection
    std::uint64_t failures = 0;                     // attempts since the last success
    bool lost = false;                              // an established link broke; log its return
    std::uint64_t dropped = 0;                      // frames dropped while it was down
  };

  void connect(std::uint32_t peer);
  void on_connected(std::uint32_t peer, tcp::socket socket);
  void on_up(std::uint32_t peer);
  void on_closed(std::uint32_t peer, const std::string& reason);
  void schedule_reconnect(std::uint32_t peer);
  const std::string& name(std::uint32_t peer) const { return cluster_.nodes[peer].id; }

  asio::io_context& io_;
  const ClusterFile& cluster_;
  std::uint32_t self_;
  std::string protocol_;
  std::vector<std::uint8_t> hello_;
  const Logger& log_;
  std::vector<Link> links_;  // indexed by node; links_[self_] is never used
  bool closed_ = false;
};

}  // namespace faultline::real
