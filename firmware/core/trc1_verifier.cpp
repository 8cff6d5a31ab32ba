#include "firmware/core/trc1_verifier.h"

#include <algorithm>

#include "firmware/core/base45.h"
#include "hal/log.h"

namespace gate::core {
namespace {

constexpr std::uint8_t kTrc1Version = 1;
constexpr std::uint16_t kMaxValiditySeconds = 300;
constexpr std::size_t kSec1Size = 65;
// Issuer keys are few; should the feed ever hold more, the parsed-key cache starts over.
constexpr std::size_t kMaxParsedIssuerKeys = 256;

template <class T>
T read_be(std::span<const std::uint8_t> body, std::size_t offset) {
  T value = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) value = static_cast<T>(value << 8 | body[offset + i]);
  return value;
}

Instant at_second(std::uint32_t unix_seconds) {
  return Instant{std::chrono::seconds{unix_seconds}};
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::array<std::uint8_t, kSec1Size>> parse_key_hex(std::string_view hex) {
  if (hex.size() != 2 * kSec1Size) return std::nullopt;
  std::array<std::uint8_t, kSec1Size> bytes{};
  for (std::size_t i = 0; i < kSec1Size; ++i) {
    const int hi = hex_digit(hex[2 * i]);
    const int lo = hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    bytes[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return bytes;
}

}  // namespace

std::optional<Trc1Code> parse_trc1(std::string_view text) {
  if (!text.starts_with(kTrc1Prefix)) return std::nullopt;
  text.remove_prefix(kTrc1Prefix.size());
  // A 221-byte body is exactly 332 Base45 characters; refuse anything else before decoding.
  if (text.size() != kTrc1BodySize / 2 * 3 + 2) return std::nullopt;
  auto decoded = base45_decode(text);
  if (!decoded.ok() || decoded->size() != kTrc1BodySize) return std::nullopt;

  Trc1Code code;
  std::copy(decoded->begin(), decoded->end(), code.body.begin());
  const std::span<const std::uint8_t> b(code.body);
  if (b[0] != kTrc1Version) return std::nullopt;
  code.issuer_id = read_be<std::uint16_t>(b, 1);
  code.issuer_key_id = b[3];
  code.account_id = read_be<std::uint64_t>(b, 4);
  code.cert_not_before = read_be<std::uint32_t>(b, 12);
  code.cert_not_after = read_be<std::uint32_t>(b, 16);
  code.generated_at = read_be<std::uint32_t>(b, 149);
  code.validity_seconds = read_be<std::uint16_t>(b, 153);
  code.sequence = read_be<std::uint16_t>(b, 155);
  if (code.validity_seconds < 1 || code.validity_seconds > kMaxValiditySeconds) return std::nullopt;
  return code;
}

Trc1Verifier::Trc1Verifier(Trc1Options options)
    : options_(options), cert_memory_(options.cert_memory_entries) {}

const Trc1Verifier::ParsedIssuerKey* Trc1Verifier::issuer_key(const IssuerKey& record) {
  const std::uint32_t id = std::uint32_t{record.issuer_id} << 8 | record.key_id;
  auto found = issuer_keys_.find(id);
  if (found == issuer_keys_.end() || found->second.public_key_hex != record.public_key_hex) {
    if (found == issuer_keys_.end() && issuer_keys_.size() >= kMaxParsedIssuerKeys)
      issuer_keys_.clear();
    ParsedIssuerKey parsed;
    parsed.public_key_hex = record.public_key_hex;
    if (auto bytes = parse_key_hex(record.public_key_hex)) {
      if (auto key = curve_.parse_public_key(*bytes); key.ok()) {
        std::array<std::uint8_t, 3 + kSec1Size> identity{};
        identity[0] = static_cast<std::uint8_t>(record.issuer_id >> 8);
        identity[1] = static_cast<std::uint8_t>(record.issuer_id & 0xFF);
        identity[2] = record.key_id;
        std::copy(bytes->begin(), bytes->end(), identity.begin() + 3);
        if (auto fingerprint = sha256(identity)) {
          parsed.key.emplace(std::move(key).value());
          parsed.fingerprint = *fingerprint;
        }
      }
    }
    if (!parsed.key) {
      log(LogLevel::error, "trc1",
          "issuer key " + std::to_string(record.issuer_id) + "/" + std::to_string(record.key_id) +
              " is not a valid P-256 point; its codes give code_unknown_key");
    }
    found = issuer_keys_.insert_or_assign(id, std::move(parsed)).first;
  }
  return found->second.key ? &found->second : nullptr;
}

// Step 3, with the certificate memory in front of the ECDSA check.
std::optional<Reason> Trc1Verifier::check_issuer_signature(const Trc1Code& code,
                                                           const IssuerKey& record, Instant now) {
  const ParsedIssuerKey* issuer = issuer_key(record);
  if (issuer == nullptr) return Reason::code_unknown_key;
  const std::span<const std::uint8_t> body(code.body);
  const auto cert_hash = sha256(body.first(kTrc1CertificateSize));
  if (!cert_hash) return Reason::code_bad_signature;
  if (cert_memory_.recall(*cert_hash, issuer->fingerprint, now)) return std::nullopt;

  const auto signed_digest = sha256(body.first(kTrc1IssuerSignedSize));
  if (!signed_digest || !curve_.verify(*issuer->key, *signed_digest, code.issuer_signature())) {
    return Reason::code_bad_signature;
  }
  const Instant usable_until = at_second(code.cert_not_after) + options_.skew;
  if (now <= usable_until) cert_memory_.remember(*cert_hash, issuer->fingerprint, usable_until);
  return std::nullopt;
}

std::variant<RideCodeOk, Reason> Trc1Verifier::verify(std::string_view text, Instant now,
                                                      IssuerKeySource& keys, ReplayGuard& replay) {
  const auto skew = options_.skew;
  // Step 1.
  const std::optional<Trc1Code> parsed = parse_trc1(text);
  if (!parsed) return Reason::code_malformed;
  const Trc1Code& code = *parsed;

  // Step 2.
  const std::optional<IssuerKey> record = keys.find_issuer_key(code.issuer_id, code.issuer_key_id);
  if (!record) return Reason::code_unknown_key;
  if (record->revoked) return Reason::code_key_revoked;
  const Instant cert_not_before = at_second(code.cert_not_before);
  if (cert_not_before < record->valid_from || cert_not_before > record->valid_until) {
    return Reason::code_key_revoked;
  }

  // Step 3.
  if (auto failed = check_issuer_signature(code, *record, now)) return *failed;

  // Step 4.
  if (now < cert_not_before - skew) return Reason::code_not_yet_valid;
  if (now > at_second(code.cert_not_after) + skew) return Reason::code_cert_expired;

  // Step 5.
  {
    auto device_key = curve_.parse_public_key(code.device_public_key());
    if (!device_key.ok()) return Reason::code_bad_signature;
    const auto digest =
        sha256(std::span<const std::uint8_t>(code.body).first(kTrc1DeviceSignedSize));
    if (!digest || !curve_.verify(*device_key, *digest, code.device_signature())) {
      return Reason::code_bad_signature;
    }
  }

  // Step 6.
  const Instant generated_at = at_second(code.generated_at);
  const Instant expires_at = generated_at + std::chrono::seconds{code.validity_seconds} + skew;
  if (now < generated_at - skew) return Reason::code_not_yet_valid;
  if (now > expires_at) return Reason::code_expired;

  // Step 7.
  if (replay.seen(code.account_id, code.generated_at, code.sequence)) return Reason::code_replayed;
  const Instant forget_after = expires_at + std::chrono::seconds{1};
  if (!replay.try_remember(code.account_id, code.generated_at, code.sequence, forget_after, now)) {
    return Reason::out_of_service;
  }

  RideCodeOk ok;
  ok.credential = "qr:" + std::to_string(code.account_id);
  ok.account_id = code.account_id;
  ok.generated_at = code.generated_at;
  ok.sequence = code.sequence;
  ok.expires_at = expires_at;
  return ok;
}

}  // namespace gate::core
