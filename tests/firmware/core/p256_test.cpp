#include "firmware/core/p256.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "firmware/core/trc1_verifier.h"
#include "tests/firmware/core/trc1_vectors.h"

namespace gate::core {
namespace {

std::vector<std::uint8_t> from_hex(std::string_view hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// The order n of P-256 and its prime p (FIPS 186-4 / SEC 2).
constexpr std::string_view kOrderHex =
    "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
constexpr std::string_view kPrimeHex =
    "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff";

TEST_CASE("p256: sha256 of the FIPS 180-2 'abc' example", "[p256]") {
  const std::string abc = "abc";
  const auto digest =
      sha256(std::span(reinterpret_cast<const std::uint8_t*>(abc.data()), abc.size()));
  REQUIRE(digest.has_value());
  const auto expected =
      from_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(std::equal(digest->begin(), digest->end(), expected.begin(), expected.end()));
}

TEST_CASE("p256: public keys are checked to be on the curve", "[p256]") {
  const auto v = test::load_trc1_vectors();
  P256Curve curve;
  const auto good = from_hex(v.issuer_keys[0].public_key_hex);
  REQUIRE(good.size() == 65);
  CHECK(curve.parse_public_key(good).ok());

  auto off = good;
  off[64] ^= 1;  // y changed: not on the curve
  CHECK(curve.parse_public_key(off).error().code == Errc::malformed);
  auto compressed = good;
  compressed[0] = 0x02;
  CHECK_FALSE(curve.parse_public_key(compressed).ok());
  CHECK_FALSE(curve.parse_public_key(std::span(good).first(64)).ok());
  CHECK_FALSE(curve.parse_public_key({}).ok());
  CHECK_FALSE(curve.parse_public_key(std::vector<std::uint8_t>{0x00}).ok());  // infinity
  std::vector<std::uint8_t> zero(65, 0);
  zero[0] = 0x04;
  CHECK_FALSE(curve.parse_public_key(zero).ok());
  std::vector<std::uint8_t> big{0x04};  // x = p, y = p: coordinates not below p
  const auto p = from_hex(kPrimeHex);
  big.insert(big.end(), p.begin(), p.end());
  big.insert(big.end(), p.begin(), p.end());
  CHECK_FALSE(curve.parse_public_key(big).ok());
}

TEST_CASE("p256: verifies the issuer signature of a vector, and only that", "[p256]") {
  const auto v = test::load_trc1_vectors();
  const auto code = parse_trc1(test::find_case(v, "valid").text);
  REQUIRE(code.has_value());
  P256Curve curve;
  auto key = curve.parse_public_key(from_hex(test::VectorIssuerKeySource(v.issuer_keys)
                                                 .find(code->issuer_id, code->issuer_key_id)
                                                 ->public_key_hex));
  REQUIRE(key.ok());
  const auto digest = sha256(std::span(code->body).first(kTrc1IssuerSignedSize));
  REQUIRE(digest.has_value());
  std::array<std::uint8_t, 64> sig{};
  std::copy(code->issuer_signature().begin(), code->issuer_signature().end(), sig.begin());
  CHECK(curve.verify(*key, *digest, sig));

  auto other_digest = *digest;
  other_digest[0] ^= 0x80;
  CHECK_FALSE(curve.verify(*key, other_digest, sig));

  const auto n = from_hex(kOrderHex);
  auto bad = sig;
  std::fill(bad.begin(), bad.begin() + 32, 0);  // r = 0
  CHECK_FALSE(curve.verify(*key, *digest, bad));
  bad = sig;
  std::fill(bad.begin() + 32, bad.end(), 0);  // s = 0
  CHECK_FALSE(curve.verify(*key, *digest, bad));
  bad = sig;
  std::copy(n.begin(), n.end(), bad.begin());  // r = n
  CHECK_FALSE(curve.verify(*key, *digest, bad));
  bad = sig;
  std::copy(n.begin(), n.end(), bad.begin() + 32);  // s = n
  CHECK_FALSE(curve.verify(*key, *digest, bad));
  bad.fill(0xFF);
  CHECK_FALSE(curve.verify(*key, *digest, bad));
}

}  // namespace
}  // namespace gate::core
