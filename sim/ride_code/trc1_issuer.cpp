#include "sim/ride_code/trc1_issuer.h"

#include <algorithm>
#include <span>

#include "firmware/core/base45.h"
#include "sim/populate/record_lines.h"

namespace gate::sim {
namespace {

constexpr std::uint8_t kVersion = 1;
constexpr std::uint16_t kMaxValiditySeconds = 300;
constexpr std::size_t kDeviceKeyOffset = 20;
constexpr std::size_t kCodeFieldsOffset = core::kTrc1CertificateSize;

template <class T>
void write_be(std::span<std::uint8_t> out, std::size_t offset, T value) {
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    out[offset + i] = static_cast<std::uint8_t>(value >> (8 * (sizeof(T) - 1 - i)));
  }
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<Trc1Certificate> issue_trc1_certificate(const Trc1CertificateFields& fields,
                                               const Sec1Point& device_key,
                                               const P256KeyPair& issuer_key, CtrDrbg& rng) {
  if (fields.not_after < fields.not_before) {
    return make_error(Errc::invalid_argument, "trc1 certificate: not_after is before not_before");
  }
  Trc1Certificate cert{};
  cert[0] = kVersion;
  write_be(cert, 1, fields.issuer_id);
  cert[3] = fields.issuer_key_id;
  write_be(cert, 4, fields.account_id);
  write_be(cert, 12, fields.not_before);
  write_be(cert, 16, fields.not_after);
  std::copy(device_key.begin(), device_key.end(), cert.begin() + kDeviceKeyOffset);
  const std::span<const std::uint8_t> signed_part =
      std::span(cert).first(core::kTrc1IssuerSignedSize);
  GATE_TRY_ASSIGN(RawSignature signature, issuer_key.sign(signed_part, rng));
  std::copy(signature.begin(), signature.end(), cert.begin() + core::kTrc1IssuerSignedSize);
  return cert;
}

Result<Trc1Body> mint_trc1_code(const Trc1Certificate& certificate, const Trc1CodeFields& fields,
                                const P256KeyPair& device_key, CtrDrbg& rng) {
  if (fields.validity_seconds < 1 || fields.validity_seconds > kMaxValiditySeconds) {
    return make_error(Errc::invalid_argument, "trc1 code: validity_seconds must be 1..300");
  }
  if (certificate[0] != kVersion) {
    return make_error(Errc::invalid_argument, "trc1 code: the certificate is not version 1");
  }
  const Sec1Point& own = device_key.public_key();
  if (!std::equal(own.begin(), own.end(), certificate.begin() + kDeviceKeyOffset)) {
    return make_error(Errc::invalid_argument,
                      "trc1 code: the certificate is for another device key");
  }
  Trc1Body body{};
  std::copy(certificate.begin(), certificate.end(), body.begin());
  write_be(body, kCodeFieldsOffset, fields.generated_at);
  write_be(body, kCodeFieldsOffset + 4, fields.validity_seconds);
  write_be(body, kCodeFieldsOffset + 6, fields.sequence);
  const std::span<const std::uint8_t> signed_part =
      std::span(body).first(core::kTrc1DeviceSignedSize);
  GATE_TRY_ASSIGN(RawSignature signature, device_key.sign(signed_part, rng));
  std::copy(signature.begin(), signature.end(), body.begin() + core::kTrc1DeviceSignedSize);
  return body;
}

std::string trc1_text(const Trc1Body& body) {
  return std::string(core::kTrc1Prefix) + core::base45_encode(body);
}

std::string trc1_certificate_hex(const Trc1Certificate& certificate) {
  return to_hex(certificate);
}

Result<Trc1Certificate> parse_trc1_certificate_hex(std::string_view hex) {
  Trc1Certificate cert{};
  if (hex.size() != 2 * cert.size()) {
    return make_error(Errc::malformed, "trc1 certificate: expected 298 hex digits");
  }
  for (std::size_t i = 0; i < cert.size(); ++i) {
    const int hi = hex_digit(hex[2 * i]);
    const int lo = hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return make_error(Errc::malformed, "trc1 certificate: not hex");
    cert[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return cert;
}

core::IssuerKey issuer_key_record(std::uint16_t issuer_id, std::uint8_t key_id,
                                  const Sec1Point& public_key, Instant valid_from,
                                  Instant valid_until, bool revoked) {
  core::IssuerKey key;
  key.issuer_id = issuer_id;
  key.key_id = key_id;
  key.public_key_hex = to_hex(public_key);
  key.valid_from = valid_from;
  key.valid_until = valid_until;
  key.revoked = revoked;
  return key;
}

std::string issuer_key_record_line(const core::IssuerKey& key, int utc_offset_minutes) {
  std::string line;
  append_issuer_key_line(line, key, utc_offset_minutes);
  return line;
}

}  // namespace gate::sim
