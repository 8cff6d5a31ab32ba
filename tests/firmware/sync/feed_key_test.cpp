// The feed key a gate pins: the operator's PEM public key read with mbedTLS pk (checked against
// the point openssl printed for the same file), and the key state chain a restart reads back.
#include "firmware/sync/feed_key.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "sim/ride_code/p256_key_pair.h"
#include "tests/support/temp_dir.h"

using gate::feed::KeyRotation;
using gate::feed::Sec1Key;
using gate::sync::KeyChain;

namespace {

// Made with `openssl ecparam -name prime256v1 -genkey` and `openssl ec -pubout`; the point is
// what `openssl ec -pubin -text` printed for it.
constexpr const char* kP256Pem = R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEfk7dJEELglDBjMjjJMavTsEvq2iB
NlCqAIlOdQiYCzkYqW6tDPDbAeBjV7jYx74Cu6xVOxI7QYxFT6LU4av1Pw==
-----END PUBLIC KEY-----
)";
constexpr const char* kP256Point =
    "047e4edd24410b8250c18cc8e324c6af4ec12fab68813650aa00894e7508980b3918a96ead0cf0db01e06357b8"
    "d8c7be02bbac553b123b418c454fa2d4e1abf53f";
// The same, on P-384: not a feed key.
constexpr const char* kP384Pem = R"(-----BEGIN PUBLIC KEY-----
MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEHiKwP7qadq1rIbnTFS3k0LwdvmbKeBob
z3TLtBhODdJJVJ3iI2fCd/P1Nz9wX46Gg/Ves7wiOPqVJsYEPlg/RPnehnbvdRUv
nIf98HlB59Y4qjVTbUzt9N9SbwNo1U2F
-----END PUBLIC KEY-----
)";

std::string write(const gate::test::TempDir& dir, const std::string& name,
                  const std::string& text) {
  std::ofstream(dir.file(name)) << text;
  return dir.file(name);
}

struct Keys {
  gate::sim::CtrDrbg rng = gate::sim::CtrDrbg::from_system_entropy().value();
  gate::sim::P256KeyPair k0 = gate::sim::P256KeyPair::generate(rng).value();
  gate::sim::P256KeyPair k1 = gate::sim::P256KeyPair::generate(rng).value();
  gate::sim::P256KeyPair k2 = gate::sim::P256KeyPair::generate(rng).value();
  // `next` introduced under `by`'s signature, as a manifest carries it.
  KeyRotation rotate(const gate::sim::P256KeyPair& by, const gate::sim::P256KeyPair& next) {
    KeyRotation r{next.public_key(), {}};
    r.signature = by.sign(gate::feed::rotation_message(r.new_key), rng).value();
    return r;
  }
};

}  // namespace

TEST_CASE("feed key: a P-256 public key PEM read with mbedTLS, as openssl sees it") {
  gate::test::TempDir dir;
  auto key = gate::sync::load_feed_public_key(write(dir, "pub.pem", kP256Pem));
  REQUIRE(key.ok());
  CHECK(gate::sim::to_hex(*key) == kP256Point);

  auto p384 = gate::sync::load_feed_public_key(write(dir, "p384.pem", kP384Pem));
  REQUIRE_FALSE(p384.ok());
  CHECK_THAT(p384.error().message, Catch::EndsWith("not a P-256 key"));

  auto garbage = gate::sync::load_feed_public_key(write(dir, "x.pem", "not a key\n"));
  REQUIRE_FALSE(garbage.ok());
  CHECK_THAT(garbage.error().message, Catch::Contains("not a PEM public key"));

  auto missing = gate::sync::load_feed_public_key(dir.file("absent.pem"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == gate::Errc::not_found);
}

TEST_CASE("feed key state: a chain from the configured key survives a save and a load") {
  gate::test::TempDir dir;
  Keys k;
  const std::string path = dir.file("feed-key");
  auto none = gate::sync::load_key_chain(path, k.k0.public_key());
  REQUIRE(none.ok());
  CHECK(none->current() == k.k0.public_key());  // no file: the configured key

  KeyChain chain{k.k0.public_key(), {k.rotate(k.k0, k.k1), k.rotate(k.k1, k.k2)}};
  REQUIRE(gate::sync::save_key_chain(path, chain).ok());
  auto loaded = gate::sync::load_key_chain(path, k.k0.public_key());
  REQUIRE(loaded.ok());
  CHECK(loaded->rotations.size() == 2);
  CHECK(loaded->current() == k.k2.public_key());

  // Configured with another key: the state is not this key's.
  auto other = gate::sync::load_key_chain(path, k.k1.public_key());
  REQUIRE_FALSE(other.ok());
  CHECK(other.error().code == gate::Errc::invalid_argument);
}

TEST_CASE("feed key state: a rotation the key before it did not sign is refused") {
  gate::test::TempDir dir;
  Keys k;
  const std::string path = dir.file("feed-key");
  // k2 signed by k0, but listed after k1: the link k1 -> k2 does not hold.
  KeyChain chain{k.k0.public_key(), {k.rotate(k.k0, k.k1), k.rotate(k.k0, k.k2)}};
  REQUIRE(gate::sync::save_key_chain(path, chain).ok());
  auto loaded = gate::sync::load_key_chain(path, k.k0.public_key());
  REQUIRE_FALSE(loaded.ok());
  CHECK_THAT(loaded.error().message, Catch::Contains("not signed by the key before it"));

  std::ofstream(path) << "origin zz\n";
  auto garbled = gate::sync::load_key_chain(path, k.k0.public_key());
  REQUIRE_FALSE(garbled.ok());
  CHECK(garbled.error().code == gate::Errc::malformed);
}
