#include "sim/real/connection.h"

namespace faultline::real {

void Connection::start(OnFrame on_frame, OnClose on_close) {
  on_frame_ = std::move(on_frame);
  on_close_ = std::move(on_close);
  boost::system::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  read_header();
}

void Connection::read_header() {
  asio::async_read(socket_, asio::buffer(header_), [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
    if (!self->open_) return;
    if (ec) return self->close(ec == asio::error::eof ? "peer closed the connection" : "read: " + ec.message());
    auto header = decode_frame_header(self->header_, self->payload_bytes_max_, self->read_offset_);
    if (!header) return self->close("bad frame: " + header.error().to_string());
    self->read_payload(*header);
  });
}

void Connection::read_payload(FrameHeader header) {
  payload_.resize(header.payload_bytes);
  asio::async_read(socket_, asio::buffer(payload_), [self = shared_from_this(), header](const boost::system::error_code& ec, std::size_t) {
    if (!self->open_) return;
    if (ec) return self->close(ec == asio::error::eof ? "stream ended inside a frame" : "read: " + ec.message());
    if (auto ok = verify_frame_payload(header, self->payload_, self->read_offset_); !ok)
      return self->close("bad frame: " + ok.error().to_string());
    self->read_offset_ += frame_header_bytes + header.payload_bytes;
    self->on_frame_(std::move(self->payload_));
    self->payload_ = {};
    if (self->open_) self->read_header();
  });
}

void Connection::send(std::span<const std::uint8_t> payload) { send_raw(encode_frame(payload)); }

void Connection::send_raw(std::vector<std::uint8_t> bytes) {
  if (!open_) return;
  queued_bytes_ += bytes.size();
  if (queued_bytes_ > send_queue_bytes_max) return close("send queue above " + std::to_string(send_queue_bytes_max) + " bytes");
  queue_.push_back(std::move(bytes));
  if (!writing_) write_next();
}

void Connection::write_next() {
  if (queue_.empty() || !open_) {
    writing_ = false;
    return;
  }
  writing_ = true;
  asio::async_write(socket_, asio::buffer(queue_.front()), [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
    if (!self->open_) return;
    if (ec) return self->close("write: " + ec.message());
    self->queued_bytes_ -= self->queue_.front().size();
    self->queue_.pop_front();
    self->write_next();
  });
}

void Connection::close(const std::string& reason) {
  if (!open_) return;
  open_ = false;
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  queue_.clear();
  queued_bytes_ = 0;
  if (on_close_) {
    auto callback = std::move(on_close_);
    on_close_ = nullptr;
    callback(reason);
  }
  // on_frame_ stays: close() may run inside it, and destroying a running std::function is UB.
}

Result<tcp::endpoint> resolve_endpoint(asio::io_context& io, const std::string& host, std::uint16_t port) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (!ec) return tcp::endpoint(address, port);
  tcp::resolver resolver(io);
  const auto results = resolver.resolve(host, std::to_string(port), ec);
  if (ec || results.empty()) return fail(host, 0, "cannot resolve host: " + (ec ? ec.message() : std::string("no address")));
  return *results.begin();
}

}  // namespace faultline::real
