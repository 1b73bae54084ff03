// DurableStore: one value kept in one file, replaced atomically and made durable before
// write() returns (the socket runtime's disk; the simulator's is a vector).
//
// File format: the 8-byte magic "FLDURBL1", then one frame (frame.h) whose payload is the
// codec encoding of the value. write(): write `<file>.tmp`, fsync it, rename it over `<file>`,
// fsync the directory, so after a crash at any instant the file holds either the old value or
// the new one, never a mix. read(): a missing file is "nothing persisted yet"; a file that is
// truncated, has the wrong magic, fails its checksum or does not decode is an Error naming the
// file and the byte, never silently treated as empty (that would lose votes).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sim/core/codec.h"
#include "sim/core/result.h"

namespace faultline::real {

// "what: <strerror(errno)>", for errors from system calls.
std::string errno_text(const char* what);
// Writes every byte (retrying short writes and EINTR); errors name `path`.
Result<void> write_all(int fd, std::span<const std::uint8_t> bytes, const std::string& path);

inline constexpr char durable_magic[8] = {'F', 'L', 'D', 'U', 'R', 'B', 'L', '1'};
inline constexpr std::uint32_t durable_payload_bytes_max = 256u << 20;

class DurableStore {
 public:
  explicit DurableStore(std::string path) : path_(std::move(path)) {}
  const std::string& path() const { return path_; }

  Result<void> write_bytes(std::span<const std::uint8_t> payload) const;
  // nullopt: no file (first start).
  Result<std::optional<std::vector<std::uint8_t>>> read_bytes() const;

  template <class T>
  Result<void> write(const T& value) const {
    return write_bytes(encode_to_bytes(value));
  }
  template <class T>
  Result<std::optional<T>> read() const {
    auto bytes = read_bytes();
    if (!bytes) return std::unexpected(bytes.error());
    if (!*bytes) return std::optional<T>{};
    auto value = decode_from_bytes<T>(**bytes);
    if (!value) return fail(path_, 0, "payload does not decode: " + value.error().to_string());
    return std::optional<T>{std::move(*value)};
  }

 private:
  std::string path_;
};

// Reads a whole file; an Error names the path and the errno text.
Result<std::vector<std::uint8_t>> read_file_bytes(const std::string& path);
// Creates a directory and its parents (like mkdir -p).
Result<void> make_directories(const std::string& path);

}  // namespace faultline::real
