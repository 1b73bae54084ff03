#include "sim/real/connection.h"

#include "sim/core/assert.h"

namespace faultline::real {

void Connection::start(OnFrame on_frame, OnClose on_close) {
  on_frame_ = std::move(on_frame);
  on_close_ = std::move(on_close);
  boost::system::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  in_.resize(read_chunk_bytes);
  read_more();
}

void Connection::read_more() {
  // Room for the next read: move the unframed tail to the front, and grow (only ever to a size
  // a validated header asked for) when one frame needs more than the buffer holds.
  if (in_begin_ > 0) {
    std::copy(in_.begin() + static_cast<std::ptrdiff_t>(in_begin_),
              in_.begin() + static_cast<std::ptrdiff_t>(in_end_), in_.begin());
    in_end_ -= in_begin_;
    in_begin_ = 0;
  }
  if (in_needed_ > in_.size()) in_.resize(in_needed_);
  if (in_end_ == in_.size()) in_.resize(in_.size() + read_chunk_bytes);
  socket_.async_read_some(
      asio::buffer(in_.data() + in_end_, in_.size() - in_end_),
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
        if (!self->open_) return;
        if (ec) {
          const bool between_frames = self->in_end_ == self->in_begin_;
          if (ec == asio::error::eof)
            return self->close(between_frames ? "peer closed the connection"
                                              : "stream ended inside a frame");
          return self->close("read: " + ec.message());
        }
        self->in_end_ += n;
        self->parse_frames();
      });
}

void Connection::parse_frames() {
  auto self = shared_from_this();  // on_frame may close us and drop the last other reference
  while (open_) {
    const std::size_t available = in_end_ - in_begin_;
    if (available < frame_header_bytes) {
      in_needed_ = frame_header_bytes;
      break;
    }
    const std::span<const std::uint8_t> header(in_.data() + in_begin_, frame_header_bytes);
    auto decoded = decode_frame_header(header, payload_bytes_max_, read_offset_);
    if (!decoded) return close("bad frame: " + decoded.error().to_string());
    const std::size_t frame_bytes = frame_header_bytes + decoded->payload_bytes;
    if (available < frame_bytes) {
      in_needed_ = frame_bytes;
      break;
    }
    const std::span<const std::uint8_t> payload(in_.data() + in_begin_ + frame_header_bytes,
                                                decoded->payload_bytes);
    if (auto ok = verify_frame_payload(*decoded, payload, read_offset_); !ok)
      return close("bad frame: " + ok.error().to_string());
    in_begin_ += frame_bytes;
    read_offset_ += frame_bytes;
    deliver(payload);
  }
  if (!open_) return;
  if (in_begin_ == in_end_) in_begin_ = in_end_ = 0;
  read_more();
}

// Hands one checked frame's payload to on_frame; once the connection is authenticated the frame
// is a record: its MAC is checked (a record that fails it closes the connection; nobody sees its
// payload), then each frame inside it is checked and handed on in order.
void Connection::deliver(std::span<const std::uint8_t> payload) {
  if (receive_mac_ == nullptr)
    return on_frame_(std::vector<std::uint8_t>(payload.begin(), payload.end()));
  if (payload.size() < frame_mac_bytes)
    return close("bad frame MAC: the record is shorter than its MAC");
  const auto body = payload.first(payload.size() - frame_mac_bytes);
  if (!receive_mac_->open(body, payload.last(frame_mac_bytes)))
    return close("bad frame MAC on record " + std::to_string(receive_mac_->sequence()) +
                 " since the handshake (forged, altered, replayed or reordered)");
  std::size_t at = 0;
  while (at < body.size() && open_) {
    if (body.size() - at < frame_header_bytes)
      return close("bad record: it ends inside a frame header");
    auto header = decode_frame_header(body.subspan(at, frame_header_bytes), payload_bytes_max_);
    if (!header) return close("bad record: " + header.error().to_string());
    if (body.size() - at - frame_header_bytes < header->payload_bytes)
      return close("bad record: a frame runs past the record's end");
    const auto inner = body.subspan(at + frame_header_bytes, header->payload_bytes);
    if (auto ok = verify_frame_payload(*header, inner); !ok)
      return close("bad record: " + ok.error().to_string());
    at += frame_header_bytes + header->payload_bytes;
    on_frame_(std::vector<std::uint8_t>(inner.begin(), inner.end()));
  }
}

void Connection::enable_mac(const SessionKeys& keys) {
  FL_ASSERT(send_mac_ == nullptr, "a connection authenticates once");
  send_mac_ = std::make_unique<FrameMac>(keys.send);
  receive_mac_ = std::make_unique<FrameMac>(keys.receive);
}

void Connection::send(std::span<const std::uint8_t> payload) {
  if (!open_) return;
  if (send_mac_ != nullptr) {
    append_frame(unsealed_, payload);
    unsealed_ends_.push_back(unsealed_.size());
  } else {
    append_frame(pending_, payload);
  }
  if (pending_.size() + unsealed_.size() + writing_.size() > send_queue_bytes_max)
    return close("send queue above " + std::to_string(send_queue_bytes_max) + " bytes");
  if (!write_in_flight_) write_next();
}

// The frames queued since the last write, as records (each at most a frame's payload bound,
// split between frames) with their MACs, appended to pending_.
void Connection::seal_records() {
  const std::size_t record_max = payload_bytes_max_ - frame_mac_bytes;
  std::size_t begin = 0;
  std::size_t end = 0;
  const auto seal = [&] {
    const std::span<const std::uint8_t> record(unsealed_.data() + begin, end - begin);
    append_frame(pending_, record, send_mac_->seal(record));
    begin = end;
  };
  for (const std::size_t frame_end : unsealed_ends_) {
    if (frame_end - begin > record_max && end > begin) seal();
    end = frame_end;
  }
  if (end > begin) seal();
  unsealed_.clear();
  unsealed_ends_.clear();
}

void Connection::send_raw(std::vector<std::uint8_t> bytes) {
  if (!open_) return;
  pending_.insert(pending_.end(), bytes.begin(), bytes.end());
  if (pending_.size() + unsealed_.size() + writing_.size() > send_queue_bytes_max)
    return close("send queue above " + std::to_string(send_queue_bytes_max) + " bytes");
  if (!write_in_flight_) write_next();
}

void Connection::write_next() {
  if (!unsealed_.empty()) seal_records();
  if (pending_.empty() || !open_) {
    write_in_flight_ = false;
    return;
  }
  write_in_flight_ = true;
  writing_.swap(pending_);
  pending_.clear();
  asio::async_write(socket_, asio::buffer(writing_),
                    [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                      if (!self->open_) return;
                      if (ec) return self->close("write: " + ec.message());
                      self->writing_.clear();
                      self->write_next();
                    });
}

void Connection::close(const std::string& reason) {
  if (!open_) return;
  open_ = false;
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  pending_.clear();
  unsealed_.clear();
  unsealed_ends_.clear();
  writing_.clear();
  if (on_close_) {
    auto callback = std::move(on_close_);
    on_close_ = nullptr;
    callback(reason);
  }
  // on_frame_ stays: close() may run inside it, and destroying a running std::function is UB.
}

Result<tcp::endpoint> resolve_endpoint(asio::io_context& io, const std::string& host,
                                       std::uint16_t port) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (!ec) return tcp::endpoint(address, port);
  tcp::resolver resolver(io);
  const auto results = resolver.resolve(host, std::to_string(port), ec);
  if (ec || results.empty())
    return fail(host, 0, "cannot resolve host: " + (ec ? ec.message() : std::string("no address")));
  return *results.begin();
}

}  // namespace faultline::real
