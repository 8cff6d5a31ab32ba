// Offline verification of TRC1 ride codes, steps 1-7 of spec/ride-code-v1.md.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "firmware/core/cert_memory.h"
#include "firmware/core/p256.h"
#include "firmware/core/reason.h"
#include "firmware/core/records.h"
#include "firmware/core/ride_code.h"
#include "hal/time.h"

namespace gate::core {

inline constexpr std::string_view kTrc1Prefix = "TRC1:";
inline constexpr std::size_t kTrc1BodySize = 221;
inline constexpr std::size_t kTrc1IssuerSignedSize = 85;   // bytes 0..84
inline constexpr std::size_t kTrc1CertificateSize = 149;   // bytes 0..148, the memory's key
inline constexpr std::size_t kTrc1DeviceSignedSize = 157;  // bytes 0..156

// The fields of a TRC1 body (integers decoded big-endian); `body` keeps the bytes as received.
struct Trc1Code {
  std::array<std::uint8_t, kTrc1BodySize> body{};
  std::uint16_t issuer_id = 0;
  std::uint8_t issuer_key_id = 0;
  std::uint64_t account_id = 0;
  std::uint32_t cert_not_before = 0;
  std::uint32_t cert_not_after = 0;
  std::uint32_t generated_at = 0;
  std::uint16_t validity_seconds = 0;
  std::uint16_t sequence = 0;

  std::span<const std::uint8_t, 65> device_public_key() const {
    return std::span(body).subspan<20, 65>();
  }
  std::span<const std::uint8_t, 64> issuer_signature() const {
    return std::span(body).subspan<85, 64>();
  }
  std::span<const std::uint8_t, 64> device_signature() const {
    return std::span(body).subspan<157, 64>();
  }
};

// Step 1: the "TRC1:" prefix (exact case), Base45, a 221-byte body, version 1 and
// validity_seconds in 1..300. std::nullopt (code_malformed) for anything else.
std::optional<Trc1Code> parse_trc1(std::string_view text);

struct Trc1Options {
  std::chrono::seconds skew{30};
  std::size_t cert_memory_entries = 4096;  // 0 disables the certificate memory
};

// Verifies ride codes. Holds the certificate memory and the parsed issuer keys, so keep one per
// gate. Not thread-safe.
class Trc1Verifier {
 public:
  explicit Trc1Verifier(Trc1Options options = {});

  // Runs steps 1-7 in order; the first failing step gives the reason. Never crashes on any text.
  // - An issuer key record whose public_key_hex is not a valid P-256 point gives code_unknown_key:
  //   the gate holds no usable key for (issuer_id, key_id).
  // - On success the triple is remembered in `replay` until expires_at + 1 s. If the guard cannot
  //   remember it (bounded and full of unexpired triples), the code is refused with
  //   Reason::out_of_service: accepting it would let it be replayed, and the rider did nothing
  //   wrong. Every other reason returned is one of code_*.
  std::variant<RideCodeOk, Reason> verify(std::string_view text, Instant now, IssuerKeySource& keys,
                                          ReplayGuard& replay);

  CertMemoryStats cert_memory_stats() const { return cert_memory_.stats(); }
  const Trc1Options& options() const { return options_; }

 private:
  struct ParsedIssuerKey {
    std::string public_key_hex;
    std::optional<P256PublicKey> key;  // nullopt: the hex is not a valid P-256 point
    Sha256Digest fingerprint{};        // identity of (issuer_id, key_id, public key)
  };

  // The parsed form of `record`'s public key, parsed once per (issuer, key_id, hex); nullptr when
  // it does not parse.
  const ParsedIssuerKey* issuer_key(const IssuerKey& record);
  std::optional<Reason> check_issuer_signature(const Trc1Code& code, const IssuerKey& record,
                                               Instant now);

  Trc1Options options_;
  P256Curve curve_;
  CertMemory cert_memory_;
  std::map<std::uint32_t, ParsedIssuerKey> issuer_keys_;  // key: issuer_id << 8 | key_id
};

}  // namespace gate::core
