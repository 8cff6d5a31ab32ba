#include "sim/ride_code/p256_key_pair.h"

#include <mbedtls/bignum.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>

#include <cstring>

#include "firmware/core/mbedtls_object.h"

namespace gate::sim {
namespace {

constexpr std::size_t kScalarSize = 32;
constexpr std::size_t kPemBufferSize = 1024;  // a P-256 key's PEM is about 230 characters

using core::Mpi;
using core::PkContext;

// The P-256 key inside `pk`, or nullptr when it holds another kind of key.
mbedtls_ecp_keypair* p256_of(const mbedtls_pk_context& pk) {
  if (!mbedtls_pk_can_do(&pk, MBEDTLS_PK_ECKEY)) return nullptr;
  mbedtls_ecp_keypair* key = mbedtls_pk_ec(pk);
  if (key == nullptr || key->grp.id != MBEDTLS_ECP_DP_SECP256R1) return nullptr;
  return key;
}

Result<Sec1Point> write_sec1(const mbedtls_ecp_keypair& key) {
  Sec1Point point{};
  std::size_t size = 0;
  if (mbedtls_ecp_point_write_binary(&key.grp, &key.Q, MBEDTLS_ECP_PF_UNCOMPRESSED, &size,
                                     point.data(), point.size()) != 0 ||
      size != point.size()) {
    return make_error(Errc::malformed, "p256 key: cannot write the public point");
  }
  return point;
}

// mbedTLS wants PEM text NUL-terminated, the NUL counted in the length.
std::string with_nul(std::string_view text) {
  std::string copy(text);
  copy.push_back('\0');
  return copy;
}

Result<std::string> pem_of(mbedtls_pk_context& pk, bool private_key) {
  std::string buffer(kPemBufferSize, '\0');
  auto* out = reinterpret_cast<unsigned char*>(buffer.data());
  const int rc = private_key ? mbedtls_pk_write_key_pem(&pk, out, buffer.size())
                             : mbedtls_pk_write_pubkey_pem(&pk, out, buffer.size());
  if (rc != 0) return make_error(Errc::io_error, "p256 key: cannot write PEM");
  buffer.resize(std::strlen(buffer.c_str()));
  return buffer;
}

}  // namespace

struct P256KeyPair::State {
  PkContext context;
};

P256KeyPair::P256KeyPair(std::unique_ptr<State> state) : state_(std::move(state)) {}
P256KeyPair::P256KeyPair(P256KeyPair&&) noexcept = default;
P256KeyPair& P256KeyPair::operator=(P256KeyPair&&) noexcept = default;
P256KeyPair::~P256KeyPair() = default;

Result<P256KeyPair> P256KeyPair::generate(CtrDrbg& rng) {
  auto state = std::make_unique<State>();
  mbedtls_pk_context& pk = state->context.v;
  if (mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
      mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(pk), &CtrDrbg::mbedtls_random,
                          &rng) != 0) {
    return make_error(Errc::io_error, "p256 key: generating a key pair failed");
  }
  GATE_TRY_ASSIGN(Sec1Point point, write_sec1(*mbedtls_pk_ec(pk)));
  P256KeyPair pair(std::move(state));
  pair.public_key_ = point;
  return pair;
}

Result<P256KeyPair> P256KeyPair::from_pem(std::string_view pem) {
  auto state = std::make_unique<State>();
  mbedtls_pk_context& pk = state->context.v;
  const std::string text = with_nul(pem);
  const int rc = mbedtls_pk_parse_key(&pk, reinterpret_cast<const unsigned char*>(text.data()),
                                      text.size(), nullptr, 0);
  if (rc == MBEDTLS_ERR_PK_PASSWORD_REQUIRED || rc == MBEDTLS_ERR_PK_PASSWORD_MISMATCH) {
    return make_error(Errc::malformed, "p256 key: encrypted private keys are not supported");
  }
  if (rc != 0) {
    return make_error(
        Errc::malformed,
        "p256 key: not a PEM private key (SEC1 EC PRIVATE KEY or PKCS#8 PRIVATE KEY)");
  }
  mbedtls_ecp_keypair* key = p256_of(pk);
  if (key == nullptr) return make_error(Errc::malformed, "p256 key: not a P-256 (prime256v1) key");
  if (mbedtls_ecp_check_privkey(&key->grp, &key->d) != 0 ||
      mbedtls_ecp_check_pub_priv(key, key) != 0) {
    return make_error(Errc::malformed, "p256 key: the public key does not match the private key");
  }
  GATE_TRY_ASSIGN(Sec1Point point, write_sec1(*key));
  P256KeyPair pair(std::move(state));
  pair.public_key_ = point;
  return pair;
}

Result<std::string> P256KeyPair::private_key_pem() const {
  return pem_of(state_->context.v, /*private_key=*/true);
}

Result<std::string> P256KeyPair::public_key_pem() const {
  return pem_of(state_->context.v, /*private_key=*/false);
}

Result<RawSignature> P256KeyPair::sign(std::span<const std::uint8_t> message, CtrDrbg& rng) const {
  std::array<unsigned char, 32> digest{};
  if (mbedtls_sha256_ret(message.data(), message.size(), digest.data(), /*is224=*/0) != 0) {
    return make_error(Errc::io_error, "p256 sign: SHA-256 failed");
  }
  return sign_digest(digest, rng);
}

Result<RawSignature> P256KeyPair::sign_digest(const std::array<std::uint8_t, 32>& digest,
                                              CtrDrbg& rng) const {
  mbedtls_ecp_keypair* key = mbedtls_pk_ec(state_->context.v);
  Mpi r;
  Mpi s;
  RawSignature signature{};
  if (mbedtls_ecdsa_sign_det_ext(&key->grp, &r.v, &s.v, &key->d, digest.data(), digest.size(),
                                 MBEDTLS_MD_SHA256, &CtrDrbg::mbedtls_random, &rng) != 0 ||
      mbedtls_mpi_write_binary(&r.v, signature.data(), kScalarSize) != 0 ||
      mbedtls_mpi_write_binary(&s.v, signature.data() + kScalarSize, kScalarSize) != 0) {
    return make_error(Errc::io_error, "p256 sign: signing failed");
  }
  return signature;
}

Result<Sec1Point> public_key_from_pem(std::string_view pem) {
  PkContext context;
  const std::string text = with_nul(pem);
  if (mbedtls_pk_parse_public_key(&context.v, reinterpret_cast<const unsigned char*>(text.data()),
                                  text.size()) != 0) {
    GATE_TRY_ASSIGN(P256KeyPair pair, P256KeyPair::from_pem(pem));
    return pair.public_key();
  }
  const mbedtls_ecp_keypair* key = p256_of(context.v);
  if (key == nullptr) return make_error(Errc::malformed, "p256 key: not a P-256 (prime256v1) key");
  if (mbedtls_ecp_check_pubkey(&key->grp, &key->Q) != 0) {
    return make_error(Errc::malformed, "p256 key: the public key is not a point on the curve");
  }
  return write_sec1(*key);
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * bytes.size());
  for (std::uint8_t b : bytes) {
    hex += kDigits[b >> 4];
    hex += kDigits[b & 0x0F];
  }
  return hex;
}

}  // namespace gate::sim
