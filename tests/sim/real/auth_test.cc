// The socket runtime's authentication, piece by piece (no sockets): the cluster file's `auth:`,
// the primitives against published test vectors, the frame MAC's sequence, and the handshake's
// two sides agreeing (or not) on keys. The loopback tests (loopback_test.cc) attack a real node.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "sim/real/auth.h"
#include "sim/real/cluster_file.h"
#include "sim/real/handshake.h"
#include "tests/support/real_support.h"

using namespace faultline;
using namespace faultline::real;
using namespace faultline::real::testing;

namespace {

std::vector<std::uint8_t> hex(std::string_view text) {
  std::vector<std::uint8_t> bytes;
  for (std::size_t i = 0; i + 1 < text.size(); i += 2)
    bytes.push_back(
        static_cast<std::uint8_t>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
  return bytes;
}

std::vector<std::uint8_t> bytes(std::string_view text) { return {text.begin(), text.end()}; }

AuthKey key_of(std::string_view secret) {
  auto key = auth_key_from_secret(secret, "test", 0);
  REQUIRE(key.has_value());
  return *key;
}

const std::string one_node = "protocol: two_phase_commit\nnodes:\n  - { id: n0, address: ";

}  // namespace

TEST_CASE("auth: HKDF-SHA256 and the frame MAC give the published values") {
  // RFC 5869, test case 1.
  std::vector<std::uint8_t> okm(42);
  hkdf_sha256(std::vector<std::uint8_t>(22, 0x0b), hex("000102030405060708090a0b0c"),
              hex("f0f1f2f3f4f5f6f7f8f9"), okm);
  CHECK(okm == hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b8"
                   "87185865"));
  // HMAC-SHA256(key, u64 sequence LE || payload), first 16 bytes (Python's hmac module).
  SessionKey key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i + 1);
  FrameMac mac(key);
  const auto first = mac.seal(bytes("frame"));
  const auto second = mac.seal(bytes("frame"));
  CHECK(std::vector<std::uint8_t>(first.begin(), first.end()) ==
        hex("c3b94dd007f3de088fe59a91d01d394c"));
  CHECK(std::vector<std::uint8_t>(second.begin(), second.end()) ==
        hex("9743d5a107dfb394a0199b33851fdcb9"));
}

TEST_CASE("auth: a frame MAC fails on an altered, replayed, reordered or reflected frame") {
  SessionKey a{}, b{};
  a.fill(1);
  b.fill(2);
  FrameMac sender(a), receiver(a), other_direction(b);
  const auto t0 = sender.seal(bytes("zero"));
  const auto t1 = sender.seal(bytes("one"));
  CHECK_FALSE(receiver.open(bytes("one"), t1));   // reordered: frame 1 where 0 is due
  CHECK_FALSE(receiver.open(bytes("zerO"), t0));  // altered
  CHECK(receiver.open(bytes("zero"), t0));
  CHECK_FALSE(receiver.open(bytes("zero"), t0));  // replayed
  CHECK(receiver.open(bytes("one"), t1));
  CHECK(receiver.sequence() == 2);
  CHECK_FALSE(other_direction.open(bytes("zero"), t0));  // the other direction's key
  CHECK_FALSE(receiver.open(bytes("two"), std::vector<std::uint8_t>(15, 0)));  // short tag
}

TEST_CASE("auth: the handshake agrees on keys, and fails with another key or another node") {
  const AuthKey key = key_of("correct horse battery staple");
  CallerHandshake caller(key, "raft", CallerRole::client, 7, 2);
  NodeHandshake node(key, "raft", 2);
  auto hello = node.on_hello(caller.hello());
  REQUIRE(hello.has_value());
  CHECK(hello->role == CallerRole::client);
  CHECK(hello->caller == 7);
  auto answer = caller.answer(node.challenge());
  REQUIRE(answer.has_value());
  auto keys = node.on_proof(answer->proof);
  REQUIRE(keys.has_value());
  CHECK(keys->send == answer->keys.receive);
  CHECK(keys->receive == answer->keys.send);
  CHECK(keys->send != keys->receive);

  SECTION("the caller holds another key: it refuses the node's proof") {
    const AuthKey other = key_of("incorrect horse battery staple");
    CallerHandshake stranger(other, "raft", CallerRole::client, 7, 2);
    NodeHandshake fresh(key, "raft", 2);
    REQUIRE(fresh.on_hello(stranger.hello()).has_value());
    auto refused = stranger.answer(fresh.challenge());
    REQUIRE_FALSE(refused.has_value());
    CHECK_THAT(refused.error().what, Catch::Contains("does not match our key"));
  }
  SECTION("the node answers for another node id: the caller refuses") {
    CallerHandshake misdirected(key, "raft", CallerRole::peer, 0, 1);
    NodeHandshake node2(key, "raft", 2);
    REQUIRE(node2.on_hello(misdirected.hello()).has_value());
    CHECK_FALSE(misdirected.answer(node2.challenge()).has_value());
  }
  SECTION("a proof from an earlier handshake fails against a fresh node nonce") {
    NodeHandshake again(key, "raft", 2);
    REQUIRE(again.on_hello(caller.hello()).has_value());  // the recorded hello, replayed
    auto replayed = again.on_proof(answer->proof);
    REQUIRE_FALSE(replayed.has_value());
    CHECK_THAT(replayed.error().what, Catch::Contains("does not match this cluster's key"));
  }
  SECTION("another protocol's caller, and bytes that are not a handshake, are refused") {
    NodeHandshake fresh(key, "two_phase_commit", 2);
    CHECK_FALSE(fresh.on_hello(caller.hello()).has_value());
    CHECK_FALSE(is_auth_payload(bytes("FLA")));
    CHECK_FALSE(decode_auth_message(bytes("FLA1\x09")).has_value());
  }
}

TEST_CASE("cluster file: auth names a secret or a key file, and its errors name the file") {
  TempDir dir;
  const std::string path = dir.path + "/cluster.yaml";
  const std::string base = one_node + "127.0.0.1:7000 }\n";
  auto inline_secret = parse_cluster_file(base + "auth: { secret: 0123456789abcdef }\n", path);
  REQUIRE(inline_secret.has_value());
  REQUIRE(inline_secret->auth_key() != nullptr);
  CHECK(inline_secret->auth->secret == bytes("0123456789abcdef"));
  CHECK(parse_cluster_file(base, path)->auth_key() == nullptr);

  write_text(dir.path + "/cluster.key", "0123456789abcdef0123456789abcdef\n");
  ::chmod((dir.path + "/cluster.key").c_str(), 0600);
  auto from_file = parse_cluster_file(base + "auth: { key_file: cluster.key }\n", path);
  REQUIRE(from_file.has_value());
  CHECK(from_file->auth->secret == bytes("0123456789abcdef0123456789abcdef"));  // less the \n
  CHECK(from_file->auth->warning.empty());

  auto short_secret = parse_cluster_file(base + "auth: { secret: short }\n", path);
  REQUIRE_FALSE(short_secret.has_value());
  CHECK_THAT(short_secret.error().to_string(), Catch::Contains("auth.secret"));
  CHECK_THAT(short_secret.error().to_string(), Catch::Contains("at least 16"));
  auto missing = parse_cluster_file(base + "auth: { key_file: nope.key }\n", path);
  REQUIRE_FALSE(missing.has_value());
  CHECK_THAT(missing.error().what, Catch::Contains(dir.path + "/nope.key"));
  CHECK(missing.error().line == 4);
  write_text(dir.path + "/short.key", "tiny\n");
  auto short_file = parse_cluster_file(base + "auth: { key_file: short.key }\n", path);
  REQUIRE_FALSE(short_file.has_value());
  CHECK_THAT(short_file.error().what, Catch::Contains(dir.path + "/short.key is 4 bytes"));
  CHECK_FALSE(parse_cluster_file(base + "auth: {}\n", path).has_value());
  CHECK_FALSE(parse_cluster_file(base + "auth: { secret: 0123456789abcdef, key_file: k }\n", path)
                  .has_value());
  CHECK_FALSE(
      parse_cluster_file(base + "auth: { password: 0123456789abcdef }\n", path).has_value());
}

TEST_CASE("cluster file: without auth every address must be loopback") {
  const std::string path = "c.yaml";
  CHECK(parse_cluster_file(one_node + "'localhost:7000' }\n", path).has_value());
  CHECK(is_loopback_host("::1"));
  CHECK(is_loopback_host("127.3.2.1"));
  CHECK_FALSE(is_loopback_host("10.0.0.5"));
  CHECK_FALSE(is_loopback_host("0.0.0.0"));
  CHECK_FALSE(is_loopback_host("example.com"));
  auto exposed = parse_cluster_file(one_node + "0.0.0.0:7000 }\n", path);
  REQUIRE_FALSE(exposed.has_value());
  CHECK_THAT(exposed.error().to_string(), Catch::Contains("nodes[0].address"));
  CHECK_THAT(exposed.error().what, Catch::Contains("must authenticate"));
  CHECK(parse_cluster_file(one_node + "0.0.0.0:7000 }\nauth: { secret: 0123456789abcdef }\n", path)
            .has_value());
}
