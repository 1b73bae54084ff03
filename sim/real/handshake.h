// The authentication handshake of the socket runtime: how a caller (a peer's outbound link or a
// client) and the node it calls prove to each other that both hold the cluster's key, without
// sending it, and agree on the keys that MAC every later frame (auth.h's FrameMac).
//
//   caller -> node   AuthHello     {protocol, role (peer/client), caller id, caller nonce}
//   node -> caller   AuthChallenge {node id, node nonce, node proof}
//   caller -> node   AuthProof     {caller proof}
//
// Both sides compute HKDF-SHA256(key, salt = caller nonce || node nonce, info = the codec
// encoding of {"faultline-auth-v1", protocol, role, caller id, node id, both nonces}) -> 128
// bytes: node proof | caller proof | caller->node frame key | node->caller frame key. Each proof
// is checked in constant time. The caller checks the node's proof before it sends its own (a
// node without the key learns nothing it could replay, and a client never talks to an impostor);
// the node checks the caller's before it admits it. Each side's nonce is fresh from the CSPRNG,
// so a recorded handshake replayed on a new connection meets a new nonce and its proof fails.
// The caller's node id is the node it meant to call, so a proof from another node fails too.
//
// Handshake payloads start with the 4 bytes "FLA1", which no Envelope (wire.h) starts with (its
// first byte is a variant tag below 16), so a node tells an authenticating caller from a plain
// one by the first frame and can say which side lacks `auth:`.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sim/core/result.h"
#include "sim/real/auth.h"
#include "sim/real/connection.h"

namespace faultline::real {

enum class CallerRole : std::uint8_t { peer = 0, client = 1 };
inline std::string_view to_string(CallerRole role) {
  switch (role) {
    case CallerRole::peer: return "peer";
    case CallerRole::client: return "client";
  }
  return "";
}

struct AuthHello {
  static constexpr std::string_view type_name = "AuthHello";
  std::string protocol;
  CallerRole role = CallerRole::peer;
  std::uint32_t caller = 0;  // a peer's NodeId, or a client's id
  std::vector<std::uint8_t> nonce;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("protocol", self.protocol);
    visit("role", self.role);
    visit("caller", self.caller);
    visit("nonce", self.nonce);
  }
};

struct AuthChallenge {
  static constexpr std::string_view type_name = "AuthChallenge";
  std::uint32_t node = 0;
  std::vector<std::uint8_t> nonce;
  std::vector<std::uint8_t> proof;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("node", self.node);
    visit("nonce", self.nonce);
    visit("proof", self.proof);
  }
};

struct AuthProof {
  static constexpr std::string_view type_name = "AuthProof";
  std::vector<std::uint8_t> proof;
  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("proof", self.proof);
  }
};

using AuthMessage = std::variant<AuthHello, AuthChallenge, AuthProof>;

std::vector<std::uint8_t> encode_auth_message(const AuthMessage& message);
// Whether a payload is a handshake message (starts with the magic), decodable or not.
bool is_auth_payload(std::span<const std::uint8_t> payload);
Result<AuthMessage> decode_auth_message(std::span<const std::uint8_t> payload);

// The caller's side: hello(), then answer() the node's challenge.
class CallerHandshake {
 public:
  CallerHandshake(const AuthKey& key, std::string protocol, CallerRole role, std::uint32_t caller,
                  std::uint32_t node);
  std::vector<std::uint8_t> hello() const;
  struct Answer {
    std::vector<std::uint8_t> proof;  // the AuthProof payload to send
    SessionKeys keys;
  };
  // Checks the challenge (from the node we called, with its proof); the answer to send.
  Result<Answer> answer(std::span<const std::uint8_t> payload) const;

 private:
  const AuthKey& key_;
  std::string protocol_;
  CallerRole role_;
  std::uint32_t caller_;
  std::uint32_t node_;
  Nonce nonce_;
};

// The node's side: on_hello() (the caller says who it is), challenge(), then on_proof().
class NodeHandshake {
 public:
  NodeHandshake(const AuthKey& key, std::string protocol, std::uint32_t self)
      : key_(key), protocol_(std::move(protocol)), self_(self), nonce_(random_nonce()) {}
  // The caller's hello, decoded and checked for shape (the caller decides what to admit).
  Result<AuthHello> on_hello(std::span<const std::uint8_t> payload);
  // The AuthChallenge payload for the hello on_hello() accepted.
  std::vector<std::uint8_t> challenge() const;
  // Checks the caller's proof; this side's frame keys.
  Result<SessionKeys> on_proof(std::span<const std::uint8_t> payload) const;

 private:
  const AuthKey& key_;
  std::string protocol_;
  std::uint32_t self_;
  Nonce nonce_;
  std::optional<AuthHello> hello_;
};

// How a caller opens a fresh connection (PeerLinks, ClusterClient).
struct CallerIdentity {
  const AuthKey* key = nullptr;  // the cluster's key; nullptr: the cluster has no auth
  std::string protocol;
  CallerRole role = CallerRole::peer;
  std::uint32_t caller = 0;
  std::uint32_t node = 0;                 // the node called
  std::vector<std::uint8_t> plain_hello;  // the first frame without auth (an Envelope's hello)
};

// Starts `connection` as the calling side. Without a key the plain hello goes out and on_ready
// runs at once. With one the handshake runs first: the node's challenge is checked, our proof
// goes out, the frame MAC is switched on, then on_ready; a bad challenge (another key, another
// node, no auth on the node) closes the connection with the reason. Frames after the handshake
// go to on_frame.
void start_caller(Connection& connection, CallerIdentity identity, Connection::OnFrame on_frame,
                  std::function<void()> on_ready, Connection::OnClose on_close);

}  // namespace faultline::real
