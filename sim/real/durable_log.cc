#include "sim/real/durable_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "sim/real/durable_store.h"
#include "sim/real/frame.h"

namespace faultline::real {

namespace {

using durable_record::kind_delta;
using durable_record::kind_full;
using durable_record::op_copy;
using durable_record::op_insert;
// A copy op costs 9 bytes, so shorter matches are inserted instead.
constexpr std::size_t copy_bytes_min = 16;
// After a mismatch, how far ahead (in either value) the matcher looks for the two to agree again.
constexpr std::size_t resync_window = 48;

void put_u32(std::vector<std::uint8_t>& out, std::uint64_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

struct Reader {
  std::span<const std::uint8_t> bytes;
  std::size_t at = 0;
  bool ok = true;
  std::uint32_t u32() {
    if (bytes.size() - at < 4) {
      ok = false;
      return 0;
    }
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i)
      v |= static_cast<std::uint32_t>(bytes[at + static_cast<std::size_t>(i)]) << (8 * i);
    at += 4;
    return v;
  }
  std::uint8_t u8() {
    if (at >= bytes.size()) {
      ok = false;
      return 0;
    }
    return bytes[at++];
  }
};

Result<void> fsync_directory_of(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(dir, 0, errno_text("open directory"));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return fail(dir, 0, errno_text("fsync directory"));
  return {};
}

std::vector<std::uint8_t> full_record(std::span<const std::uint8_t> value) {
  std::vector<std::uint8_t> payload;
  payload.reserve(value.size() + 1);
  payload.push_back(kind_full);
  payload.insert(payload.end(), value.begin(), value.end());
  return payload;
}

}  // namespace

std::optional<std::vector<std::uint8_t>> encode_delta(std::span<const std::uint8_t> base,
                                                      std::span<const std::uint8_t> value) {
  std::vector<std::uint8_t> out;
  out.push_back(kind_delta);
  put_u32(out, value.size());
  std::size_t insert_from = 0;  // start of the pending insert in `value`
  std::size_t i = 0;            // in base
  std::size_t j = 0;            // in value
  const auto flush_insert = [&](std::size_t until) {
    if (until <= insert_from) return;
    out.push_back(op_insert);
    put_u32(out, until - insert_from);
    out.insert(out.end(), value.begin() + static_cast<std::ptrdiff_t>(insert_from),
               value.begin() + static_cast<std::ptrdiff_t>(until));
  };
  const auto matches = [&](std::size_t bi, std::size_t vj) {
    return bi + copy_bytes_min <= base.size() && vj + copy_bytes_min <= value.size() &&
           std::memcmp(base.data() + bi, value.data() + vj, copy_bytes_min) == 0;
  };
  while (j < value.size()) {
    // The longest run where both agree from here.
    const std::size_t run = static_cast<std::size_t>(
        std::mismatch(base.begin() + static_cast<std::ptrdiff_t>(std::min(i, base.size())),
                      base.end(), value.begin() + static_cast<std::ptrdiff_t>(j), value.end())
            .second -
        (value.begin() + static_cast<std::ptrdiff_t>(j)));
    if (run >= copy_bytes_min) {
      flush_insert(j);
      out.push_back(op_copy);
      put_u32(out, i);
      put_u32(out, run);
      i += run;
      j += run;
      insert_from = j;
      if (out.size() * 2 >= value.size() + 64) return std::nullopt;
      continue;
    }
    // Look a little ahead in both for where they agree again (a changed length field, a
    // replaced small value): the nearest (skip in value, skip in base) pair first.
    bool found = false;
    for (std::size_t d = 1; d <= 2 * resync_window && !found; ++d)
      for (std::size_t a = 0; a <= d && !found; ++a) {
        const std::size_t b = d - a;
        if (a > resync_window || b > resync_window) continue;
        if (matches(i + b, j + a)) {
          i += b;
          j += a;
          found = true;
        }
      }
    if (!found) {
      j = value.size();  // the rest goes in as it is
      break;
    }
  }
  flush_insert(value.size());
  if (out.size() * 2 >= value.size() + 64) return std::nullopt;
  return out;
}

Result<std::vector<std::uint8_t>> apply_delta(std::span<const std::uint8_t> base,
                                              std::span<const std::uint8_t> delta) {
  Reader in{delta};
  if (in.u8() != kind_delta) return fail("not a delta record");
  const std::uint32_t size = in.u32();
  if (!in.ok || size > durable_payload_bytes_max) return fail("delta: bad size");
  std::vector<std::uint8_t> out;
  out.reserve(size);
  while (in.ok && in.at < delta.size()) {
    const std::uint8_t op = in.u8();
    if (op == op_copy) {
      const std::uint32_t offset = in.u32();
      const std::uint32_t length = in.u32();
      if (!in.ok || std::uint64_t{offset} + length > base.size() || out.size() + length > size)
        return fail("delta: a copy outside the previous value at byte " + std::to_string(in.at));
      out.insert(out.end(), base.begin() + offset, base.begin() + offset + length);
    } else if (op == op_insert) {
      const std::uint32_t length = in.u32();
      if (!in.ok || delta.size() - in.at < length || out.size() + length > size)
        return fail("delta: an insert longer than the record at byte " + std::to_string(in.at));
      out.insert(out.end(), delta.begin() + static_cast<std::ptrdiff_t>(in.at),
                 delta.begin() + static_cast<std::ptrdiff_t>(in.at + length));
      in.at += length;
    } else {
      return fail("delta: unknown op " + std::to_string(op) + " at byte " +
                  std::to_string(in.at - 1));
    }
  }
  if (!in.ok || out.size() != size)
    return fail("delta: builds " + std::to_string(out.size()) + " bytes, not " +
                std::to_string(size));
  return out;
}

namespace {

// Whether every copy op of `delta` keeps its bytes where they are in `base` (offset == where the
// op writes), all within bounds: then the delta can be applied to `base` in place.
bool copies_in_place(std::span<const std::uint8_t> base, std::span<const std::uint8_t> delta) {
  Reader in{delta};
  if (in.u8() != kind_delta) return false;
  const std::uint32_t size = in.u32();
  std::uint64_t at = 0;  // where the next op writes
  while (in.ok && in.at < delta.size()) {
    const std::uint8_t op = in.u8();
    const std::uint32_t a = in.u32();
    if (op == op_copy) {
      const std::uint32_t length = in.u32();
      if (!in.ok || a != at || std::uint64_t{a} + length > base.size()) return false;
      at += length;
    } else if (op == op_insert) {
      if (!in.ok || delta.size() - in.at < a) return false;
      in.at += a;
      at += a;
    } else {
      return false;
    }
  }
  return in.ok && at == size;
}

}  // namespace

Result<void> apply_delta_in_place(std::vector<std::uint8_t>& value,
                                  std::span<const std::uint8_t> delta) {
  if (!copies_in_place(value, delta)) {
    auto next = apply_delta(value, delta);
    if (!next) return std::unexpected(next.error());
    value = std::move(*next);
    return {};
  }
  Reader in{delta};
  in.u8();
  const std::uint32_t size = in.u32();
  std::size_t at = 0;
  while (in.at < delta.size()) {  // verified by copies_in_place
    const std::uint8_t op = in.u8();
    if (op == op_copy) {
      in.u32();        // its offset: `at`
      at += in.u32();  // its length: the bytes are where they were
      continue;
    }
    const std::uint32_t length = in.u32();
    if (value.size() < at + length) value.resize(at + length);
    std::memcpy(value.data() + at, delta.data() + in.at, length);
    in.at += length;
    at += length;
  }
  value.resize(size);
  return {};
}

namespace {

// Applies one verified record (at byte `at`) to the value so far: a full value replaces it, a
// delta patches it.
Result<void> apply_record(const std::string& path, std::size_t at,
                          std::span<const std::uint8_t> payload,
                          std::optional<std::vector<std::uint8_t>>& value) {
  const std::string record = "record at byte " + std::to_string(at);
  if (payload.empty()) return fail(path, 0, record + " is empty");
  if (payload[0] == kind_full) {
    value.emplace(payload.begin() + 1, payload.end());
    return {};
  }
  if (payload[0] != kind_delta)
    return fail(path, 0, record + " has unknown kind " + std::to_string(payload[0]));
  if (!value) return fail(path, 0, record + " is a delta with no value before it");
  if (auto ok = apply_delta_in_place(*value, payload); !ok)
    return fail(path, 0, record + ": " + ok.error().what);
  return {};
}

// A torn write leaves a prefix of one frame, never a complete frame after it. A complete,
// checksummed record inside the "torn" bytes after `valid_bytes` means an earlier length field
// is damaged, and the file must not be trusted.
Result<void> check_torn_tail(const std::string& path, std::span<const std::uint8_t> bytes,
                             std::size_t valid_bytes) {
  for (std::size_t y = valid_bytes + 1; y + frame_header_bytes < bytes.size(); ++y) {
    auto decoded =
        decode_frame_header(bytes.subspan(y, frame_header_bytes), durable_payload_bytes_max, y);
    if (!decoded || decoded->payload_bytes == 0 ||
        bytes.size() - y - frame_header_bytes < decoded->payload_bytes)
      continue;
    const auto payload = bytes.subspan(y + frame_header_bytes, decoded->payload_bytes);
    if (verify_frame_payload(*decoded, payload, y))
      return fail(path, 0,
                  "the record at byte " + std::to_string(valid_bytes) +
                      " claims more bytes than the file holds, but a complete record follows at "
                      "byte " +
                      std::to_string(y) +
                      ": the file is damaged (a crash during a write leaves no record after the "
                      "torn one)");
  }
  return {};
}

}  // namespace

Result<DurableLogContents> read_durable_log(const std::string& path) {
  auto bytes = read_file_bytes(path);
  if (!bytes) return std::unexpected(bytes.error());
  const std::size_t magic_bytes = sizeof durable_log_magic;
  if (bytes->size() < magic_bytes)
    return fail(
        path, 0,
        "truncated: " + std::to_string(bytes->size()) + " bytes, shorter than the 8-byte magic");
  if (!std::equal(std::begin(durable_log_magic), std::end(durable_log_magic), bytes->begin()))
    return fail(path, 0, "not a faultline durable log (bad magic)");
  DurableLogContents contents;
  std::size_t at = magic_bytes;
  while (at < bytes->size()) {
    const std::size_t left = bytes->size() - at;
    if (left < frame_header_bytes) {  // the file ends inside a record's header: a torn append
      contents.torn_bytes = left;
      break;
    }
    const std::span<const std::uint8_t> header(bytes->data() + at, frame_header_bytes);
    auto decoded = decode_frame_header(header, durable_payload_bytes_max, at);
    if (!decoded) return fail(path, 0, decoded.error().where + ": " + decoded.error().what);
    if (left < frame_header_bytes + decoded->payload_bytes) {  // ends inside the payload: torn
      contents.torn_bytes = left;
      break;
    }
    const std::span<const std::uint8_t> payload(bytes->data() + at + frame_header_bytes,
                                                decoded->payload_bytes);
    if (auto ok = verify_frame_payload(*decoded, payload, at); !ok)
      return fail(path, 0, ok.error().where + ": " + ok.error().what);
    if (auto ok = apply_record(path, at, payload, contents.value); !ok)
      return std::unexpected(ok.error());
    at += frame_header_bytes + decoded->payload_bytes;
    contents.records += 1;
  }
  contents.valid_bytes = at;
  if (contents.torn_bytes > 0)
    if (auto ok = check_torn_tail(path, *bytes, at); !ok) return std::unexpected(ok.error());
  return contents;
}

DurableLog::~DurableLog() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::optional<std::vector<std::uint8_t>>> DurableLog::recover() {
  struct stat info {};
  if (::stat(path_.c_str(), &info) != 0) {
    if (errno != ENOENT) return fail(path_, 0, errno_text("stat"));
    // First start: an empty log, made durable (file and directory entry) before anything else.
    if (auto ok = compact({}); !ok) return std::unexpected(ok.error());
    has_value_ = false;
    return std::optional<std::vector<std::uint8_t>>{};
  }
  auto contents = read_durable_log(path_);
  if (!contents) return std::unexpected(contents.error());
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd_ < 0) return fail(path_, 0, errno_text("open"));
  torn_bytes_ = contents->torn_bytes;
  if (contents->torn_bytes > 0) {  // cut the torn record off, durably, before appending after it
    if (::ftruncate(fd_, static_cast<off_t>(contents->valid_bytes)) != 0)
      return fail(path_, 0, errno_text("ftruncate"));
    if (::fsync(fd_) != 0) return fail(path_, 0, errno_text("fsync"));
  }
  size_ = contents->valid_bytes;
  has_value_ = contents->value.has_value();
  if (has_value_) last_ = *contents->value;
  return contents->value;
}

Result<void> DurableLog::write_record(std::span<const std::uint8_t> record) {
  std::vector<std::uint8_t> frame;
  append_frame(frame, record);
  if (auto ok = write_all(fd_, frame, path_); !ok) return ok;
  if (::fdatasync(fd_) != 0) return fail(path_, 0, errno_text("fdatasync"));
  size_ += frame.size();
  written_bytes_ += frame.size();
  return {};
}

Result<void> DurableLog::append(std::span<const std::uint8_t> value) {
  if (value.size() > durable_payload_bytes_max)
    return fail(path_, 0,
                "durable state of " + std::to_string(value.size()) + " bytes exceeds the bound");
  if (fd_ < 0) return fail(path_, 0, "append before recover()");
  ++appends_;
  if (size_ > std::max<std::uint64_t>(compact_bytes_min_, 4 * std::uint64_t{value.size()}))
    return compact(value);
  std::optional<std::vector<std::uint8_t>> delta;
  if (has_value_) delta = encode_delta(last_, value);
  if (auto ok = write_record(delta ? std::span<const std::uint8_t>(*delta)
                                   : std::span<const std::uint8_t>(full_record(value)));
      !ok)
    return ok;
  last_.assign(value.begin(), value.end());
  has_value_ = true;
  return {};
}

Result<void> DurableLog::append_delta(std::span<const std::uint8_t> delta,
                                      std::uint64_t value_bytes) {
  if (value_bytes > durable_payload_bytes_max)
    return fail(path_, 0,
                "durable state of " + std::to_string(value_bytes) + " bytes exceeds the bound");
  if (fd_ < 0) return fail(path_, 0, "append before recover()");
  if (!has_value_) return fail(path_, 0, "a delta with no value before it");
  if (delta.empty() || delta[0] != kind_delta) return fail(path_, 0, "not a delta record");
  ++appends_;
  // The value kept in memory follows in place: O(the delta) for a log that grew at its end.
  if (auto ok = apply_delta_in_place(last_, delta); !ok) return fail(path_, 0, ok.error().what);
  if (last_.size() != value_bytes) return fail(path_, 0, "delta: builds the wrong size");
  if (size_ > std::max<std::uint64_t>(compact_bytes_min_, 4 * value_bytes)) return compact(last_);
  return write_record(delta);
}

// Rewrites the file as the magic and (unless `value` is the empty first-start log) one full
// record, atomically: temp file, fsync, rename, fsync the directory.
Result<void> DurableLog::compact(std::span<const std::uint8_t> value) {
  const bool first_start = fd_ < 0 && !has_value_ && value.empty();
  std::vector<std::uint8_t> contents(std::begin(durable_log_magic), std::end(durable_log_magic));
  if (!first_start) append_frame(contents, full_record(value));
  const std::string temp = path_ + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail(temp, 0, errno_text("open"));
  auto ok = write_all(fd, contents, temp);
  if (ok && ::fsync(fd) != 0) ok = fail(temp, 0, errno_text("fsync"));
  ::close(fd);
  if (!ok) return ok;
  if (::rename(temp.c_str(), path_.c_str()) != 0) return fail(path_, 0, errno_text("rename"));
  if (auto synced = fsync_directory_of(path_); !synced) return synced;
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd_ < 0) return fail(path_, 0, errno_text("open"));
  size_ = contents.size();
  written_bytes_ += contents.size();
  if (!first_start) {
    ++compactions_;
    last_.assign(value.begin(), value.end());
    has_value_ = true;
  }
  return {};
}

}  // namespace faultline::real
