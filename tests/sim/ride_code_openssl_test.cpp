// Interop with a program nobody here wrote: Debian's openssl makes the keys and the signatures of
// a TRC1 code (DER signatures converted to raw r||s here), and the gate's Trc1Verifier takes it;
// keys written by sim/ride_code are read by openssl, and the other way round. Host builds only
// (see CMakeLists.txt); every openssl run is bounded by `timeout 20`.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "child_process.h"
#include "firmware/core/base45.h"
#include "firmware/core/in_memory_replay_guard.h"
#include "firmware/core/trc1_verifier.h"
#include "sim/ride_code/p256_key_pair.h"
#include "tests/firmware/core/trc1_vectors.h"
#include "tests/sim/ecdsa_der.h"
#include "tests/support/temp_dir.h"

namespace gate::sim {
namespace {

using Bytes = std::vector<std::uint8_t>;
using core::test::at_unix;
using core::test::result_name;

constexpr std::uint32_t kNow = 1653253200;

test::RunResult openssl(std::vector<std::string> args) {
  args.insert(args.begin(), {GATE_TIMEOUT, "20", GATE_OPENSSL});
  return test::run_to_end(args);
}

Bytes read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

std::string read_text(const std::string& path) {
  const Bytes bytes = read_bytes(path);
  return std::string(bytes.begin(), bytes.end());
}

// A P-256 key made by `openssl ecparam`, and its public point from the DER SubjectPublicKeyInfo.
struct OpensslKey {
  std::string pem_path;
  Sec1Point point{};
};

OpensslKey openssl_key(const test::TempDir& dir, const std::string& name) {
  OpensslKey key{dir.file(name + ".pem"), {}};
  REQUIRE(openssl({"ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key.pem_path})
              .exit_code == 0);
  const std::string der_path = dir.file(name + ".pub.der");
  REQUIRE(openssl({"ec", "-in", key.pem_path, "-pubout", "-outform", "DER", "-out", der_path})
              .exit_code == 0);
  const Bytes der = read_bytes(der_path);
  REQUIRE(der.size() == 91);  // SPKI of a P-256 point: 26 bytes of header, then 0x04 || X || Y
  std::copy(der.end() - 65, der.end(), key.point.begin());
  REQUIRE(key.point[0] == 0x04);
  return key;
}

RawSignature openssl_sign(const test::TempDir& dir, const OpensslKey& key, const Bytes& message) {
  write_bytes(dir.file("message.bin"), message);
  REQUIRE(openssl({"dgst", "-sha256", "-sign", key.pem_path, "-out", dir.file("sig.der"),
                   dir.file("message.bin")})
              .exit_code == 0);
  const Bytes der = read_bytes(dir.file("sig.der"));
  INFO("DER signature of " << der.size() << " bytes");
  const auto raw = test::der_to_raw(der);
  REQUIRE(raw.has_value());
  CHECK(test::raw_to_der(*raw) == der);
  return *raw;
}

template <class T>
void put_be(Bytes& body, T value) {
  for (std::size_t i = sizeof(T); i-- > 0;)
    body.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

TEST_CASE("ride code openssl: a code made with openssl verifies, a flipped bit never does",
          "[ride_code][openssl]") {
  test::TempDir dir;
  const OpensslKey issuer = openssl_key(dir, "issuer");
  const OpensslKey device = openssl_key(dir, "device");

  Bytes body{0x01};
  put_be<std::uint16_t>(body, 9);              // issuer_id
  body.push_back(2);                           // issuer_key_id
  put_be<std::uint64_t>(body, 100000000077u);  // account_id
  put_be<std::uint32_t>(body, kNow - 3600);    // cert_not_before
  put_be<std::uint32_t>(body, kNow + 86400);   // cert_not_after
  body.insert(body.end(), device.point.begin(), device.point.end());
  REQUIRE(body.size() == 85);
  const RawSignature issuer_signature = openssl_sign(dir, issuer, body);
  body.insert(body.end(), issuer_signature.begin(), issuer_signature.end());
  put_be<std::uint32_t>(body, kNow);  // generated_at
  put_be<std::uint16_t>(body, 60);    // validity_seconds
  put_be<std::uint16_t>(body, 5);     // sequence
  REQUIRE(body.size() == 157);
  const RawSignature device_signature = openssl_sign(dir, device, body);
  body.insert(body.end(), device_signature.begin(), device_signature.end());
  REQUIRE(body.size() == 221);

  core::IssuerKey key;
  key.issuer_id = 9;
  key.key_id = 2;
  key.public_key_hex = to_hex(issuer.point);
  key.valid_from = at_unix(0);
  key.valid_until = at_unix(0xFFFFFFFFll);
  auto verify = [&](const Bytes& b) {
    core::Trc1Verifier verifier;
    core::test::VectorIssuerKeySource keys({key});
    core::InMemoryReplayGuard replay;
    return result_name(
        verifier.verify("TRC1:" + core::base45_encode(b), at_unix(kNow), keys, replay));
  };
  REQUIRE(verify(body) == "ok");

  // One bit flipped in each byte in turn; the reason is the first failing step's.
  for (std::size_t at = 0; at < body.size(); ++at) {
    for (std::uint8_t bit : {0x01, 0x80}) {
      Bytes flipped = body;
      flipped[at] ^= bit;
      const unsigned validity = flipped[153] << 8 | flipped[154];
      std::string expected = "code_bad_signature";
      if (flipped[0] != 1 || validity < 1 || validity > 300) {
        expected = "code_malformed";
      } else if (at >= 1 && at <= 3) {
        expected = "code_unknown_key";
      }
      INFO("byte " << at << " bit " << int{bit});
      CHECK(verify(flipped) == expected);
    }
  }
}

TEST_CASE("ride code openssl: openssl's keys read here, SEC1 and PKCS#8, and nothing else",
          "[ride_code][openssl]") {
  test::TempDir dir;
  const OpensslKey key = openssl_key(dir, "k");
  auto sec1 = P256KeyPair::from_pem(read_text(key.pem_path));
  REQUIRE(sec1.ok());
  CHECK(sec1->public_key() == key.point);

  REQUIRE(openssl({"pkcs8", "-topk8", "-nocrypt", "-in", key.pem_path, "-out", dir.file("k8.pem")})
              .exit_code == 0);
  const std::string pkcs8 = read_text(dir.file("k8.pem"));
  REQUIRE(pkcs8.starts_with("-----BEGIN PRIVATE KEY-----"));
  auto from_pkcs8 = P256KeyPair::from_pem(pkcs8);
  REQUIRE(from_pkcs8.ok());
  CHECK(from_pkcs8->public_key() == key.point);

  REQUIRE(openssl({"ec", "-in", key.pem_path, "-pubout", "-out", dir.file("pub.pem")}).exit_code ==
          0);
  auto point = public_key_from_pem(read_text(dir.file("pub.pem")));
  REQUIRE(point.ok());
  CHECK(*point == key.point);

  REQUIRE(openssl({"pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passout", "pass:secret", "-in",
                   key.pem_path, "-out", dir.file("encrypted.pem")})
              .exit_code == 0);
  auto encrypted = P256KeyPair::from_pem(read_text(dir.file("encrypted.pem")));
  REQUIRE_FALSE(encrypted.ok());
  CHECK(encrypted.error().message.find("encrypted") != std::string::npos);

  REQUIRE(
      openssl({"ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out", dir.file("p384.pem")})
          .exit_code == 0);
  auto p384 = P256KeyPair::from_pem(read_text(dir.file("p384.pem")));
  REQUIRE_FALSE(p384.ok());
  CHECK(p384.error().message.find("P-256") != std::string::npos);
}

TEST_CASE("ride code openssl: openssl reads our keys and checks our signatures",
          "[ride_code][openssl]") {
  test::TempDir dir;
  auto rng = CtrDrbg::from_system_entropy();
  REQUIRE(rng.ok());
  auto pair = P256KeyPair::generate(*rng);
  REQUIRE(pair.ok());
  const std::string private_pem = *pair->private_key_pem();
  const std::string public_pem = *pair->public_key_pem();
  write_bytes(dir.file("key.pem"), Bytes(private_pem.begin(), private_pem.end()));
  write_bytes(dir.file("pub.pem"), Bytes(public_pem.begin(), public_pem.end()));
  CHECK(openssl({"ec", "-in", dir.file("key.pem"), "-noout", "-check"}).exit_code == 0);
  REQUIRE(openssl({"ec", "-pubin", "-in", dir.file("pub.pem"), "-pubout", "-outform", "DER", "-out",
                   dir.file("pub.der")})
              .exit_code == 0);
  const Bytes der = read_bytes(dir.file("pub.der"));
  REQUIRE(der.size() == 91);
  CHECK(std::equal(der.end() - 65, der.end(), pair->public_key().begin()));

  for (int i = 0; i < 5; ++i) {
    const Bytes message(static_cast<std::size_t>(85 + i), static_cast<std::uint8_t>(i));
    auto signature = pair->sign(message, *rng);
    REQUIRE(signature.ok());
    write_bytes(dir.file("message.bin"), message);
    write_bytes(dir.file("sig.der"), test::raw_to_der(*signature));
    CHECK(openssl({"dgst", "-sha256", "-verify", dir.file("pub.pem"), "-signature",
                   dir.file("sig.der"), dir.file("message.bin")})
              .exit_code == 0);
    (*signature)[10] ^= 0x04;
    write_bytes(dir.file("sig.der"), test::raw_to_der(*signature));
    CHECK(openssl({"dgst", "-sha256", "-verify", dir.file("pub.pem"), "-signature",
                   dir.file("sig.der"), dir.file("message.bin")})
              .exit_code == 1);
  }
}

}  // namespace
}  // namespace gate::sim
