#include "sim/real/frame.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

#include "sim/core/assert.h"

namespace faultline::real {

namespace {

void put_u32(std::uint8_t* out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint32_t get_u32(const std::uint8_t* in) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(in[i]) << (8 * i);
  return v;
}

std::string at(std::uint64_t offset) { return "frame at byte " + std::to_string(offset); }

// CRC32C over bytes, continuing from register `crc` (pre- and post-inverted by the callers).
// x86-64 CPUs with SSE4.2 have an instruction for it, 8 bytes at a time, many times faster than
// a table; the byte-at-a-time table (reflected polynomial 0x82F63B78) is the fallback and the
// reference (frame_test checks both against the standard check value and each other). The
// choice is made once, at the first call.
std::uint32_t crc32c_table(std::uint32_t crc, const std::uint8_t* data, std::size_t size) {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) != 0 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  while (size-- > 0) crc = table[(crc ^ *data++) & 0xFFu] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(std::uint32_t crc,
                                                             const std::uint8_t* data,
                                                             std::size_t size) {
  std::uint64_t wide = crc;
  while (size >= 8) {
    std::uint64_t word;
    std::memcpy(&word, data, 8);
    wide = _mm_crc32_u64(wide, word);
    data += 8;
    size -= 8;
  }
  crc = static_cast<std::uint32_t>(wide);
  while (size-- > 0) crc = _mm_crc32_u8(crc, *data++);
  return crc;
}
#endif

std::uint32_t crc32c_update(std::uint32_t crc, const std::uint8_t* data, std::size_t size) {
#if defined(__x86_64__)
  static const bool sse42 = __builtin_cpu_supports("sse4.2");
  if (sse42) return crc32c_sse42(crc, data, size);
#endif
  return crc32c_table(crc, data, size);
}

std::uint32_t frame_checksum(std::uint8_t version, std::span<const std::uint8_t> payload,
                             std::span<const std::uint8_t> trailer = {}) {
  std::uint32_t crc = crc32c_update(0xFFFFFFFFu, &version, 1);
  crc = crc32c_update(crc, payload.data(), payload.size());
  crc = crc32c_update(crc, trailer.data(), trailer.size());
  return ~crc;
}

void append_header(std::vector<std::uint8_t>& out, std::size_t payload_bytes, std::uint8_t version,
                   std::uint32_t checksum) {
  FL_ASSERT(payload_bytes <= 0xFFFFFFFFu, "a frame payload must fit a u32 length");
  std::uint8_t header[frame_header_bytes];
  put_u32(header, static_cast<std::uint32_t>(payload_bytes));
  header[4] = version;
  put_u32(header + 5, checksum);
  out.insert(out.end(), header, header + frame_header_bytes);
}

}  // namespace

std::uint32_t crc32c(std::span<const std::uint8_t> bytes) {
  return ~crc32c_update(0xFFFFFFFFu, bytes.data(), bytes.size());
}

std::uint32_t crc32c_portable(std::span<const std::uint8_t> bytes) {
  return ~crc32c_table(0xFFFFFFFFu, bytes.data(), bytes.size());
}

std::vector<std::uint8_t> encode_frame(std::span<const std::uint8_t> payload,
                                       std::uint8_t version) {
  std::vector<std::uint8_t> frame;
  append_frame(frame, payload, version);
  return frame;
}

void append_frame(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> payload,
                  std::uint8_t version) {
  append_header(out, payload.size(), version, frame_checksum(version, payload));
  out.insert(out.end(), payload.begin(), payload.end());
}

void append_frame(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> payload,
                  std::span<const std::uint8_t> trailer) {
  append_header(out, payload.size() + trailer.size(), frame_version,
                frame_checksum(frame_version, payload, trailer));
  out.insert(out.end(), payload.begin(), payload.end());
  out.insert(out.end(), trailer.begin(), trailer.end());
}

Result<FrameHeader> decode_frame_header(std::span<const std::uint8_t> header,
                                        std::uint32_t payload_bytes_max, std::uint64_t offset) {
  if (header.size() != frame_header_bytes)
    return fail(at(offset), 0,
                "header is " + std::to_string(header.size()) + " bytes, expected " +
                    std::to_string(frame_header_bytes));
  FrameHeader h{get_u32(header.data()), header[4], get_u32(header.data() + 5)};
  if (h.version != frame_version)
    return fail(at(offset), 0,
                "unknown frame version " + std::to_string(h.version) + " (this build speaks " +
                    std::to_string(frame_version) + ")");
  if (h.payload_bytes > payload_bytes_max)
    return fail(at(offset), 0,
                "payload length " + std::to_string(h.payload_bytes) + " exceeds the bound of " +
                    std::to_string(payload_bytes_max) + " bytes");
  return h;
}

Result<void> verify_frame_payload(const FrameHeader& header, std::span<const std::uint8_t> payload,
                                  std::uint64_t offset) {
  if (payload.size() != header.payload_bytes)
    return fail(at(offset), 0,
                "truncated: " + std::to_string(payload.size()) + " of " +
                    std::to_string(header.payload_bytes) + " payload bytes");
  const std::uint32_t actual = frame_checksum(header.version, payload);
  if (actual != header.checksum)
    return fail(at(offset), 0,
                "checksum mismatch (header says " + std::to_string(header.checksum) +
                    ", payload hashes to " + std::to_string(actual) + ")");
  return {};
}

Result<std::vector<std::uint8_t>> decode_frame(std::span<const std::uint8_t> bytes,
                                               std::uint32_t payload_bytes_max) {
  if (bytes.size() < frame_header_bytes)
    return fail(at(0), 0,
                "truncated: " + std::to_string(bytes.size()) + " bytes, a header needs " +
                    std::to_string(frame_header_bytes));
  auto header = decode_frame_header(bytes.first(frame_header_bytes), payload_bytes_max);
  if (!header) return std::unexpected(header.error());
  const auto rest = bytes.subspan(frame_header_bytes);
  if (rest.size() > header->payload_bytes)
    return fail(
        at(0), 0,
        std::to_string(rest.size() - header->payload_bytes) + " trailing bytes after the frame");
  if (auto ok = verify_frame_payload(*header, rest); !ok) return std::unexpected(ok.error());
  return std::vector<std::uint8_t>(rest.begin(), rest.end());
}

void FrameDecoder::feed(std::span<const std::uint8_t> bytes) {
  if (error_) return;  // a broken stream stays broken; don't buffer what nobody will read
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

Result<std::optional<std::vector<std::uint8_t>>> FrameDecoder::next() {
  if (error_) return std::unexpected(*error_);
  if (buffer_.size() < frame_header_bytes) return std::optional<std::vector<std::uint8_t>>{};
  std::array<std::uint8_t, frame_header_bytes> raw{};
  std::copy_n(buffer_.begin(), frame_header_bytes, raw.begin());
  auto header = decode_frame_header(raw, payload_bytes_max_, consumed_);
  if (!header) {
    error_ = header.error();
    return std::unexpected(*error_);
  }
  if (buffer_.size() - frame_header_bytes < header->payload_bytes)
    return std::optional<std::vector<std::uint8_t>>{};
  const auto begin = buffer_.begin() + frame_header_bytes;
  std::vector<std::uint8_t> payload(begin, begin + header->payload_bytes);
  if (auto ok = verify_frame_payload(*header, payload, consumed_); !ok) {
    error_ = ok.error();
    return std::unexpected(*error_);
  }
  buffer_.erase(buffer_.begin(), begin + header->payload_bytes);
  consumed_ += frame_header_bytes + header->payload_bytes;
  return std::optional<std::vector<std::uint8_t>>{std::move(payload)};
}

}  // namespace faultline::real
