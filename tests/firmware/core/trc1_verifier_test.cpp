#include "firmware/core/trc1_verifier.h"

#include <catch2/catch.hpp>
#include <random>

#include "firmware/core/base45.h"
#include "firmware/core/in_memory_replay_guard.h"
#include "tests/firmware/core/trc1_vectors.h"

namespace gate::core {
namespace {

using test::at_unix;
using test::result_name;

Trc1Options vector_options(const test::Trc1Vectors& v) {
  Trc1Options options;
  options.skew = std::chrono::seconds{v.skew_seconds};
  return options;
}

std::string text_of(std::span<const std::uint8_t> body) {
  return std::string(kTrc1Prefix) + base45_encode(body);
}

TEST_CASE("trc1: every public vector gives its expected reason", "[trc1]") {
  const auto v = test::load_trc1_vectors();
  REQUIRE(v.cases.size() >= 30);
  Trc1Verifier verifier(vector_options(v));
  for (const auto& c : v.cases) {
    INFO(c.name);
    test::VectorIssuerKeySource keys(v.issuer_keys);
    InMemoryReplayGuard replay;
    const auto result = verifier.verify(c.text, c.now, keys, replay);
    CHECK(result_name(result) == c.expect);
    if (const auto* ok = std::get_if<RideCodeOk>(&result)) {
      REQUIRE(c.account.has_value());
      CHECK(ok->credential == *c.account);
      CHECK("qr:" + std::to_string(ok->account_id) == *c.account);
    }
  }
}

TEST_CASE("trc1: the same vectors pass with a fresh verifier each (no certificate memory)",
          "[trc1]") {
  const auto v = test::load_trc1_vectors();
  for (const auto& c : v.cases) {
    INFO(c.name);
    Trc1Options options = vector_options(v);
    options.cert_memory_entries = 0;
    Trc1Verifier verifier(options);
    test::VectorIssuerKeySource keys(v.issuer_keys);
    InMemoryReplayGuard replay;
    CHECK(result_name(verifier.verify(c.text, c.now, keys, replay)) == c.expect);
    CHECK(verifier.cert_memory_stats().hits == 0);
  }
}

TEST_CASE("trc1: the replay stream gives its sequence on one guard", "[trc1]") {
  const auto v = test::load_trc1_vectors();
  REQUIRE(v.replay_stream.size() == 5);
  Trc1Verifier verifier(vector_options(v));
  test::VectorIssuerKeySource keys(v.issuer_keys);
  InMemoryReplayGuard replay;
  for (std::size_t i = 0; i < v.replay_stream.size(); ++i) {
    INFO("replay_stream[" << i << "]");
    const auto& c = v.replay_stream[i];
    CHECK(result_name(verifier.verify(c.text, c.now, keys, replay)) == c.expect);
  }
}

TEST_CASE("trc1: an accepted code reports its fields and lifetime", "[trc1]") {
  const auto v = test::load_trc1_vectors();
  const auto& valid = test::find_case(v, "valid");
  // From the vectors: accepted at generated_at ("valid_at_generation_instant", 1653253200) and
  // up to generated_at + validity + skew ("valid_last_second_with_skew", 1653253290).
  Trc1Verifier verifier(vector_options(v));
  test::VectorIssuerKeySource keys(v.issuer_keys);
  InMemoryReplayGuard replay;
  const auto result = verifier.verify(valid.text, valid.now, keys, replay);
  const auto* ok = std::get_if<RideCodeOk>(&result);
  REQUIRE(ok != nullptr);
  CHECK(ok->account_id == 100000000001u);
  CHECK(ok->credential == "qr:100000000001");
  CHECK(ok->generated_at == 1653253200u);
  CHECK(ok->expires_at == at_unix(1653253290));
  CHECK(replay.seen(ok->account_id, ok->generated_at, ok->sequence));
  CHECK(replay.size() == 1);
}

TEST_CASE("trc1: steps run in order", "[trc1]") {
  const auto v = test::load_trc1_vectors();
  const auto& valid = test::find_case(v, "valid");
  const auto code = parse_trc1(valid.text);
  REQUIRE(code.has_value());
  const auto skew = std::chrono::seconds{v.skew_seconds};
  Trc1Verifier verifier(vector_options(v));
  auto run = [&](test::VectorIssuerKeySource& keys, Instant now) {
    InMemoryReplayGuard replay;
    return result_name(verifier.verify(valid.text, now, keys, replay));
  };

  SECTION("a certificate past its end is code_cert_expired before code_expired (step 4 before 6)") {
    test::VectorIssuerKeySource keys(v.issuer_keys);
    const Instant cert_end = at_unix(code->cert_not_after) + skew;
    REQUIRE(cert_end > at_unix(1653253290));  // the code itself has expired by then
    CHECK(run(keys, cert_end) == "code_expired");
    CHECK(run(keys, cert_end + std::chrono::microseconds{1}) == "code_cert_expired");
  }
  SECTION("key checks come before the signature (step 2 before 3)") {
    test::VectorIssuerKeySource keys(v.issuer_keys);
    keys.find(code->issuer_id, code->issuer_key_id)->revoked = true;
    CHECK(run(keys, valid.now) == "code_key_revoked");
    keys.find(code->issuer_id, code->issuer_key_id)->revoked = false;
    keys.find(code->issuer_id, code->issuer_key_id)->valid_from =
        at_unix(code->cert_not_before) + std::chrono::seconds{1};
    CHECK(run(keys, valid.now) == "code_key_revoked");
    keys.find(code->issuer_id, code->issuer_key_id)->valid_from = at_unix(code->cert_not_before);
    CHECK(run(keys, valid.now) == "ok");  // the window's ends are inside it
    keys.find(code->issuer_id, code->issuer_key_id)->valid_until =
        at_unix(code->cert_not_before) - std::chrono::seconds{1};
    CHECK(run(keys, valid.now) == "code_key_revoked");
  }
  SECTION("an issuer key record that is not a P-256 point is code_unknown_key") {
    test::VectorIssuerKeySource keys(v.issuer_keys);
    IssuerKey* key = keys.find(code->issuer_id, code->issuer_key_id);
    const std::string good = key->public_key_hex;
    key->public_key_hex = good.substr(0, 128) + (good[129] == '0' ? "01" : "00");  // off the curve
    CHECK(run(keys, valid.now) == "code_unknown_key");
    key->public_key_hex = "zz" + good.substr(2);
    CHECK(run(keys, valid.now) == "code_unknown_key");
    key->public_key_hex = good.substr(0, 66);
    CHECK(run(keys, valid.now) == "code_unknown_key");
    key->public_key_hex = good;
    CHECK(run(keys, valid.now) == "ok");
  }
}

TEST_CASE("trc1: a full replay guard refuses the code with out_of_service", "[trc1]") {
  const auto v = test::load_trc1_vectors();
  Trc1Verifier verifier(vector_options(v));
  test::VectorIssuerKeySource keys(v.issuer_keys);
  InMemoryReplayGuard replay(1);
  const auto& first = v.replay_stream[0];
  const auto& other = v.replay_stream[2];  // a different triple, accepted in the stream
  CHECK(result_name(verifier.verify(first.text, first.now, keys, replay)) == "ok");
  CHECK(result_name(verifier.verify(other.text, other.now, keys, replay)) == "out_of_service");
  CHECK(result_name(verifier.verify(first.text, other.now, keys, replay)) == "code_replayed");
  CHECK(replay.size() == 1);
}

TEST_CASE("trc1: text that is not a code is malformed", "[trc1]") {
  const auto v = test::load_trc1_vectors();
  const auto& valid = test::find_case(v, "valid");
  Trc1Verifier verifier(vector_options(v));
  test::VectorIssuerKeySource keys(v.issuer_keys);
  for (const std::string& text :
       {valid.text + "\r", valid.text + "\n", " " + valid.text, std::string("TRC1"),
        std::string("TRC1:\x00", 6), std::string("Trc1:") + valid.text.substr(5)}) {
    InMemoryReplayGuard replay;
    CHECK(result_name(verifier.verify(text, valid.now, keys, replay)) == "code_malformed");
  }
  CHECK(keys.lookups == 0);
}

// Deterministic fuzzing: mutated bodies, re-encoded, never crash and never verify.
TEST_CASE("trc1: mutated codes never crash and never pass", "[trc1][fuzz]") {
  const auto v = test::load_trc1_vectors();
  const auto& valid = test::find_case(v, "valid");
  const auto code = parse_trc1(valid.text);
  REQUIRE(code.has_value());
  Trc1Verifier verifier(vector_options(v));
  test::VectorIssuerKeySource keys(v.issuer_keys);
  std::mt19937 rng(20220523);
  int malformed = 0;
  for (int round = 0; round < 3000; ++round) {
    std::vector<std::uint8_t> body(code->body.begin(), code->body.end());
    const int mutations = 1 + static_cast<int>(rng() % 3);
    for (int m = 0; m < mutations; ++m) {
      const std::size_t at = rng() % body.size();
      switch (rng() % 4) {
        case 0:
          body[at] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
          break;
        case 1:
          body[at] = static_cast<std::uint8_t>(rng());
          break;
        case 2:
          body.erase(body.begin() + static_cast<std::ptrdiff_t>(at));
          break;
        default:
          body.insert(body.begin() + static_cast<std::ptrdiff_t>(at),
                      static_cast<std::uint8_t>(rng()));
          break;
      }
    }
    const bool changed =
        !std::equal(body.begin(), body.end(), code->body.begin(), code->body.end());
    InMemoryReplayGuard replay;
    const auto result = verifier.verify(text_of(body), valid.now, keys, replay);
    if (changed) {
      INFO("round " << round);
      CHECK(result_name(result) != "ok");
    }
    if (result_name(result) == "code_malformed") ++malformed;
  }
  CHECK(malformed < 3000);  // most mutations reach the signature checks
  for (int round = 0; round < 3000; ++round) {
    std::string text = valid.text;
    const std::size_t at = rng() % (text.size() + 1);
    switch (rng() % 3) {
      case 0:
        text.resize(at);
        break;
      case 1:
        if (at < text.size()) text[at] = static_cast<char>(rng());
        break;
      default:
        text.insert(at, 1, static_cast<char>(rng()));
        break;
    }
    InMemoryReplayGuard replay;
    const auto result = verifier.verify(text, valid.now, keys, replay);
    if (text != valid.text) CHECK(result_name(result) != "ok");
  }
}

}  // namespace
}  // namespace gate::core
