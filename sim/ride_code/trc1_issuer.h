// Making TRC1 ride codes (spec/ride-code-v1.md) the way the back office and the App do: the
// code-issuing platform certifies an install's device key, and the install mints codes with it.
// For the simulator, tests and benchmarks; the gate only verifies (firmware/core/trc1_verifier.h).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "firmware/core/records.h"
#include "firmware/core/trc1_verifier.h"
#include "hal/result.h"
#include "hal/time.h"
#include "sim/ride_code/ctr_drbg.h"
#include "sim/ride_code/p256_key_pair.h"

namespace gate::sim {

using Trc1Certificate = std::array<std::uint8_t, core::kTrc1CertificateSize>;  // bytes 0..148
using Trc1Body = std::array<std::uint8_t, core::kTrc1BodySize>;

// What the issuer certifies (body bytes 0..19); times are Unix seconds, UTC.
struct Trc1CertificateFields {
  std::uint16_t issuer_id = 0;
  std::uint8_t issuer_key_id = 0;
  std::uint64_t account_id = 0;
  std::uint32_t not_before = 0;
  std::uint32_t not_after = 0;
};

// What the App adds to each code (body bytes 149..156).
struct Trc1CodeFields {
  std::uint32_t generated_at = 0;  // Unix seconds, UTC
  std::uint16_t validity_seconds = 60;
  std::uint16_t sequence = 0;
};

// A certificate binding `fields` to `device_key`, signed with `issuer_key`. Errc::invalid_argument
// when not_after is before not_before.
Result<Trc1Certificate> issue_trc1_certificate(const Trc1CertificateFields& fields,
                                               const Sec1Point& device_key,
                                               const P256KeyPair& issuer_key, CtrDrbg& rng);

// A code body: `certificate`, then `fields`, signed with `device_key`. Errc::invalid_argument when
// validity_seconds is outside 1..300, the certificate is not version 1, or it certifies another
// device key (the code would never verify).
Result<Trc1Body> mint_trc1_code(const Trc1Certificate& certificate, const Trc1CodeFields& fields,
                                const P256KeyPair& device_key, CtrDrbg& rng);

// The code's text: "TRC1:" followed by the Base45 body (337 characters, all QR alphanumeric).
std::string trc1_text(const Trc1Body& body);

// A certificate as 298 lowercase hex digits, and back (Errc::malformed for anything else).
std::string trc1_certificate_hex(const Trc1Certificate& certificate);
Result<Trc1Certificate> parse_trc1_certificate_hex(std::string_view hex);

// The issuer_key record (records.md) that lets gates trust `public_key` as (issuer_id, key_id).
core::IssuerKey issuer_key_record(std::uint16_t issuer_id, std::uint8_t key_id,
                                  const Sec1Point& public_key, Instant valid_from,
                                  Instant valid_until, bool revoked);

// The record as one JSON line (with '\n'), times in the zone `utc_offset_minutes` east of UTC,
// exactly as sim/demo/records.jsonl holds them.
std::string issuer_key_record_line(const core::IssuerKey& key, int utc_offset_minutes);

}  // namespace gate::sim
