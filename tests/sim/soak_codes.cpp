#include "tests/sim/soak_codes.h"

#include <mbedtls/ecdsa.h>
#include <mbedtls/sha256.h>

#include <array>
#include <chrono>
#include <optional>
#include <string_view>

namespace gate::test::soak {
namespace {

using std::chrono::seconds;

std::optional<std::vector<std::uint8_t>> base45_decode(std::string_view text) {
  static constexpr std::string_view kAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  std::vector<std::uint8_t> out;
  std::size_t i = 0;
  auto value = [&](char c) -> int {
    auto at = kAlphabet.find(c);
    return at == std::string_view::npos ? -1 : static_cast<int>(at);
  };
  for (; i + 3 <= text.size(); i += 3) {
    int a = value(text[i]), b = value(text[i + 1]), c = value(text[i + 2]);
    if (a < 0 || b < 0 || c < 0) return std::nullopt;
    int n = a + 45 * b + 2025 * c;
    if (n > 0xFFFF) return std::nullopt;
    out.push_back(static_cast<std::uint8_t>(n >> 8));
    out.push_back(static_cast<std::uint8_t>(n & 0xFF));
  }
  if (text.size() - i == 2) {
    int a = value(text[i]), b = value(text[i + 1]);
    if (a < 0 || b < 0 || a + 45 * b > 0xFF) return std::nullopt;
    out.push_back(static_cast<std::uint8_t>(a + 45 * b));
  } else if (text.size() - i == 1) {
    return std::nullopt;
  }
  return out;
}

std::uint64_t be(const std::vector<std::uint8_t>& b, std::size_t at, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = v << 8 | b[at + i];
  return v;
}

// ECDSA P-256 / SHA-256 with mbedTLS's bare primitives; any failure is "does not verify".
bool ecdsa_ok(const std::uint8_t* message, std::size_t size, const std::uint8_t* point65,
              const std::uint8_t* signature64) {
  std::array<unsigned char, 32> digest{};
  if (mbedtls_sha256_ret(message, size, digest.data(), 0) != 0) return false;
  mbedtls_ecp_group group;
  mbedtls_ecp_point q;
  mbedtls_mpi r, s;
  mbedtls_ecp_group_init(&group);
  mbedtls_ecp_point_init(&q);
  mbedtls_mpi_init(&r);
  mbedtls_mpi_init(&s);
  bool ok = mbedtls_ecp_group_load(&group, MBEDTLS_ECP_DP_SECP256R1) == 0 &&
            mbedtls_ecp_point_read_binary(&group, &q, point65, 65) == 0 &&
            mbedtls_ecp_check_pubkey(&group, &q) == 0 &&
            mbedtls_mpi_read_binary(&r, signature64, 32) == 0 &&
            mbedtls_mpi_read_binary(&s, signature64 + 32, 32) == 0 &&
            mbedtls_ecdsa_verify(&group, digest.data(), digest.size(), &q, &r, &s) == 0;
  mbedtls_mpi_free(&s);
  mbedtls_mpi_free(&r);
  mbedtls_ecp_point_free(&q);
  mbedtls_ecp_group_free(&group);
  return ok;
}

}  // namespace

CodeVerdict CodeChecker::check(const std::string& text, Time now, const Records& records) {
  constexpr seconds kSkew{30};
  if (text.rfind("TRC1:", 0) != 0) return {"code_malformed", ""};
  auto body = base45_decode(std::string_view(text).substr(5));
  if (!body || body->size() != 221 || (*body)[0] != 1) return {"code_malformed", ""};
  const auto& b = *body;
  const auto validity = static_cast<std::uint16_t>(be(b, 153, 2));
  if (validity < 1 || validity > 300) return {"code_malformed", ""};
  const int issuer = static_cast<int>(be(b, 1, 2)), key_id = b[3];
  const std::uint64_t account = be(b, 4, 8);
  const Time not_before{seconds(be(b, 12, 4))}, not_after{seconds(be(b, 16, 4))};
  auto key = records.issuer_keys.find({issuer, key_id});
  if (key == records.issuer_keys.end() || key->second.point.size() != 65) {
    return {"code_unknown_key", ""};
  }
  if (key->second.revoked || not_before < key->second.from || not_before > key->second.until) {
    return {"code_key_revoked", ""};
  }
  const std::vector<std::uint8_t> cert(b.begin(), b.begin() + 149);
  if (!verified_certs_.count(cert)) {
    if (!ecdsa_ok(b.data(), 85, key->second.point.data(), b.data() + 85)) {
      return {"code_bad_signature", ""};
    }
    verified_certs_.insert(cert);
  }
  if (now < not_before - kSkew) return {"code_not_yet_valid", ""};
  if (now > not_after + kSkew) return {"code_cert_expired", ""};
  if (!ecdsa_ok(b.data(), 157, b.data() + 20, b.data() + 157)) return {"code_bad_signature", ""};
  const Time generated{seconds(be(b, 149, 4))};
  if (now < generated - kSkew) return {"code_not_yet_valid", ""};
  if (now > generated + seconds(validity) + kSkew) return {"code_expired", ""};
  Triple triple{account, static_cast<std::uint32_t>(be(b, 149, 4)),
                static_cast<std::uint16_t>(be(b, 155, 2))};
  if (!accepted_.insert(triple).second) return {"code_replayed", ""};
  return {"", "qr:" + std::to_string(account)};
}

}  // namespace gate::test::soak
