// ECDSA P-256 / SHA-256 verification for ride codes (spec/ride-code-v1.md), a thin RAII wrapper
// over mbedTLS 2.28. mbedTLS types stay out of this header.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "hal/result.h"

struct mbedtls_ecp_group;
struct mbedtls_ecp_point;
struct mbedtls_sha256_context;

namespace gate::core {

using Sha256Digest = std::array<std::uint8_t, 32>;

// SHA-256 of `data`; std::nullopt only if mbedTLS reports a failure.
std::optional<Sha256Digest> sha256(std::span<const std::uint8_t> data);

// SHA-256 fed in pieces, for data too large to hold (a feed snapshot). Move-only.
class Sha256Stream {
 public:
  Sha256Stream();
  Sha256Stream(Sha256Stream&&) noexcept = default;
  Sha256Stream& operator=(Sha256Stream&&) noexcept = default;
  ~Sha256Stream() = default;
  void update(std::span<const std::uint8_t> data);
  // The digest of everything given to update(); std::nullopt if mbedTLS reported a failure at any
  // point. The stream is finished afterwards: call it once.
  std::optional<Sha256Digest> finish();
  // The digest of everything so far, leaving the stream open for more (a copy is finished), so
  // one pass gives the digest of a prefix and of the whole.
  std::optional<Sha256Digest> digest_so_far() const;

 private:
  struct Free {
    void operator()(mbedtls_sha256_context* ctx) const;
  };
  std::unique_ptr<mbedtls_sha256_context, Free> ctx_;
  bool failed_ = false;
};

// A P-256 public key that has been checked to lie on the curve. Move-only.
class P256PublicKey {
 public:
  P256PublicKey(P256PublicKey&&) noexcept = default;
  P256PublicKey& operator=(P256PublicKey&&) noexcept = default;
  ~P256PublicKey() = default;

 private:
  friend class P256Curve;
  struct Free {
    void operator()(mbedtls_ecp_point* point) const;
  };
  explicit P256PublicKey(std::unique_ptr<mbedtls_ecp_point, Free> point)
      : point_(std::move(point)) {}
  std::unique_ptr<mbedtls_ecp_point, Free> point_;
};

// The curve P-256 (secp256r1) and the operations on it. Not thread-safe: give each thread its own.
class P256Curve {
 public:
  // Loads the curve parameters. If mbedTLS fails to (out of memory), every parse and verify fails.
  P256Curve();
  P256Curve(P256Curve&&) noexcept = default;
  P256Curve& operator=(P256Curve&&) noexcept = default;
  ~P256Curve() = default;

  // Parses a SEC1 uncompressed point (0x04 || X || Y, 65 bytes) and checks that it is a valid
  // public key: on the curve, coordinates below p, not the point at infinity. Errc::malformed else.
  Result<P256PublicKey> parse_public_key(std::span<const std::uint8_t> sec1) const;

  // Whether `signature` (raw r || s, 32 + 32 bytes big-endian) is a valid ECDSA signature of
  // `digest` under `key`. False when r or s is zero or not below the curve order, and on any
  // mbedTLS failure; never crashes.
  bool verify(const P256PublicKey& key, const Sha256Digest& digest,
              std::span<const std::uint8_t, 64> signature);

 private:
  struct Free {
    void operator()(mbedtls_ecp_group* group) const;
  };
  std::unique_ptr<mbedtls_ecp_group, Free> group_;  // null when loading failed
};

}  // namespace gate::core
