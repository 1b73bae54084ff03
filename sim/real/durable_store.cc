#include "sim/real/durable_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "sim/real/frame.h"

namespace faultline::real {

namespace {

// Closes a file descriptor on every path out of a function.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

Result<void> write_all(int fd, std::span<const std::uint8_t> bytes, const std::string& path) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(path, 0, errno_text("write"));
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

Result<std::vector<std::uint8_t>> read_file_bytes(const std::string& path) {
  Fd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) return fail(path, 0, errno_text("open"));
  std::vector<std::uint8_t> bytes;
  std::uint8_t chunk[1 << 16];
  for (;;) {
    const ssize_t n = ::read(file.fd, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(path, 0, errno_text("read"));
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), chunk, chunk + n);
    if (bytes.size() > durable_payload_bytes_max + 64u)
      return fail(path, 0, "file is larger than any durable state");
  }
  return bytes;
}

Result<void> make_directories(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return fail(path, 0, "cannot create directory: " + ec.message());
  return {};
}

Result<void> DurableStore::write_bytes(std::span<const std::uint8_t> payload) const {
  if (payload.size() > durable_payload_bytes_max)
    return fail(path_, 0,
                "durable state of " + std::to_string(payload.size()) + " bytes exceeds the bound");
  std::vector<std::uint8_t> contents(std::begin(durable_magic), std::end(durable_magic));
  const auto frame = encode_frame(payload);
  contents.insert(contents.end(), frame.begin(), frame.end());

  const std::string temp = path_ + ".tmp";
  {
    Fd file{::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
    if (file.fd < 0) return fail(temp, 0, errno_text("open"));
    if (auto ok = write_all(file.fd, contents, temp); !ok) return ok;
    if (::fsync(file.fd) != 0) return fail(temp, 0, errno_text("fsync"));
  }
  if (::rename(temp.c_str(), path_.c_str()) != 0) return fail(path_, 0, errno_text("rename"));
  // The rename is durable only once the directory entry is.
  std::string dir = std::filesystem::path(path_).parent_path().string();
  if (dir.empty()) dir = ".";
  Fd directory{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (directory.fd < 0) return fail(dir, 0, errno_text("open directory"));
  if (::fsync(directory.fd) != 0) return fail(dir, 0, errno_text("fsync directory"));
  return {};
}

Result<std::optional<std::vector<std::uint8_t>>> DurableStore::read_bytes() const {
  struct stat info {};
  if (::stat(path_.c_str(), &info) != 0) {
    if (errno == ENOENT) return std::optional<std::vector<std::uint8_t>>{};
    return fail(path_, 0, errno_text("stat"));
  }
  auto contents = read_file_bytes(path_);
  if (!contents) return std::unexpected(contents.error());
  const std::size_t magic_bytes = sizeof durable_magic;
  if (contents->size() < magic_bytes + frame_header_bytes)
    return fail(path_, 0,
                "truncated: " + std::to_string(contents->size()) + " bytes, shorter than the " +
                    std::to_string(magic_bytes + frame_header_bytes) + "-byte header");
  if (!std::equal(std::begin(durable_magic), std::end(durable_magic), contents->begin()))
    return fail(path_, 0, "not a faultline durable state file (bad magic)");
  const std::span<const std::uint8_t> framed(contents->data() + magic_bytes,
                                             contents->size() - magic_bytes);
  auto payload = decode_frame(framed, durable_payload_bytes_max);
  if (!payload) {
    Error e = payload.error();
    return fail(path_, 0, e.where + " after the magic: " + e.what);
  }
  return std::optional<std::vector<std::uint8_t>>{std::move(*payload)};
}

}  // namespace faultline::real
