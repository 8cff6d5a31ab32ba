#include "firmware/core/p256.h"

#include <mbedtls/bignum.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/sha256.h>

#include "firmware/core/mbedtls_object.h"

namespace gate::core {
namespace {

constexpr std::size_t kSec1UncompressedSize = 65;
constexpr std::size_t kScalarSize = 32;

// Reads a 32-byte big-endian scalar and checks 0 < value < n.
bool read_scalar(const mbedtls_ecp_group& group, std::span<const std::uint8_t> bytes, Mpi& out) {
  if (mbedtls_mpi_read_binary(&out.v, bytes.data(), bytes.size()) != 0) return false;
  if (mbedtls_mpi_cmp_int(&out.v, 0) <= 0) return false;
  return mbedtls_mpi_cmp_mpi(&out.v, &group.N) < 0;
}

}  // namespace

std::optional<Sha256Digest> sha256(std::span<const std::uint8_t> data) {
  Sha256Digest digest{};
  if (mbedtls_sha256_ret(data.data(), data.size(), digest.data(), /*is224=*/0) != 0) {
    return std::nullopt;
  }
  return digest;
}

void Sha256Stream::Free::operator()(mbedtls_sha256_context* ctx) const {
  mbedtls_sha256_free(ctx);
  delete ctx;
}

Sha256Stream::Sha256Stream() : ctx_(new mbedtls_sha256_context) {
  mbedtls_sha256_init(ctx_.get());
  failed_ = mbedtls_sha256_starts_ret(ctx_.get(), /*is224=*/0) != 0;
}

void Sha256Stream::update(std::span<const std::uint8_t> data) {
  if (!failed_ && !data.empty()) {
    failed_ = mbedtls_sha256_update_ret(ctx_.get(), data.data(), data.size()) != 0;
  }
}

std::optional<Sha256Digest> Sha256Stream::finish() {
  Sha256Digest digest{};
  if (failed_ || mbedtls_sha256_finish_ret(ctx_.get(), digest.data()) != 0) return std::nullopt;
  failed_ = true;  // finished: a second finish() is refused rather than wrong
  return digest;
}

std::optional<Sha256Digest> Sha256Stream::digest_so_far() const {
  if (failed_) return std::nullopt;
  Sha256Stream copy;
  mbedtls_sha256_clone(copy.ctx_.get(), ctx_.get());
  copy.failed_ = false;
  return copy.finish();
}

void P256PublicKey::Free::operator()(mbedtls_ecp_point* point) const {
  mbedtls_ecp_point_free(point);
  delete point;
}

void P256Curve::Free::operator()(mbedtls_ecp_group* group) const {
  mbedtls_ecp_group_free(group);
  delete group;
}

P256Curve::P256Curve() {
  std::unique_ptr<mbedtls_ecp_group, Free> group(new mbedtls_ecp_group);
  mbedtls_ecp_group_init(group.get());
  if (mbedtls_ecp_group_load(group.get(), MBEDTLS_ECP_DP_SECP256R1) == 0) group_ = std::move(group);
}

Result<P256PublicKey> P256Curve::parse_public_key(std::span<const std::uint8_t> sec1) const {
  if (!group_) return make_error(Errc::unsupported, "p256: curve not loaded");
  if (sec1.size() != kSec1UncompressedSize || sec1[0] != 0x04) {
    return make_error(Errc::malformed, "p256: not a SEC1 uncompressed point");
  }
  std::unique_ptr<mbedtls_ecp_point, P256PublicKey::Free> point(new mbedtls_ecp_point);
  mbedtls_ecp_point_init(point.get());
  if (mbedtls_ecp_point_read_binary(group_.get(), point.get(), sec1.data(), sec1.size()) != 0 ||
      mbedtls_ecp_check_pubkey(group_.get(), point.get()) != 0) {
    return make_error(Errc::malformed, "p256: point is not on the curve");
  }
  return P256PublicKey(std::move(point));
}

bool P256Curve::verify(const P256PublicKey& key, const Sha256Digest& digest,
                       std::span<const std::uint8_t, 64> signature) {
  if (!group_ || !key.point_) return false;
  Mpi r;
  Mpi s;
  if (!read_scalar(*group_, signature.first(kScalarSize), r)) return false;
  if (!read_scalar(*group_, signature.last(kScalarSize), s)) return false;
  return mbedtls_ecdsa_verify(group_.get(), digest.data(), digest.size(), key.point_.get(), &r.v,
                              &s.v) == 0;
}

}  // namespace gate::core
