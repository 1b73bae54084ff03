// DeltaEncoder: whatever a Durable with chunked logs went through (appends, truncations, front
// drops, insertions in the middle, a second log, a copy kept elsewhere), the bytes each delta
// builds from the previous value are exactly encode_to_bytes of the new value; an append costs
// a record of the new entries, not the value; and a DurableLog fed its records (compactions
// included) reads back the last value after reopening.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <string>

#include "sim/core/chunked_vector.h"
#include "sim/core/codec.h"
#include "sim/real/durable_delta.h"
#include "sim/real/durable_log.h"
#include "tests/support/real_support.h"

using namespace faultline;
using namespace faultline::real;
using faultline::real::testing::TempDir;

namespace {

using Bytes = std::vector<std::uint8_t>;

// A Durable shaped like the protocols': a header, a log of variable-length entries, and a second
// log (a node could hold two).
struct TwoLogs {
  static constexpr std::string_view type_name = "TwoLogs";
  std::uint64_t term = 0;
  ChunkedVector<std::string> log;
  ChunkedVector<std::uint32_t> other;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("term", self.term);
    visit("log", self.log);
    visit("other", self.other);
  }
  friend bool operator==(const TwoLogs&, const TwoLogs&) = default;
};

// One step of a script: what a protocol does to its Durable between two persists.
void step(TwoLogs& value, std::uint8_t op, int& counter) {
  switch (op % 7) {
    case 0:
    case 1:
      // Up to 90 at a time, or up to 4,500 (a block holds 4,096).
      for (int i = 0; i < (1 + op % 90) * (op >= 200 ? 50 : 1); ++i)
        value.log.push_back("e" + std::to_string(++counter));
      break;
    case 2: value.log.truncate(value.log.size() - op % (value.log.size() + 1)); break;
    case 3: value.log.drop_front(op % (value.log.size() + 1)); break;
    case 4: {  // an insertion in the middle: the tail is rewritten (write_concern's Store)
      const std::size_t at = op % (value.log.size() + 1);
      std::vector<std::string> tail(value.log.begin(), value.log.end());
      tail.erase(tail.begin(), tail.begin() + static_cast<std::ptrdiff_t>(at));
      value.log.truncate(at);
      value.log.push_back("mid" + std::to_string(++counter));
      for (auto& s : tail) value.log.push_back(std::move(s));
      break;
    }
    case 5:
      for (int i = 0; i < op % 200; ++i) value.other.push_back(static_cast<std::uint32_t>(i * op));
      break;
    case 6: value.term += op; break;
  }
}

// The value the log holds after `encoded`, given the value before; applied both ways (in place
// and into a new buffer), which must agree.
Bytes durable_after(const Bytes& before, const DeltaEncoder::Encoded& encoded) {
  if (!encoded.delta) return encoded.bytes;
  auto after = apply_delta(before, encoded.bytes);
  REQUIRE(after.has_value());
  Bytes in_place = before;
  REQUIRE(apply_delta_in_place(in_place, encoded.bytes).has_value());
  REQUIRE(in_place == *after);
  return *after;
}

}  // namespace

TEST_CASE("DeltaEncoder: every delta builds exactly the encoding of the new value") {
  rc::prop("any script of changes, with or without a copy kept between persists",
           [](const std::vector<std::uint8_t>& script, bool keep_copies) {
             DeltaEncoder encoder;
             TwoLogs value;
             std::vector<TwoLogs> copies;  // a checker's or a batch's copy shares chunks too
             Bytes durable;
             int counter = 0;
             for (std::uint8_t op : script) {
               step(value, op, counter);
               if (keep_copies) copies.push_back(value);
               const auto encoded = encoder.encode(value);
               durable = durable_after(durable, encoded);
               RC_ASSERT(encoded.value_bytes == durable.size());
               RC_ASSERT(durable == encode_to_bytes(value));
               if (op % 11 == 0) encoder.reset();  // a forgotten previous value: sent whole
             }
           });
}

TEST_CASE("DeltaEncoder: an append to a long log costs a record of the appended entries") {
  DeltaEncoder encoder;
  TwoLogs value;
  int counter = 0;
  for (int i = 0; i < 100'000; ++i) value.log.push_back("entry-" + std::to_string(++counter));
  const auto first = encoder.encode(value);
  CHECK_FALSE(first.delta);  // nothing to copy from yet
  Bytes durable = first.bytes;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 10; ++i) value.log.push_back("entry-" + std::to_string(++counter));
    const auto encoded = encoder.encode(value);
    REQUIRE(encoded.delta);
    // The header, one copy of every full chunk, the open chunk and the new entries: under 1 KB
    // for a value of about 1.3 MB.
    CHECK(encoded.bytes.size() < 1024);
    CHECK(encoded.reused_bytes + 1024 > encoded.value_bytes);
    durable = durable_after(durable, encoded);
  }
  CHECK(durable == encode_to_bytes(value));
}

TEST_CASE("DurableLog: delta records from the encoder, compactions included, read back") {
  TempDir dir;
  const std::string path = dir.path + "/durable.log";
  DeltaEncoder encoder;
  TwoLogs value;
  int counter = 0;
  std::uint64_t compactions = 0;
  int deltas = 0;
  {
    DurableLog log(path, 4096);  // a small bound, so the run compacts many times
    REQUIRE(log.recover().has_value());
    for (int round = 0; round < 400; ++round) {
      step(value, static_cast<std::uint8_t>(round * 37 + 11), counter);
      const auto encoded = encoder.encode(value);
      deltas += encoded.delta ? 1 : 0;
      auto ok = encoded.delta ? log.append_delta(encoded.bytes, encoded.value_bytes)
                              : log.append(encoded.bytes);
      REQUIRE(ok.has_value());
      if (round % 50 == 49) {
        auto read = DurableLog::read<TwoLogs>(path);
        REQUIRE(read.has_value());
        REQUIRE(read->has_value());
        CHECK(**read == value);
      }
    }
    compactions = log.compactions();
  }
  CHECK(compactions > 0);
  CHECK(deltas > 300);
  DurableLog reopened(path, 4096);
  auto recovered = reopened.recover();
  REQUIRE(recovered.has_value());
  REQUIRE(recovered->has_value());
  CHECK(**recovered == encode_to_bytes(value));
  // A plain append after deltas (the log no longer holds the value) writes it whole and reads back.
  value.term += 1;
  REQUIRE(reopened.append(encode_to_bytes(value)).has_value());
  auto read = DurableLog::read<TwoLogs>(path);
  REQUIRE(read.has_value());
  CHECK(**read == value);
}

TEST_CASE("DurableLog::append_delta refuses a delta with nothing before it or a non-delta") {
  TempDir dir;
  DurableLog log(dir.path + "/durable.log");
  REQUIRE(log.recover().has_value());
  const Bytes delta{durable_record::kind_delta, 0, 0, 0, 0};
  auto no_value = log.append_delta(delta, 0);
  REQUIRE_FALSE(no_value.has_value());
  CHECK(no_value.error().what.find("no value before it") != std::string::npos);
  REQUIRE(log.append(Bytes{1, 2, 3}).has_value());
  auto not_delta = log.append_delta(Bytes{durable_record::kind_full, 1}, 1);
  REQUIRE_FALSE(not_delta.has_value());
  CHECK(not_delta.error().what.find("not a delta record") != std::string::npos);
}
