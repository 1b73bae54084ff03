// Frames: how the socket runtime delimits messages on a TCP stream and records on disk.
//
// Layout (little-endian): [u32 payload length][u8 version][u32 CRC32C][payload bytes].
// The checksum covers the version byte and the payload, so a flipped bit anywhere but the
// length field is caught by the checksum, and a flipped length is caught by the bound, by the
// checksum of the bytes it then frames, or by the stream ending early.
//
// Everything here is a pure function over bytes: no sockets, no files. Decoding never trusts
// its input: an unknown version, a length above the caller's bound, a short buffer or a
// checksum mismatch is an Error that says which and at what byte offset, never a crash. A
// connection that gets one closes (the stream cannot be re-synchronised after a bad frame).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <vector>

#include "sim/core/result.h"

namespace faultline::real {

inline constexpr std::uint8_t frame_version = 1;
inline constexpr std::size_t frame_header_bytes = 9;
// The default bound on one frame's payload: far above any 2PC message, far below memory.
inline constexpr std::uint32_t frame_payload_bytes_max_default = 1u << 20;

// CRC32C (Castagnoli), the checksum iSCSI, ext4 and etcd's WAL use for the same job.
std::uint32_t crc32c(std::span<const std::uint8_t> bytes);
// The same by table lookup only (the reference crc32c() must agree with; for tests).
std::uint32_t crc32c_portable(std::span<const std::uint8_t> bytes);

struct FrameHeader {
  std::uint32_t payload_bytes = 0;
  std::uint8_t version = 0;
  std::uint32_t checksum = 0;
};

// The whole frame for a payload (header + payload). The payload must fit in a u32 length.
std::vector<std::uint8_t> encode_frame(std::span<const std::uint8_t> payload,
                                       std::uint8_t version = frame_version);
// The same frame, appended to `out`.
void append_frame(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> payload,
                  std::uint8_t version = frame_version);
// The frame whose payload is `payload` followed by `trailer` (an authenticated connection's MAC
// tag), appended to `out` without first copying the two into one buffer.
void append_frame(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> payload,
                  std::span<const std::uint8_t> trailer);

// Parses and bounds-checks a header: exactly frame_header_bytes bytes, known version, length
// at most payload_bytes_max. `offset` is where the header starts in its stream (for errors).
Result<FrameHeader> decode_frame_header(std::span<const std::uint8_t> header,
                                        std::uint32_t payload_bytes_max, std::uint64_t offset = 0);
// Checks a payload against its header (size and checksum).
Result<void> verify_frame_payload(const FrameHeader& header, std::span<const std::uint8_t> payload,
                                  std::uint64_t offset = 0);
// Decodes exactly one frame that fills `bytes` (trailing bytes are an error); returns its payload.
Result<std::vector<std::uint8_t>> decode_frame(std::span<const std::uint8_t> bytes,
                                               std::uint32_t payload_bytes_max);

// Incremental decoder for a byte stream: feed() what arrived, then next() until it returns
// nullopt (needs more bytes). The first error sticks: every later next() returns it again.
class FrameDecoder {
 public:
  explicit FrameDecoder(std::uint32_t payload_bytes_max = frame_payload_bytes_max_default)
      : payload_bytes_max_(payload_bytes_max) {}
  void feed(std::span<const std::uint8_t> bytes);
  Result<std::optional<std::vector<std::uint8_t>>> next();
  std::size_t buffered_bytes() const { return buffer_.size(); }
  std::uint64_t consumed_bytes() const { return consumed_; }

 private:
  std::uint32_t payload_bytes_max_;
  std::deque<std::uint8_t> buffer_;
  std::uint64_t consumed_ = 0;  // stream offset of buffer_.front()
  std::optional<Error> error_;
};

}  // namespace faultline::real
