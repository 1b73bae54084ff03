// DurableLog: every appended value reads back (also after reopening), deltas rebuild exactly,
// a torn final record is dropped and cut off, and damage is an Error naming the file.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "sim/real/durable_log.h"
#include "sim/real/durable_store.h"
#include "sim/real/frame.h"
#include "tests/support/real_support.h"

using namespace faultline;
using namespace faultline::real;
using faultline::real::testing::TempDir;

namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes read_all(const std::string& path) {
  auto bytes = read_file_bytes(path);
  REQUIRE(bytes.has_value());
  return *bytes;
}
void write_all(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

// A value that grows like a log: a header with a counter, then entries, one appended per step.
Bytes log_like(int entries) {
  Bytes v{'h',
          'e',
          'a',
          'd',
          static_cast<std::uint8_t>(entries),
          static_cast<std::uint8_t>(entries >> 8)};
  for (int i = 0; i < entries; ++i)
    for (int k = 0; k < 40; ++k) v.push_back(static_cast<std::uint8_t>(i * 7 + k));
  return v;
}

}  // namespace

TEST_CASE("durable log: a growing value is stored as small deltas and reads back after reopening") {
  TempDir dir;
  const std::string path = dir.path + "/durable.log";
  {
    DurableLog log(path);
    auto first = log.recover();
    REQUIRE(first.has_value());
    CHECK_FALSE(first->has_value());  // a new, empty log
    for (int n = 1; n <= 200; ++n) REQUIRE(log.append(log_like(n)).has_value());
    // Each append of one 40-byte entry costs a delta of well under 100 bytes, not the whole value.
    CHECK(log.written_bytes() < 200 * 100 + 8 + 64);
    CHECK(log.compactions() == 0);
  }
  auto contents = read_durable_log(path);
  REQUIRE(contents.has_value());
  REQUIRE(contents->value.has_value());
  CHECK(*contents->value == log_like(200));
  CHECK(contents->torn_bytes == 0);
  DurableLog reopened(path);
  auto value = reopened.recover();
  REQUIRE(value.has_value());
  REQUIRE(value->has_value());
  CHECK(**value == log_like(200));
  REQUIRE(reopened.append(log_like(201)).has_value());
  CHECK(*read_durable_log(path)->value == log_like(201));
}

TEST_CASE("durable log: a file past its bound is compacted to one full record") {
  TempDir dir;
  const std::string path = dir.path + "/durable.log";
  DurableLog log(path, /*compact_bytes_min=*/4096);
  REQUIRE(log.recover().has_value());
  Bytes value(1000, 7);
  for (int i = 0; i < 200; ++i) {
    value[static_cast<std::size_t>(i * 5) % value.size()] ^= 0xff;  // one byte changes each time
    REQUIRE(log.append(value).has_value());
  }
  CHECK(log.compactions() > 0);
  CHECK(log.file_bytes() <= 4096 + 1200);
  CHECK(*read_durable_log(path)->value == value);
}

TEST_CASE("durable log: deltas rebuild any edit exactly") {
  rc::prop("apply_delta(base, encode_delta(base, value)) == value",
           [](const Bytes& base, const Bytes& middle, std::uint8_t cut) {
             // value: base with a region replaced by `middle` and something appended (the common
             // shapes).
             Bytes value(base.begin(), base.begin() + static_cast<std::ptrdiff_t>(
                                                          std::min<std::size_t>(cut, base.size())));
             value.insert(value.end(), middle.begin(), middle.end());
             value.insert(value.end(),
                          base.begin() +
                              static_cast<std::ptrdiff_t>(std::min<std::size_t>(cut, base.size())),
                          base.end());
             value.insert(value.end(), middle.begin(), middle.end());
             const auto delta = encode_delta(base, value);
             if (delta) {
               auto rebuilt = apply_delta(base, *delta);
               RC_ASSERT(rebuilt.has_value());
               RC_ASSERT(*rebuilt == value);
               Bytes in_place = base;  // the same value, in place when the copies allow it
               RC_ASSERT(apply_delta_in_place(in_place, *delta).has_value());
               RC_ASSERT(in_place == value);
             }
           });
  rc::prop("a sequence of random values reads back as the last one",
           [](const std::vector<Bytes>& values) {
             TempDir dir;
             const std::string path = dir.path + "/durable.log";
             DurableLog log(path, 2048);
             RC_ASSERT(log.recover().has_value());
             for (const Bytes& v : values) RC_ASSERT(log.append(v).has_value());
             auto contents = read_durable_log(path);
             RC_ASSERT(contents.has_value());
             if (values.empty())
               RC_ASSERT(!contents->value.has_value());
             else
               RC_ASSERT(*contents->value == values.back());
           });
}

TEST_CASE("durable log: a torn final record is dropped and cut off, and the log goes on after it") {
  TempDir dir;
  const std::string path = dir.path + "/durable.log";
  {
    DurableLog log(path);
    REQUIRE(log.recover().has_value());
    for (int n = 1; n <= 5; ++n) REQUIRE(log.append(log_like(n)).has_value());
  }
  const Bytes five = read_all(path);
  {
    DurableLog log(path);
    REQUIRE(log.recover().has_value());
    REQUIRE(log.append(log_like(6)).has_value());
  }
  const Bytes six = read_all(path);
  REQUIRE(six.size() > five.size());
  // A crash during the sixth append leaves any prefix of its record.
  for (std::size_t length = five.size() + 1; length < six.size(); ++length) {
    INFO("cut at " << length);
    write_all(path, Bytes(six.begin(), six.begin() + static_cast<std::ptrdiff_t>(length)));
    DurableLog log(path);
    auto value = log.recover();
    REQUIRE(value.has_value());
    REQUIRE(value->has_value());
    CHECK(**value == log_like(5));
    CHECK(log.recovered_torn_bytes() == length - five.size());
    CHECK(std::filesystem::file_size(path) == five.size());
    REQUIRE(log.append(log_like(7)).has_value());
    CHECK(*read_durable_log(path)->value == log_like(7));
  }
}

TEST_CASE(
    "durable log: every flipped bit is an Error naming the file, or (only in the last length) a "
    "dropped last record") {
  TempDir dir;
  const std::string path = dir.path + "/durable.log";
  {
    DurableLog log(path);
    REQUIRE(log.recover().has_value());
    for (int n = 1; n <= 3; ++n) REQUIRE(log.append(log_like(n)).has_value());
  }
  const Bytes good = read_all(path);
  // Where the last record starts: the file as it was after two appends.
  std::size_t last_start = 0;
  {
    auto contents = read_durable_log(path);
    REQUIRE(contents.has_value());
    REQUIRE(contents->records == 3);
  }
  {
    TempDir other;
    DurableLog log(other.path + "/d.log");
    REQUIRE(log.recover().has_value());
    for (int n = 1; n <= 2; ++n) REQUIRE(log.append(log_like(n)).has_value());
    last_start = log.file_bytes();
  }
  for (std::size_t byte = 0; byte < good.size(); ++byte)
    for (int bit = 0; bit < 8; ++bit) {
      Bytes bad = good;
      bad[byte] ^= static_cast<std::uint8_t>(1 << bit);
      write_all(path, bad);
      auto contents = read_durable_log(path);
      const bool in_last_length = byte >= last_start && byte < last_start + 4;
      INFO("byte " << byte << " bit " << bit);
      if (contents.has_value()) {
        // Never a wrong value: only the last record's length can make it look torn.
        CHECK(in_last_length);
        REQUIRE(contents->value.has_value());
        CHECK(*contents->value == log_like(2));
      } else {
        CHECK(contents.error().where == path);
      }
    }
}

TEST_CASE("durable log: a damaged length before the end is not mistaken for a torn write") {
  TempDir dir;
  const std::string path = dir.path + "/durable.log";
  {
    DurableLog log(path);
    REQUIRE(log.recover().has_value());
    for (int n = 1; n <= 3; ++n) REQUIRE(log.append(log_like(n)).has_value());
  }
  Bytes bad = read_all(path);
  bad[8 + 3] = 0x00;  // the first record's length, top byte: still sane
  bad[8 + 2] = 0x7f;  // ... but far beyond the end of the file
  write_all(path, bad);
  auto contents = read_durable_log(path);
  REQUIRE_FALSE(contents.has_value());
  CHECK(contents.error().where == path);
  CHECK_THAT(contents.error().what, Catch::Contains("damaged"));
}

TEST_CASE("durable log: bad magic and short files are Errors") {
  TempDir dir;
  const std::string path = dir.path + "/durable.log";
  write_all(path, Bytes{'F', 'L', 'D'});
  CHECK_THAT(read_durable_log(path).error().what, Catch::Contains("truncated"));
  write_all(path, Bytes{'F', 'L', 'D', 'U', 'R', 'B', 'L', '1', 0, 0});
  CHECK_THAT(read_durable_log(path).error().what, Catch::Contains("bad magic"));
  DurableLog log(path);
  CHECK_FALSE(log.recover().has_value());
}
