#include "sim/real/handshake.h"

#include <algorithm>
#include <array>
#include <memory>

#include "sim/core/assert.h"
#include "sim/core/codec.h"

namespace faultline::real {

namespace {

constexpr std::array<std::uint8_t, 4> auth_magic{'F', 'L', 'A', '1'};

// What both sides feed HKDF as `info`: everything the proofs vouch for.
struct Transcript {
  static constexpr std::string_view type_name = "AuthTranscript";
  std::string label{auth_label};
  std::string protocol;
  CallerRole role = CallerRole::peer;
  std::uint32_t caller = 0;
  std::uint32_t node = 0;
  std::vector<std::uint8_t> caller_nonce;
  std::vector<std::uint8_t> node_nonce;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("label", self.label);
    visit("protocol", self.protocol);
    visit("role", self.role);
    visit("caller", self.caller);
    visit("node", self.node);
    visit("caller_nonce", self.caller_nonce);
    visit("node_nonce", self.node_nonce);
  }
};

// HKDF's 128 bytes, cut into the two proofs and the two frame keys.
struct Derived {
  std::array<std::uint8_t, auth_proof_bytes> node_proof{};
  std::array<std::uint8_t, auth_proof_bytes> caller_proof{};
  SessionKey caller_to_node{};
  SessionKey node_to_caller{};
};

Derived derive(const AuthKey& key, const Transcript& transcript) {
  std::vector<std::uint8_t> salt = transcript.caller_nonce;
  salt.insert(salt.end(), transcript.node_nonce.begin(), transcript.node_nonce.end());
  std::array<std::uint8_t, 2 * auth_proof_bytes + 2 * session_key_bytes> out{};
  hkdf_sha256(key.secret, salt, encode_to_bytes(transcript), out);
  Derived d;
  auto at = out.begin();
  for (auto* part : {&d.node_proof, &d.caller_proof, &d.caller_to_node, &d.node_to_caller}) {
    std::copy_n(at, part->size(), part->begin());
    at += static_cast<std::ptrdiff_t>(part->size());
  }
  return d;
}

std::vector<std::uint8_t> bytes_of(std::span<const std::uint8_t> bytes) {
  return {bytes.begin(), bytes.end()};
}
Nonce to_nonce(std::span<const std::uint8_t> bytes) {
  FL_ASSERT(bytes.size() == auth_nonce_bytes, "nonce sizes are checked on receipt");
  Nonce nonce{};
  std::copy(bytes.begin(), bytes.end(), nonce.begin());
  return nonce;
}

// The transcript of a handshake: the caller's hello, and the node that answers with its nonce.
Transcript transcript_of(const std::string& protocol, const AuthHello& hello, std::uint32_t node,
                         const Nonce& node_nonce) {
  return Transcript{std::string(auth_label), protocol, hello.role, hello.caller, node, hello.nonce,
                    bytes_of(node_nonce)};
}

template <class T>
Result<T> expect(std::span<const std::uint8_t> payload, std::string_view expected) {
  auto message = decode_auth_message(payload);
  if (!message) return std::unexpected(message.error());
  if (auto* m = std::get_if<T>(&*message)) return std::move(*m);
  return fail("expected " + std::string(expected) + ", got another handshake message");
}

}  // namespace

std::vector<std::uint8_t> encode_auth_message(const AuthMessage& message) {
  std::vector<std::uint8_t> payload(auth_magic.begin(), auth_magic.end());
  const auto body = encode_to_bytes(message);
  payload.insert(payload.end(), body.begin(), body.end());
  return payload;
}

bool is_auth_payload(std::span<const std::uint8_t> payload) {
  return payload.size() >= auth_magic.size() &&
         std::equal(auth_magic.begin(), auth_magic.end(), payload.begin());
}

Result<AuthMessage> decode_auth_message(std::span<const std::uint8_t> payload) {
  if (!is_auth_payload(payload)) return fail("not a handshake message");
  auto decoded = decode_from_bytes<AuthMessage>(payload.subspan(auth_magic.size()));
  if (!decoded) return fail("handshake message " + decoded.error().where, 0, decoded.error().what);
  return decoded;
}

CallerHandshake::CallerHandshake(const AuthKey& key, std::string protocol, CallerRole role,
                                 std::uint32_t caller, std::uint32_t node)
    : key_(key),
      protocol_(std::move(protocol)),
      role_(role),
      caller_(caller),
      node_(node),
      nonce_(random_nonce()) {}

std::vector<std::uint8_t> CallerHandshake::hello() const {
  return encode_auth_message(AuthHello{protocol_, role_, caller_, bytes_of(nonce_)});
}

Result<CallerHandshake::Answer> CallerHandshake::answer(
    std::span<const std::uint8_t> payload) const {
  auto challenge = expect<AuthChallenge>(payload, "the node's AuthChallenge");
  if (!challenge) return std::unexpected(challenge.error());
  if (challenge->nonce.size() != auth_nonce_bytes || challenge->proof.size() != auth_proof_bytes)
    return fail("the node's challenge has a nonce or proof of the wrong size");
  const AuthHello hello{protocol_, role_, caller_, bytes_of(nonce_)};
  const Nonce node_nonce = to_nonce(challenge->nonce);
  const Derived derived = derive(key_, transcript_of(protocol_, hello, node_, node_nonce));
  if (!equal_constant_time(derived.node_proof, challenge->proof))
    return fail(challenge->node == node_
                    ? "the node's proof does not match our key (it holds another key)"
                    : "node " + std::to_string(challenge->node) +
                          " answered where we called node " + std::to_string(node_));
  return Answer{encode_auth_message(AuthProof{bytes_of(derived.caller_proof)}),
                SessionKeys{derived.caller_to_node, derived.node_to_caller}};
}

Result<AuthHello> NodeHandshake::on_hello(std::span<const std::uint8_t> payload) {
  auto hello = expect<AuthHello>(payload, "an AuthHello");
  if (!hello) return std::unexpected(hello.error());
  if (hello->nonce.size() != auth_nonce_bytes) return fail("the hello's nonce has the wrong size");
  if (hello->protocol != protocol_)
    return fail("the caller speaks protocol '" + hello->protocol + "'");
  hello_ = *hello;
  return hello;
}

std::vector<std::uint8_t> NodeHandshake::challenge() const {
  FL_ASSERT(hello_.has_value(), "a challenge answers an accepted hello");
  const Derived derived = derive(key_, transcript_of(protocol_, *hello_, self_, nonce_));
  return encode_auth_message(AuthChallenge{self_, bytes_of(nonce_), bytes_of(derived.node_proof)});
}

Result<SessionKeys> NodeHandshake::on_proof(std::span<const std::uint8_t> payload) const {
  FL_ASSERT(hello_.has_value(), "a proof follows an accepted hello");
  auto proof = expect<AuthProof>(payload, "the caller's AuthProof");
  if (!proof) return std::unexpected(proof.error());
  const Derived derived = derive(key_, transcript_of(protocol_, *hello_, self_, nonce_));
  if (!equal_constant_time(derived.caller_proof, proof->proof))
    return fail("the caller's proof does not match this cluster's key");
  return SessionKeys{derived.node_to_caller, derived.caller_to_node};
}

void start_caller(Connection& connection, CallerIdentity identity, Connection::OnFrame on_frame,
                  std::function<void()> on_ready, Connection::OnClose on_close) {
  if (identity.key == nullptr) {
    connection.start(std::move(on_frame), std::move(on_close));
    connection.send(identity.plain_hello);
    return on_ready();
  }
  auto handshake = std::make_shared<std::optional<CallerHandshake>>(
      std::in_place, *identity.key, identity.protocol, identity.role, identity.caller,
      identity.node);
  Connection* raw = &connection;
  connection.start(
      [raw, handshake, on_frame = std::move(on_frame),
       on_ready = std::move(on_ready)](std::vector<std::uint8_t> payload) {
        if (!handshake->has_value()) return on_frame(std::move(payload));
        auto answer = (*handshake)->answer(payload);
        if (!answer) return raw->close("authentication failed: " + answer.error().to_string());
        handshake->reset();
        raw->send(answer->proof);
        raw->enable_mac(answer->keys);  // every frame after the proof, both ways
        on_ready();
      },
      std::move(on_close));
  connection.send((*handshake)->hello());
}

}  // namespace faultline::real
