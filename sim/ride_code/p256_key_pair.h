// P-256 key pairs for ride codes (spec/ride-code-v1.md): issuer keys and device keys. Made with
// mbedTLS, written and read as PEM the way mbedtls_pk (and openssl) write them. Signatures are raw
// r || s, the form TRC1 bodies carry. mbedTLS types stay out of this header.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "hal/result.h"
#include "sim/ride_code/ctr_drbg.h"

namespace gate::sim {

using Sec1Point = std::array<std::uint8_t, 65>;     // 0x04 || X || Y
using RawSignature = std::array<std::uint8_t, 64>;  // r || s, 32 + 32 bytes big-endian

class P256KeyPair {
 public:
  // A new key pair from `rng`. Errc::io_error if mbedTLS fails.
  static Result<P256KeyPair> generate(CtrDrbg& rng);

  // Parses an unencrypted PEM private key, SEC1 ("EC PRIVATE KEY") or PKCS#8 ("PRIVATE KEY"), on
  // P-256 only. Errc::malformed (with the reason) for anything else, never a crash.
  static Result<P256KeyPair> from_pem(std::string_view pem);

  P256KeyPair(P256KeyPair&&) noexcept;
  P256KeyPair& operator=(P256KeyPair&&) noexcept;
  ~P256KeyPair();

  // The private key as SEC1 PEM ("-----BEGIN EC PRIVATE KEY-----", named curve, public key
  // included), as mbedtls_pk_write_key_pem writes it.
  Result<std::string> private_key_pem() const;
  // The public key as SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----").
  Result<std::string> public_key_pem() const;
  const Sec1Point& public_key() const { return public_key_; }

  // ECDSA P-256 / SHA-256 signature of `message`, raw r || s (zero-padded). The nonce is derived
  // from the key and the message (RFC 6979); `rng` only blinds the computation.
  Result<RawSignature> sign(std::span<const std::uint8_t> message, CtrDrbg& rng) const;
  // The same signature, given the message's SHA-256 (for messages hashed as they are streamed).
  Result<RawSignature> sign_digest(const std::array<std::uint8_t, 32>& digest, CtrDrbg& rng) const;

 private:
  struct State;
  explicit P256KeyPair(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
  Sec1Point public_key_{};
};

// The public key of a PEM file's contents: a SubjectPublicKeyInfo public key ("PUBLIC KEY") or any
// private key from_pem() takes. Errc::malformed for anything else.
Result<Sec1Point> public_key_from_pem(std::string_view pem);

// Lowercase hex of `bytes`; of a point, the 130 digits of records.md's public_key_hex.
std::string to_hex(std::span<const std::uint8_t> bytes);

}  // namespace gate::sim
