#include "firmware/core/cert_memory.h"

#include <catch2/catch.hpp>

#include "firmware/core/in_memory_replay_guard.h"
#include "firmware/core/trc1_verifier.h"
#include "tests/firmware/core/trc1_vectors.h"

namespace gate::core {
namespace {

using test::at_unix;
using test::result_name;

Sha256Digest digest_of(std::uint8_t fill) {
  Sha256Digest d;
  d.fill(fill);
  return d;
}

TEST_CASE("cert memory: recall hits only what was remembered, for the same key", "[cert_memory]") {
  CertMemory memory(4);
  const auto cert = digest_of(1);
  const auto key = digest_of(0xAA);
  CHECK_FALSE(memory.recall(cert, key, at_unix(100)));
  memory.remember(cert, key, at_unix(200));
  CHECK(memory.recall(cert, key, at_unix(100)));
  CHECK_FALSE(memory.recall(digest_of(2), key, at_unix(100)));
  CHECK(memory.stats().hits == 1);
  CHECK(memory.stats().misses == 2);
  CHECK(memory.stats().size == 1);

  // Another key identity (the record's public key changed): a miss, and the entry is gone.
  CHECK_FALSE(memory.recall(cert, digest_of(0xBB), at_unix(100)));
  CHECK(memory.stats().size == 0);
  CHECK_FALSE(memory.recall(cert, key, at_unix(100)));
}

TEST_CASE("cert memory: an entry is never used after its end", "[cert_memory]") {
  CertMemory memory(4);
  const auto cert = digest_of(1);
  const auto key = digest_of(0xAA);
  memory.remember(cert, key, at_unix(200));
  CHECK(memory.recall(cert, key, at_unix(200)));
  CHECK_FALSE(memory.recall(cert, key, at_unix(200) + std::chrono::microseconds{1}));
  CHECK(memory.stats().size == 0);
  CHECK_FALSE(memory.recall(cert, key, at_unix(150)));
}

TEST_CASE("cert memory: least recently used entries go first and the bound holds",
          "[cert_memory]") {
  CertMemory memory(2);
  const auto key = digest_of(0xAA);
  const Instant end = at_unix(1000);
  memory.remember(digest_of(1), key, end);
  memory.remember(digest_of(2), key, end);
  CHECK(memory.recall(digest_of(1), key, at_unix(0)));  // 1 is now the most recent
  memory.remember(digest_of(3), key, end);              // drops 2
  CHECK(memory.stats().size == 2);
  CHECK(memory.recall(digest_of(1), key, at_unix(0)));
  CHECK(memory.recall(digest_of(3), key, at_unix(0)));
  CHECK_FALSE(memory.recall(digest_of(2), key, at_unix(0)));
  for (std::uint8_t i = 10; i < 50; ++i) memory.remember(digest_of(i), key, end);
  CHECK(memory.stats().size == 2);
  CHECK(memory.recall(digest_of(49), key, at_unix(0)));
  CHECK(memory.recall(digest_of(48), key, at_unix(0)));

  CertMemory disabled(0);
  disabled.remember(digest_of(1), key, end);
  CHECK_FALSE(disabled.recall(digest_of(1), key, at_unix(0)));
  CHECK(disabled.stats().size == 0);
}

// Through the verifier, with the public vectors.
struct MemoryFixture {
  test::Trc1Vectors v = test::load_trc1_vectors();
  test::VectorIssuerKeySource keys{v.issuer_keys};
  Trc1Verifier verifier{Trc1Options{std::chrono::seconds{v.skew_seconds}, 4096}};
  InMemoryReplayGuard replay;
  std::string verify(const test::Trc1Case& c) {
    return result_name(verifier.verify(c.text, c.now, keys, replay));
  }
};

TEST_CASE_METHOD(MemoryFixture, "cert memory: the second code from one install hits the memory",
                 "[cert_memory]") {
  // replay_stream[0] and [2] are two codes from the same install (different sequence).
  const auto first = parse_trc1(v.replay_stream[0].text);
  const auto second = parse_trc1(v.replay_stream[2].text);
  REQUIRE(first.has_value());
  REQUIRE(second.has_value());
  REQUIRE(std::equal(first->body.begin(), first->body.begin() + kTrc1CertificateSize,
                     second->body.begin()));
  REQUIRE(first->sequence != second->sequence);

  CHECK(verify(v.replay_stream[0]) == "ok");
  CHECK(verifier.cert_memory_stats().hits == 0);
  CHECK(verifier.cert_memory_stats().misses == 1);
  CHECK(verifier.cert_memory_stats().size == 1);
  CHECK(verify(v.replay_stream[2]) == "ok");
  CHECK(verifier.cert_memory_stats().hits == 1);
  CHECK(verifier.cert_memory_stats().size == 1);

  // A code whose device signature is bad still fails with the certificate remembered.
  CHECK(verify(test::find_case(v, "device_sig_flipped")) == "code_bad_signature");
  CHECK(verifier.cert_memory_stats().hits == 2);
}

TEST_CASE_METHOD(MemoryFixture, "cert memory: never used once the key is revoked, gone or changed",
                 "[cert_memory]") {
  const auto& valid = test::find_case(v, "valid");
  const auto code = parse_trc1(valid.text);
  REQUIRE(code.has_value());
  REQUIRE(verify(valid) == "ok");
  REQUIRE(verifier.cert_memory_stats().size == 1);
  IssuerKey* key = keys.find(code->issuer_id, code->issuer_key_id);

  SECTION("revoked") {
    key->revoked = true;
    replay = InMemoryReplayGuard();
    CHECK(verify(valid) == "code_key_revoked");
    CHECK(verifier.cert_memory_stats().hits == 0);
  }
  SECTION("gone") {
    keys.keys.clear();
    replay = InMemoryReplayGuard();
    CHECK(verify(valid) == "code_unknown_key");
    CHECK(verifier.cert_memory_stats().hits == 0);
  }
  SECTION("replaced by another public key under the same id") {
    key->public_key_hex = keys.find(1, 2)->public_key_hex;
    replay = InMemoryReplayGuard();
    CHECK(verify(valid) == "code_bad_signature");
    CHECK(verifier.cert_memory_stats().hits == 0);
  }
  SECTION("past cert_not_after + skew") {
    const Instant after = at_unix(code->cert_not_after) + std::chrono::seconds{v.skew_seconds} +
                          std::chrono::seconds{1};
    replay = InMemoryReplayGuard();
    CHECK(result_name(verifier.verify(valid.text, after, keys, replay)) == "code_cert_expired");
    CHECK(verifier.cert_memory_stats().hits == 0);
  }
}

}  // namespace
}  // namespace gate::core
