// Authentication primitives of the socket runtime: the cluster's shared key, nonces from the
// OS's CSPRNG, the handshake's key derivation, and the frame MAC. Every primitive is
// OpenSSL's (libcrypto): HKDF-SHA256 and HMAC-SHA256 through EVP, RAND_bytes, CRYPTO_memcmp;
// nothing here is hand-written cryptography. OpenSSL's types stay out of this header (one
// forward declaration), so code that includes it needs no OpenSSL headers.
//
// Invariants: a key holds auth_key_bytes_min..auth_key_bytes_max bytes and is never logged or
// sent (only its source is named); a MAC tag is compared in constant time; a FrameMac's sequence
// number advances only with a frame it sealed or accepted, so a replayed, dropped, reordered or
// reflected frame fails the next check. The socket runtime may use OS randomness; the simulator
// never includes this file.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/result.h"

struct evp_mac_ctx_st;  // OpenSSL's EVP_MAC_CTX (openssl/types.h)

namespace faultline::real {

inline constexpr std::size_t auth_key_bytes_min = 16;    // 128 bits
inline constexpr std::size_t auth_key_bytes_max = 4096;  // a key file is read whole
inline constexpr std::size_t auth_nonce_bytes = 32;
inline constexpr std::size_t auth_proof_bytes = 32;   // HKDF-SHA256 output blocks
inline constexpr std::size_t session_key_bytes = 32;  // one per direction
inline constexpr std::size_t frame_mac_bytes = 16;    // HMAC-SHA256 truncated to 128 bits
inline constexpr std::string_view auth_label = "faultline-auth-v1";

// The cluster's shared secret, from the cluster file's `auth:` (inline `secret` or `key_file`).
struct AuthKey {
  std::vector<std::uint8_t> secret;
  std::string source;   // "the cluster file's auth.secret" or "key file /abs/path": for logs
  std::string warning;  // non-empty when something about the key deserves a log line
};

// The key `secret` (an inline string), or an Error at `where` if it is too short or too long.
Result<AuthKey> auth_key_from_secret(std::string_view secret, const std::string& where, int line);
// The key in the file at `path`: its bytes, less one trailing "\n" or "\r\n" (so a file written
// by `openssl rand -hex 32 > key` or an editor reads the same). A missing, unreadable, too short
// or too long file is an Error naming the file.
Result<AuthKey> read_auth_key_file(const std::string& path, const std::string& where, int line);

using Nonce = std::array<std::uint8_t, auth_nonce_bytes>;
// A fresh nonce from the OS's CSPRNG (RAND_bytes); the process ends if the CSPRNG fails (a
// predictable nonce would make a recorded handshake replayable).
Nonce random_nonce();

// HKDF-SHA256 (RFC 5869): extract with `salt`, expand with `info`, `out.size()` bytes.
void hkdf_sha256(std::span<const std::uint8_t> secret, std::span<const std::uint8_t> salt,
                 std::span<const std::uint8_t> info, std::span<std::uint8_t> out);

// Equality of two byte strings in time independent of where they differ (CRYPTO_memcmp).
bool equal_constant_time(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

using SessionKey = std::array<std::uint8_t, session_key_bytes>;
using FrameTag = std::array<std::uint8_t, frame_mac_bytes>;

// One side's keys of an authenticated connection (the other side has them swapped).
struct SessionKeys {
  SessionKey send{};
  SessionKey receive{};
};

// The MAC of one direction of one connection: tag = HMAC-SHA256(key, u64 sequence LE ||
// payload), first 16 bytes, where sequence counts the payloads tagged in this direction since
// the handshake (Connection tags one record per write, a record holding that write's frames).
// The HMAC context is keyed once and re-initialised per payload (no key schedule per payload).
class FrameMac {
 public:
  explicit FrameMac(const SessionKey& key);
  ~FrameMac();
  FrameMac(const FrameMac&) = delete;
  FrameMac& operator=(const FrameMac&) = delete;

  // The next frame's tag; the sequence advances.
  FrameTag seal(std::span<const std::uint8_t> payload);
  // Whether `tag` is the next frame's tag for `payload`; the sequence advances only if it is.
  bool open(std::span<const std::uint8_t> payload, std::span<const std::uint8_t> tag);
  std::uint64_t sequence() const { return sequence_; }

 private:
  FrameTag compute(std::span<const std::uint8_t> payload);

  evp_mac_ctx_st* context_ = nullptr;
  std::uint64_t sequence_ = 0;
};

}  // namespace faultline::real
