// Codes made by sim/ride_code verify with the gate's own Trc1Verifier, and each verification step
// can be made to fail with the reason decisions.md names. Runs on every target.
#include <catch2/catch.hpp>
#include <string>
#include <variant>

#include "firmware/core/in_memory_replay_guard.h"
#include "firmware/core/p256.h"
#include "firmware/store/record_loader.h"
#include "sim/ride_code/trc1_issuer.h"
#include "tests/firmware/core/trc1_vectors.h"

namespace gate::sim {
namespace {

using core::test::at_unix;
using core::test::result_name;

constexpr std::uint32_t kNow = 1653253200;  // 2022-05-23T05:00:00+08:00

CtrDrbg seeded(std::string_view seed) {
  auto rng = CtrDrbg::from_seed(
      std::span(reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size()));
  REQUIRE(rng.ok());
  return std::move(rng).value();
}

P256KeyPair key_pair(CtrDrbg& rng) {
  auto pair = P256KeyPair::generate(rng);
  REQUIRE(pair.ok());
  return std::move(pair).value();
}

// An issuer (1, key 3), one install's device key and a certificate valid for a day around kNow.
struct Install {
  CtrDrbg rng = seeded("ride-code test");
  P256KeyPair issuer = key_pair(rng);
  P256KeyPair device = key_pair(rng);
  Trc1CertificateFields fields{1, 3, 100000000042u, kNow - 3600, kNow + 86400};
  core::IssuerKey record = issuer_key_record(1, 3, issuer.public_key(), at_unix(kNow - 86400 * 30),
                                             at_unix(kNow + 86400 * 30), false);

  Trc1Certificate certificate() {
    auto cert = issue_trc1_certificate(fields, device.public_key(), issuer, rng);
    REQUIRE(cert.ok());
    return *cert;
  }
  std::string code(Trc1CodeFields code_fields) {
    auto body = mint_trc1_code(certificate(), code_fields, device, rng);
    REQUIRE(body.ok());
    return trc1_text(*body);
  }
};

std::string verify(const std::string& text, std::uint32_t now, const core::IssuerKey& key,
                   core::ReplayGuard& replay) {
  core::Trc1Verifier verifier;
  core::test::VectorIssuerKeySource keys({key});
  return result_name(verifier.verify(text, at_unix(now), keys, replay));
}

std::string verify(const std::string& text, std::uint32_t now, const core::IssuerKey& key) {
  core::InMemoryReplayGuard replay;
  return verify(text, now, key, replay);
}

TEST_CASE("ride code: a seed gives the same keys every time, another seed other keys",
          "[ride_code]") {
  CtrDrbg a = seeded("seed one");
  CtrDrbg b = seeded("seed one");
  CtrDrbg c = seeded("seed two");
  CHECK(key_pair(a).public_key() == key_pair(b).public_key());
  CHECK(key_pair(a).public_key() == key_pair(b).public_key());
  CHECK(key_pair(a).public_key() != key_pair(c).public_key());
  CHECK_FALSE(CtrDrbg::from_seed({}).ok());
  auto system = CtrDrbg::from_system_entropy();
  REQUIRE(system.ok());
  CHECK(key_pair(*system).public_key() != key_pair(c).public_key());
}

TEST_CASE("ride code: signatures are raw r||s that the gate's P-256 code verifies", "[ride_code]") {
  CtrDrbg rng = seeded("signatures");
  const P256KeyPair pair = key_pair(rng);
  core::P256Curve curve;
  auto key = curve.parse_public_key(pair.public_key());
  REQUIRE(key.ok());
  for (int i = 0; i < 20; ++i) {
    const std::vector<std::uint8_t> message(static_cast<std::size_t>(i),
                                            static_cast<std::uint8_t>(i));
    auto signature = pair.sign(message, rng);
    REQUIRE(signature.ok());
    auto digest = core::sha256(message);
    REQUIRE(digest.has_value());
    CHECK(curve.verify(*key, *digest, *signature));
    auto again = pair.sign(message, rng);
    REQUIRE(again.ok());
    CHECK(*again == *signature);  // RFC 6979: the same key and message give the same signature
    (*signature)[63] ^= 1;
    CHECK_FALSE(curve.verify(*key, *digest, *signature));
  }
}

TEST_CASE("ride code: keys go to PEM and back", "[ride_code]") {
  CtrDrbg rng = seeded("pem");
  const P256KeyPair pair = key_pair(rng);
  auto private_pem = pair.private_key_pem();
  auto public_pem = pair.public_key_pem();
  REQUIRE(private_pem.ok());
  REQUIRE(public_pem.ok());
  CHECK(private_pem->starts_with("-----BEGIN EC PRIVATE KEY-----\n"));
  CHECK(private_pem->ends_with("-----END EC PRIVATE KEY-----\n"));
  CHECK(public_pem->starts_with("-----BEGIN PUBLIC KEY-----\n"));
  auto back = P256KeyPair::from_pem(*private_pem);
  REQUIRE(back.ok());
  CHECK(back->public_key() == pair.public_key());
  auto point = public_key_from_pem(*public_pem);
  REQUIRE(point.ok());
  CHECK(*point == pair.public_key());
  auto from_private = public_key_from_pem(*private_pem);
  REQUIRE(from_private.ok());
  CHECK(*from_private == pair.public_key());
  CHECK(to_hex(pair.public_key()).size() == 130);
  CHECK(to_hex(pair.public_key()).starts_with("04"));

  SECTION("anything else is refused, never a crash") {
    const std::string& good = *private_pem;
    for (const std::string& bad :
         {std::string(), std::string("hello"), *public_pem, good.substr(0, good.size() / 2),
          good.substr(0, 40) + "!" + good.substr(41), std::string(good.size(), '\0'),
          std::string("-----BEGIN EC PRIVATE KEY-----\n-----END EC PRIVATE KEY-----\n")}) {
      auto parsed = P256KeyPair::from_pem(bad);
      REQUIRE_FALSE(parsed.ok());
      CHECK(parsed.error().code == Errc::malformed);
    }
    for (const std::string& bad :
         {std::string(), std::string("hello"), public_pem->substr(0, public_pem->size() / 2)}) {
      CHECK_FALSE(public_key_from_pem(bad).ok());
    }
  }
}

TEST_CASE("ride code: a minted code verifies with the gate's Trc1Verifier", "[ride_code]") {
  Install install;
  const std::string text = install.code({kNow, 60, 7});
  CHECK(text.size() == 337);
  CHECK(text.starts_with("TRC1:"));
  core::Trc1Verifier verifier;
  core::test::VectorIssuerKeySource keys({install.record});
  core::InMemoryReplayGuard replay;
  const auto result = verifier.verify(text, at_unix(kNow + 5), keys, replay);
  const auto* ok = std::get_if<core::RideCodeOk>(&result);
  REQUIRE(ok != nullptr);
  CHECK(ok->credential == "qr:100000000042");
  CHECK(ok->generated_at == kNow);
  CHECK(ok->sequence == 7);
  CHECK(ok->expires_at == at_unix(kNow + 60 + 30));

  // The next code of the same install needs only the device signature: the certificate is
  // remembered.
  const std::string next = install.code({kNow + 10, 60, 8});
  CHECK(result_name(verifier.verify(next, at_unix(kNow + 12), keys, replay)) == "ok");
  CHECK(verifier.cert_memory_stats().hits == 1);
}

TEST_CASE("ride code: each verification step can be made to fail", "[ride_code]") {
  Install install;
  const std::string text = install.code({kNow, 60, 1});
  REQUIRE(verify(text, kNow, install.record) == "ok");

  SECTION("an issuer key the gate does not hold") {
    core::IssuerKey other = install.record;
    other.key_id = 4;
    CHECK(verify(text, kNow, other) == "code_unknown_key");
  }
  SECTION("a revoked issuer key, or a certificate outside the key's window") {
    core::IssuerKey revoked = install.record;
    revoked.revoked = true;
    CHECK(verify(text, kNow, revoked) == "code_key_revoked");
    core::IssuerKey late = install.record;
    late.valid_from = at_unix(install.fields.not_before + 1);
    CHECK(verify(text, kNow, late) == "code_key_revoked");
  }
  SECTION("the wrong issuer key") {
    const P256KeyPair impostor = key_pair(install.rng);
    const core::IssuerKey wrong = issuer_key_record(
        1, 3, impostor.public_key(), install.record.valid_from, install.record.valid_until, false);
    CHECK(verify(text, kNow, wrong) == "code_bad_signature");
  }
  SECTION("an expired or not yet valid certificate") {
    install.fields.not_after = kNow - 100;
    install.fields.not_before = kNow - 1000;
    CHECK(verify(install.code({kNow, 60, 1}), kNow, install.record) == "code_cert_expired");
    install.fields.not_before = kNow + 100;
    install.fields.not_after = kNow + 1000;
    CHECK(verify(install.code({kNow, 60, 1}), kNow, install.record) == "code_not_yet_valid");
  }
  SECTION("a bad device signature") {
    auto body = mint_trc1_code(install.certificate(), {kNow, 60, 1}, install.device, install.rng);
    REQUIRE(body.ok());
    (*body)[200] ^= 0x10;
    CHECK(verify(trc1_text(*body), kNow, install.record) == "code_bad_signature");
  }
  SECTION("an expired code, and one from the future") {
    CHECK(verify(text, kNow + 60 + 30, install.record) == "ok");
    CHECK(verify(text, kNow + 60 + 31, install.record) == "code_expired");
    CHECK(verify(text, kNow - 31, install.record) == "code_not_yet_valid");
  }
  SECTION("a replayed code") {
    core::InMemoryReplayGuard replay;
    CHECK(verify(text, kNow, install.record, replay) == "ok");
    CHECK(verify(text, kNow + 1, install.record, replay) == "code_replayed");
    CHECK(verify(install.code({kNow, 60, 2}), kNow + 1, install.record, replay) == "ok");
  }
}

TEST_CASE("ride code: minting refuses what could never verify", "[ride_code]") {
  Install install;
  const Trc1Certificate cert = install.certificate();
  CHECK(mint_trc1_code(cert, {kNow, 0, 1}, install.device, install.rng).error().code ==
        Errc::invalid_argument);
  CHECK(mint_trc1_code(cert, {kNow, 301, 1}, install.device, install.rng).error().code ==
        Errc::invalid_argument);
  CHECK(mint_trc1_code(cert, {kNow, 300, 1}, install.device, install.rng).ok());
  const P256KeyPair stranger = key_pair(install.rng);
  CHECK(mint_trc1_code(cert, {kNow, 60, 1}, stranger, install.rng).error().code ==
        Errc::invalid_argument);
  Trc1Certificate v2 = cert;
  v2[0] = 2;
  CHECK_FALSE(mint_trc1_code(v2, {kNow, 60, 1}, install.device, install.rng).ok());
  install.fields.not_after = install.fields.not_before - 1;
  CHECK(issue_trc1_certificate(install.fields, install.device.public_key(), install.issuer,
                               install.rng)
            .error()
            .code == Errc::invalid_argument);
}

TEST_CASE("ride code: a certificate goes to hex and back", "[ride_code]") {
  Install install;
  const Trc1Certificate cert = install.certificate();
  const std::string hex = trc1_certificate_hex(cert);
  CHECK(hex.size() == 298);
  auto back = parse_trc1_certificate_hex(hex);
  REQUIRE(back.ok());
  CHECK(*back == cert);
  CHECK_FALSE(parse_trc1_certificate_hex(hex.substr(1)).ok());
  CHECK_FALSE(parse_trc1_certificate_hex("zz" + hex.substr(2)).ok());
  CHECK_FALSE(parse_trc1_certificate_hex("").ok());
}

TEST_CASE("ride code: the issuer_key record line loads and makes the gate trust the key",
          "[ride_code]") {
  Install install;
  const std::string line = issuer_key_record_line(install.record, 8 * 60);
  CHECK(
      line.starts_with("{\"type\":\"issuer_key\",\"issuer_id\":1,\"key_id\":3,"
                       "\"public_key_hex\":\"04"));
  CHECK(line.ends_with(",\"revoked\":false}\n"));
  auto change = store::parse_record_line(line.substr(0, line.size() - 1), 1);
  INFO(line);
  REQUIRE(change.ok());
  const auto* loaded = std::get_if<core::IssuerKey>(&*change);
  REQUIRE(loaded != nullptr);
  CHECK(verify(install.code({kNow, 60, 1}), kNow, *loaded) == "ok");
}

}  // namespace
}  // namespace gate::sim
