// Frames and the wire envelope: round trips, and every kind of corruption is an Error.
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include "protocols/two_phase_commit/protocol.h"
#include "sim/real/frame.h"
#include "sim/real/wire.h"

using namespace faultline;
using namespace faultline::real;
using faultline::two_phase_commit::TwoPhaseCommit;

namespace {
std::vector<std::uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }
}  // namespace

TEST_CASE("frame: round trip, empty and non-empty") {
  for (const auto& payload : {std::vector<std::uint8_t>{}, bytes_of("hello, frame")}) {
    const auto frame = encode_frame(payload);
    REQUIRE(frame.size() == frame_header_bytes + payload.size());
    auto decoded = decode_frame(frame, 1024);
    REQUIRE(decoded.has_value());
    CHECK(*decoded == payload);
  }
}

TEST_CASE("frame: crc32c matches the standard check value") {
  CHECK(crc32c(bytes_of("123456789")) == 0xE3069283u);
  CHECK(crc32c_portable(bytes_of("123456789")) == 0xE3069283u);
  CHECK(crc32c({}) == 0u);
}

TEST_CASE("frame: the hardware crc32c (where the CPU has one) agrees with the table") {
  rc::prop("same checksum for any bytes", [](const std::vector<std::uint8_t>& bytes) {
    RC_ASSERT(crc32c(bytes) == crc32c_portable(bytes));
  });
}

TEST_CASE("frame: a flipped payload bit is a checksum mismatch") {
  auto frame = encode_frame(bytes_of("payload"));
  frame.back() ^= 0x01;
  auto decoded = decode_frame(frame, 1024);
  REQUIRE_FALSE(decoded.has_value());
  CHECK_THAT(decoded.error().to_string(), Catch::Contains("checksum mismatch"));
}

TEST_CASE("frame: a flipped checksum bit is a checksum mismatch") {
  auto frame = encode_frame(bytes_of("payload"));
  frame[6] ^= 0x80;
  auto decoded = decode_frame(frame, 1024);
  REQUIRE_FALSE(decoded.has_value());
  CHECK_THAT(decoded.error().what, Catch::Contains("checksum mismatch"));
}

TEST_CASE("frame: an unknown version is rejected by name") {
  const auto frame = encode_frame(bytes_of("payload"), 7);
  auto decoded = decode_frame(frame, 1024);
  REQUIRE_FALSE(decoded.has_value());
  CHECK_THAT(decoded.error().what, Catch::Contains("unknown frame version 7"));
}

TEST_CASE("frame: an oversized length is rejected before reading the payload") {
  auto frame = encode_frame(bytes_of("payload"));
  frame[0] = 0xff;
  frame[1] = 0xff;
  frame[2] = 0xff;
  frame[3] = 0x7f;
  auto header = decode_frame_header(std::span(frame).first(frame_header_bytes), 1024, 40);
  REQUIRE_FALSE(header.has_value());
  CHECK_THAT(header.error().to_string(), Catch::Contains("exceeds the bound of 1024"));
  CHECK(header.error().where == "frame at byte 40");
}

TEST_CASE("frame: truncated frames and trailing bytes are errors") {
  const auto frame = encode_frame(bytes_of("payload"));
  for (std::size_t cut = 0; cut < frame.size(); ++cut) {
    auto decoded = decode_frame(std::span(frame).first(cut), 1024);
    REQUIRE_FALSE(decoded.has_value());
    CHECK_THAT(decoded.error().what, Catch::Contains("truncated"));
  }
  auto longer = frame;
  longer.push_back(0);
  auto decoded = decode_frame(longer, 1024);
  REQUIRE_FALSE(decoded.has_value());
  CHECK_THAT(decoded.error().what, Catch::Contains("trailing"));
}

TEST_CASE("frame decoder: frames split at every byte boundary come out whole and in order") {
  std::vector<std::uint8_t> stream;
  std::vector<std::vector<std::uint8_t>> payloads{
      bytes_of("a"), {}, bytes_of("three"), bytes_of("four!")};
  for (const auto& p : payloads) {
    const auto f = encode_frame(p);
    stream.insert(stream.end(), f.begin(), f.end());
  }
  for (std::size_t split = 0; split <= stream.size(); ++split) {
    FrameDecoder decoder(1024);
    std::vector<std::vector<std::uint8_t>> got;
    const auto drain = [&] {
      for (;;) {
        auto next = decoder.next();
        REQUIRE(next.has_value());
        if (!*next) return;
        got.push_back(std::move(**next));
      }
    };
    decoder.feed(std::span(stream).first(split));
    drain();
    decoder.feed(std::span(stream).subspan(split));
    drain();
    CHECK(got == payloads);
    CHECK(decoder.buffered_bytes() == 0);
  }
}

TEST_CASE("frame decoder: the first error sticks and names the stream offset") {
  auto good = encode_frame(bytes_of("ok"));
  auto bad = encode_frame(bytes_of("bad"));
  bad.back() ^= 0xff;
  FrameDecoder decoder(1024);
  decoder.feed(good);
  decoder.feed(bad);
  REQUIRE(decoder.next().has_value());
  auto second = decoder.next();
  REQUIRE_FALSE(second.has_value());
  CHECK(second.error().where == "frame at byte " + std::to_string(good.size()));
  decoder.feed(encode_frame(bytes_of("later")));
  CHECK_FALSE(decoder.next().has_value());
}

TEST_CASE("wire: every 2PC envelope kind round-trips through frame and codec") {
  namespace tpc = faultline::two_phase_commit;
  std::vector<Envelope<TwoPhaseCommit>> envelopes{
      PeerHello{"two_phase_commit", 2},
      ClientHello{"two_phase_commit", 7},
      PeerMessage<TwoPhaseCommit>{tpc::Vote{tpc::TxId{3}, true}},
      Submit<TwoPhaseCommit>{9, tpc::Predict{1, 4242}},
      Emitted<TwoPhaseCommit>{5, tpc::PredictServed{1, "v2", 3, true}},
      StatusRequest{},
      StatusReply{1, "participant", true, 120, {1, 2, 3}, "Node{...}"}};
  for (const auto& envelope : envelopes) {
    const auto frame = encode_frame(encode_envelope<TwoPhaseCommit>(envelope));
    auto payload = decode_frame(frame, frame_payload_bytes_max_default);
    REQUIRE(payload.has_value());
    auto decoded = decode_envelope<TwoPhaseCommit>(*payload);
    REQUIRE(decoded.has_value());
    CHECK(encode_envelope<TwoPhaseCommit>(*decoded) == encode_envelope<TwoPhaseCommit>(envelope));
  }
}

// The fuzz-style properties: random bytes never crash the decoders, and any change to a good
// frame is either detected or (for a changed length that still frames consistently) impossible.
TEST_CASE("frame: random bytes give frames or errors, never a crash") {
  rc::prop("decode_frame on random bytes", [](const std::vector<std::uint8_t>& bytes) {
    auto decoded = decode_frame(bytes, 4096);
    if (decoded) RC_ASSERT(decoded->size() + frame_header_bytes == bytes.size());
  });
  rc::prop("streaming decoder on random chunks",
           [](const std::vector<std::vector<std::uint8_t>>& chunks) {
             FrameDecoder decoder(4096);
             for (const auto& chunk : chunks) {
               decoder.feed(chunk);
               for (int i = 0; i < 8; ++i) {
                 auto next = decoder.next();
                 if (!next || !*next) break;
               }
             }
           });
  rc::prop("envelope decode of random payloads", [](const std::vector<std::uint8_t>& bytes) {
    auto decoded = decode_envelope<TwoPhaseCommit>(bytes);
    if (decoded) RC_ASSERT(encode_envelope<TwoPhaseCommit>(*decoded).size() <= bytes.size());
  });
}

TEST_CASE("frame: any single corrupted byte of a frame is detected") {
  rc::prop("one byte changed", [](const std::vector<std::uint8_t>& payload) {
    auto frame = encode_frame(payload);
    const auto index = *rc::gen::inRange<std::size_t>(0, frame.size());
    const auto flip = *rc::gen::inRange<int>(1, 256);
    frame[index] = static_cast<std::uint8_t>(frame[index] ^ flip);
    RC_ASSERT_FALSE(decode_frame(frame, 1u << 20).has_value());
  });
}
