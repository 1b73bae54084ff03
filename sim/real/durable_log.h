// DurableLog: one value (a protocol's whole Durable, codec-encoded) kept in an append-only file,
// so that making a new version durable costs one small append and one fdatasync, not a rewrite of
// the whole state (the socket runtime's disk for large Durables such as a Raft log).
//
// File format: the 8-byte magic "FLDURLG1", then records, each one frame (frame.h) whose payload
// is a kind byte and a body:
//   1 full:  the value's bytes;
//   2 delta: u32 size of the new value, then ops that build it from the previous value:
//            1 copy   u32 offset, u32 length   (bytes of the previous value)
//            2 insert u32 length, bytes
// The value is the last record's result. append() writes a delta (found by a greedy matcher
// that handles a few small edits and appends, which is what a log that grows looks like) or,
// when the delta is not smaller than half the value, the value whole; when the file grows past
// max(compact_bytes_min, 4 x the value) it is rewritten to one full record (temp file, fsync,
// rename, fsync the directory), so the file stays within a constant factor of the value.
//
// Crash safety: a record is durable once append() returns (write, then fdatasync). A crash during
// an append leaves the file ending inside that record; recover() drops such a torn final record
// (it was never acknowledged) and cuts it off before appending again. Anything else that does
// not verify (bad magic, a complete record with a bad checksum or an unknown kind, a delta that
// reads outside its base) is an Error naming the file and byte, never silently an empty state;
// so is a "torn" record with a complete record after it (an earlier length field is damaged: a
// crash leaves nothing after the torn record). The one case the format cannot tell from a torn
// write is a bit flip in the length field of the LAST record that makes it claim more bytes than
// the file holds: that record is then dropped.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sim/core/codec.h"
#include "sim/core/result.h"

namespace faultline::real {

inline constexpr char durable_log_magic[8] = {'F', 'L', 'D', 'U', 'R', 'L', 'G', '1'};

// The record format's bytes (see the banner), for encoders that build delta records themselves
// (durable_delta.h).
namespace durable_record {
inline constexpr std::uint8_t kind_full = 1;
inline constexpr std::uint8_t kind_delta = 2;
inline constexpr std::uint8_t op_copy = 1;
inline constexpr std::uint8_t op_insert = 2;
}  // namespace durable_record

// What reading a log file found.
struct DurableLogContents {
  std::optional<std::vector<std::uint8_t>> value;  // nullopt: no record yet
  std::uint64_t valid_bytes = 0;                   // where the last complete record ends
  std::uint64_t torn_bytes = 0;  // bytes of a torn final record after it (0: none)
  std::uint64_t records = 0;
};

// Reads a log file's contents without changing it; a missing file is an Error (see recover()).
Result<DurableLogContents> read_durable_log(const std::string& path);

// The delta record (kind byte included) that turns `base` into `value`, or nullopt when writing
// `value` whole is about as small. Exposed for tests.
std::optional<std::vector<std::uint8_t>> encode_delta(std::span<const std::uint8_t> base,
                                                      std::span<const std::uint8_t> value);
Result<std::vector<std::uint8_t>> apply_delta(std::span<const std::uint8_t> base,
                                              std::span<const std::uint8_t> delta);
// apply_delta into `value` itself: in place, in time proportional to the delta, when every copy
// op leaves its bytes where they are (a log that grew or changed at its end: what DeltaEncoder
// builds while the value's header keeps its length), else through a new buffer. Recovery applies
// every record so, and append_delta() keeps the value in memory so: a run of n small deltas costs
// their bytes, not n times the value.
Result<void> apply_delta_in_place(std::vector<std::uint8_t>& value,
                                  std::span<const std::uint8_t> delta);

class DurableLog {
 public:
  explicit DurableLog(std::string path, std::uint64_t compact_bytes_min = 1u << 20)
      : path_(std::move(path)), compact_bytes_min_(compact_bytes_min) {}
  DurableLog(const DurableLog&) = delete;
  DurableLog& operator=(const DurableLog&) = delete;
  ~DurableLog();

  const std::string& path() const { return path_; }

  // Opens the file for appending (creating it, durably, if missing) and returns the value it
  // holds (nullopt: none yet). A torn final record is cut off.
  Result<std::optional<std::vector<std::uint8_t>>> recover();
  // Makes `value` the durable value: one record appended and fdatasync'd (or a compaction).
  Result<void> append(std::span<const std::uint8_t> value);
  // Makes durable the value that `delta` (a delta record against the current value, such as
  // DeltaEncoder builds: its cost grows with the change, not the value) turns the current value
  // into; `value_bytes` is that value's size, checked against what the delta builds.
  Result<void> append_delta(std::span<const std::uint8_t> delta, std::uint64_t value_bytes);

  std::uint64_t file_bytes() const { return size_; }
  std::uint64_t recovered_torn_bytes() const { return torn_bytes_; }
  std::uint64_t appends() const { return appends_; }
  std::uint64_t written_bytes() const { return written_bytes_; }
  std::uint64_t compactions() const { return compactions_; }

  // Reads the value of a log file (for tests and tools; the file is not changed).
  template <class T>
  static Result<std::optional<T>> read(const std::string& path) {
    auto contents = read_durable_log(path);
    if (!contents) return std::unexpected(contents.error());
    if (!contents->value) return std::optional<T>{};
    auto value = decode_from_bytes<T>(*contents->value);
    if (!value) return fail(path, 0, "value does not decode: " + value.error().to_string());
    return std::optional<T>{std::move(*value)};
  }

 private:
  Result<void> compact(std::span<const std::uint8_t> value);
  Result<void> write_record(std::span<const std::uint8_t> record);

  std::string path_;
  std::uint64_t compact_bytes_min_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::vector<std::uint8_t> last_;  // the value the file ends with
  bool has_value_ = false;
  std::uint64_t torn_bytes_ = 0;
  std::uint64_t appends_ = 0;
  std::uint64_t written_bytes_ = 0;
  std::uint64_t compactions_ = 0;
};

}  // namespace faultline::real
