// Connection: one TCP stream carrying frames (frame.h), over Boost.Asio, on the one
// io_context thread of its process (so no locks: every callback runs on that thread).
//
// Reading: whatever the socket has, up to 64 KiB a read, into one buffer; each frame's 9-byte
// header is bounds-checked before the buffer grows for its payload (an oversized length never
// allocates), then the payload is checksum-verified and handed to on_frame. The first bad frame
// or socket error closes the connection and calls on_close once with the reason; the stream
// cannot be re-synchronised after a bad frame, and a fresh connection is cheap.
// Writing: frames are appended to one buffer and go out in order, everything queued while the
// previous write was in flight in one write; a queue above its byte bound closes the
// connection (a peer that stopped reading must not exhaust memory).
// Authentication: once the handshake (handshake.h) has agreed on keys, enable_mac() makes every
// write carry its frames inside records: a record is one frame whose payload is the frames
// queued since the previous write, followed by a 16-byte MAC of them (auth.h's FrameMac:
// HMAC-SHA256 over a per-direction record sequence number and the payload), split so that no
// record exceeds the frame bound. One MAC per write, not per frame, so a busy connection pays
// for a tag once per batch. A received record whose MAC does not verify (forged, altered,
// replayed, reordered, or from the other direction) closes the connection before anyone sees
// its frames; on_frame gets each frame inside a good record, in order.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <utility>  // first: Boost 1.74 asio/awaitable.hpp uses std::exchange without including it

#include <boost/asio.hpp>

#include "sim/core/result.h"
#include "sim/real/auth.h"
#include "sim/real/frame.h"

namespace faultline::real {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using OnFrame = std::function<void(std::vector<std::uint8_t> payload)>;
  using OnClose = std::function<void(const std::string& reason)>;

  static constexpr std::size_t send_queue_bytes_max = 64u << 20;

  Connection(tcp::socket socket, std::uint32_t payload_bytes_max, std::string label)
      : socket_(std::move(socket)),
        payload_bytes_max_(payload_bytes_max),
        label_(std::move(label)) {}

  // Starts reading; on_frame for each good frame, on_close once when the connection ends.
  void start(OnFrame on_frame, OnClose on_close);
  // Queues one payload as a frame. Ignored once closed.
  void send(std::span<const std::uint8_t> payload);
  // Queues bytes as they are (tests use it to send garbage).
  void send_raw(std::vector<std::uint8_t> bytes);
  // From now on frames go out in records MACed with keys.send, and every frame received must be
  // a record that verifies under keys.receive (see the banner). Called once, between two frames.
  void enable_mac(const SessionKeys& keys);
  bool authenticated() const { return send_mac_ != nullptr; }
  void close(const std::string& reason);
  bool is_open() const { return open_; }
  const std::string& label() const { return label_; }
  void set_label(std::string label) { label_ = std::move(label); }

 private:
  static constexpr std::size_t read_chunk_bytes = 64u << 10;

  void read_more();
  void parse_frames();
  void deliver(std::span<const std::uint8_t> payload);
  void seal_records();
  void write_next();

  tcp::socket socket_;
  std::uint32_t payload_bytes_max_;
  std::string label_;
  OnFrame on_frame_;
  OnClose on_close_;
  bool open_ = true;
  std::uint64_t read_offset_ = 0;  // stream offset of the next frame, for error messages
  std::vector<std::uint8_t> in_;   // received bytes; [in_begin_, in_end_) not yet framed
  std::size_t in_begin_ = 0;
  std::size_t in_end_ = 0;
  std::size_t in_needed_ = 0;  // bytes the next frame needs in the buffer (header + payload)
  std::vector<std::uint8_t> pending_;       // frames queued since the write in flight started
  std::vector<std::uint8_t> unsealed_;      // authenticated: frames not yet sealed in a record
  std::vector<std::size_t> unsealed_ends_;  // where each of them ends in unsealed_
  std::vector<std::uint8_t> writing_;       // the bytes of the write in flight
  bool write_in_flight_ = false;
  std::unique_ptr<FrameMac> send_mac_;  // set by enable_mac()
  std::unique_ptr<FrameMac> receive_mac_;
};

// Exponential backoff between reconnect attempts: min, doubling, capped at max; reset on success.
class Backoff {
 public:
  Backoff(std::int64_t min_ns, std::int64_t max_ns)
      : min_ns_(min_ns), max_ns_(max_ns), next_ns_(min_ns) {}
  std::int64_t next() {
    const std::int64_t now = next_ns_;
    next_ns_ = std::min(max_ns_, next_ns_ * 2);
    return now;
  }
  void reset() { next_ns_ = min_ns_; }

 private:
  std::int64_t min_ns_, max_ns_, next_ns_;
};

// Whether a link that came up at `up_at` stayed up long enough (reconnect_backoff_max) that
// its loss starts the backoff from the minimum again. A link the other side closes at once
// (a node that refuses us) keeps backing off instead of reconnecting 20 times a second.
inline bool stayed_up(std::chrono::steady_clock::time_point up_at, std::int64_t backoff_max_ns) {
  return std::chrono::steady_clock::now() - up_at >= std::chrono::nanoseconds(backoff_max_ns);
}

// Resolves "127.0.0.1" / "localhost" style hosts once (numeric addresses need no DNS).
Result<tcp::endpoint> resolve_endpoint(asio::io_context& io, const std::string& host,
                                       std::uint16_t port);

}  // namespace faultline::real
