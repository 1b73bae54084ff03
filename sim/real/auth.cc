#include "sim/real/auth.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "sim/core/assert.h"

namespace faultline::real {

namespace {

// The algorithms, fetched once per process (fetching is the slow part of EVP in OpenSSL 3;
// the fetched objects are immutable and shared).
EVP_MAC* hmac_algorithm() {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  FL_ASSERT(mac != nullptr, "OpenSSL provides HMAC");
  return mac;
}
EVP_KDF* hkdf_algorithm() {
  static EVP_KDF* const kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  FL_ASSERT(kdf != nullptr, "OpenSSL provides HKDF");
  return kdf;
}

OSSL_PARAM octets(const char* name, std::span<const std::uint8_t> bytes) {
  // OpenSSL's parameter type is not const-correct; the KDF only reads these bytes.
  return OSSL_PARAM_construct_octet_string(name, const_cast<std::uint8_t*>(bytes.data()),
                                           bytes.size());
}

char sha256_name[] = "SHA256";

std::string size_problem(std::size_t size) {
  if (size < auth_key_bytes_min)
    return "is " + std::to_string(size) + " bytes; a key needs at least " +
           std::to_string(auth_key_bytes_min) + " (e.g. `openssl rand -hex 32`)";
  return "is " + std::to_string(size) + " bytes; a key is at most " +
         std::to_string(auth_key_bytes_max);
}

bool size_ok(std::size_t size) { return size >= auth_key_bytes_min && size <= auth_key_bytes_max; }

}  // namespace

Result<AuthKey> auth_key_from_secret(std::string_view secret, const std::string& where, int line) {
  if (!size_ok(secret.size()))
    return fail(where, line, "the secret " + size_problem(secret.size()));
  return AuthKey{std::vector<std::uint8_t>(secret.begin(), secret.end()),
                 "the cluster file's auth.secret", ""};
}

Result<AuthKey> read_auth_key_file(const std::string& path, const std::string& where, int line) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0)
    return fail(where, line, "key file " + path + ": " + std::strerror(errno));
  if (!S_ISREG(info.st_mode)) return fail(where, line, "key file " + path + " is not a file");
  if (static_cast<std::size_t>(info.st_size) > auth_key_bytes_max + 2)
    return fail(where, line, "key file " + path + " " + size_problem(info.st_size));
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(where, line, "key file " + path + ": cannot open it for reading");
  std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in),
                                  std::istreambuf_iterator<char>()};
  if (in.bad()) return fail(where, line, "key file " + path + ": read error");
  if (!bytes.empty() && bytes.back() == '\n') bytes.pop_back();
  if (!bytes.empty() && bytes.back() == '\r') bytes.pop_back();
  if (!size_ok(bytes.size()))
    return fail(where, line, "key file " + path + " " + size_problem(bytes.size()));
  AuthKey key{std::move(bytes), "key file " + path, ""};
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0)
    key.warning = "key file " + path + " is readable by other users (chmod 600 it)";
  return key;
}

Nonce random_nonce() {
  Nonce nonce{};
  FL_ASSERT(RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) == 1,
            "the OS's CSPRNG gave no bytes (RAND_bytes failed)");
  return nonce;
}

void hkdf_sha256(std::span<const std::uint8_t> secret, std::span<const std::uint8_t> salt,
                 std::span<const std::uint8_t> info, std::span<std::uint8_t> out) {
  std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)> context(
      EVP_KDF_CTX_new(hkdf_algorithm()), &EVP_KDF_CTX_free);
  FL_ASSERT(context != nullptr, "EVP_KDF_CTX_new");
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, sha256_name, 0),
      octets(OSSL_KDF_PARAM_KEY, secret), octets(OSSL_KDF_PARAM_SALT, salt),
      octets(OSSL_KDF_PARAM_INFO, info), OSSL_PARAM_construct_end()};
  FL_ASSERT(EVP_KDF_derive(context.get(), out.data(), out.size(), params) == 1,
            "HKDF-SHA256 derivation");
}

bool equal_constant_time(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

FrameMac::FrameMac(const SessionKey& key) : context_(EVP_MAC_CTX_new(hmac_algorithm())) {
  FL_ASSERT(context_ != nullptr, "EVP_MAC_CTX_new");
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, sha256_name, 0),
      OSSL_PARAM_construct_end()};
  FL_ASSERT(EVP_MAC_init(context_, key.data(), key.size(), params) == 1, "HMAC-SHA256 key");
}

FrameMac::~FrameMac() { EVP_MAC_CTX_free(context_); }

FrameTag FrameMac::compute(std::span<const std::uint8_t> payload) {
  std::uint8_t sequence[8];
  for (int i = 0; i < 8; ++i) sequence[i] = static_cast<std::uint8_t>(sequence_ >> (8 * i));
  std::uint8_t full[EVP_MAX_MD_SIZE];
  std::size_t full_bytes = 0;
  // A null key re-initialises with the key set in the constructor (no new key schedule).
  const bool ok = EVP_MAC_init(context_, nullptr, 0, nullptr) == 1 &&
                  EVP_MAC_update(context_, sequence, sizeof(sequence)) == 1 &&
                  EVP_MAC_update(context_, payload.data(), payload.size()) == 1 &&
                  EVP_MAC_final(context_, full, &full_bytes, sizeof(full)) == 1;
  FL_ASSERT(ok && full_bytes >= frame_mac_bytes, "HMAC-SHA256 of a frame");
  FrameTag tag{};
  std::memcpy(tag.data(), full, tag.size());
  return tag;
}

FrameTag FrameMac::seal(std::span<const std::uint8_t> payload) {
  const FrameTag tag = compute(payload);
  ++sequence_;
  return tag;
}

bool FrameMac::open(std::span<const std::uint8_t> payload, std::span<const std::uint8_t> tag) {
  if (!equal_constant_time(compute(payload), tag)) return false;
  ++sequence_;
  return true;
}

}  // namespace faultline::real
