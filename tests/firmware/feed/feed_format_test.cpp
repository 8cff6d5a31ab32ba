// The binary record format: exact round trips of every kind, refusals of what it cannot carry,
// and totality of the decoders on random and mutated input.
#include "firmware/feed/feed_format.h"

#include <random>

#include "firmware/feed/feed_file.h"
#include "tests/firmware/feed/feed_test_support.h"

using namespace feed_test;
using gate::feed::decode_records;
using gate::feed::encode_records;

namespace {

// Round trips compared through a cache-free canonical form: re-encoding gives the same bytes.
std::vector<std::uint8_t> encoded(const std::vector<CacheChange>& c) {
  auto e = encode_records(c);
  REQUIRE(e.ok());
  return *e;
}

}  // namespace

TEST_CASE("feed format: every record kind round-trips exactly") {
  auto changes = every_kind();
  auto bytes = encoded(changes);
  auto back = decode_records(bytes);
  REQUIRE(back.ok());
  REQUIRE(back->size() == changes.size());
  CHECK(encoded(*back) == bytes);
  const auto& b = std::get<gate::core::Binding>((*back)[0]);
  CHECK(b.credential == kTu);
  CHECK(b.identity == "id-7f3a");
  CHECK(b.since == at_s(1652750000));
  CHECK(std::get<gate::core::Binding>((*back)[1]).since == at_s(-5));
  CHECK(std::get<gate::core::Binding>((*back)[2]).credential == kM1);
  CHECK(std::get<gate::core::Binding>((*back)[3]).credential == kQr);
  CHECK_FALSE(std::get<HealthStatus>((*back)[5]).last_negative_test.has_value());
  const auto& p = std::get<PolicyRecord>((*back)[6]);
  CHECK(p.policy == std::get<PolicyRecord>(changes[6]).policy);
  CHECK(p.scope_lines == std::vector<std::string>{"L1", "L2"});
  CHECK(std::get<IssuerKey>((*back)[7]).public_key_hex == key_hex('a'));
  CHECK(std::get<Deletion>((*back)[12]).issuer_id == 7);
}

TEST_CASE("feed format: a binding takes under 30 bytes") {
  std::vector<CacheChange> many;
  for (int i = 0; i < 1000; ++i) {
    many.push_back(binding("tu:31051700101709" + std::to_string(10000 + i),
                           "id-" + std::to_string(i), BindingStatus::active, Media::card,
                           1652750000));
  }
  CHECK(encoded(many).size() < 1000 * 30);
}

TEST_CASE("feed format: records the format cannot carry are refused when encoding") {
  CHECK_FALSE(
      encode_records({binding("tu:123", "id", BindingStatus::active, Media::card, 0)}).ok());
  CHECK_FALSE(
      encode_records({binding(kTu, "has space", BindingStatus::active, Media::card, 0)}).ok());
  CHECK_FALSE(encode_records({binding(kTu, "id", BindingStatus::active, Media::none, 0)}).ok());
  CHECK_FALSE(encode_records({IssuerKey{1, 1, "04ab", at_s(0), at_s(1), false}}).ok());
}

TEST_CASE("feed format: trailing bytes, short input and bad values are malformed") {
  auto bytes = encoded(every_kind());
  auto longer = bytes;
  longer.push_back(0);
  CHECK(decode_records(longer).error().code == Errc::malformed);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    CHECK_FALSE(decode_records(std::span(bytes).first(n)).ok());
  }
  std::vector<std::uint8_t> huge_count = {0xff, 0xff, 0xff, 0xff, 0x0f};
  CHECK_FALSE(decode_records(huge_count).ok());
}

TEST_CASE("feed format: decoders are total on random and mutated input") {
  std::mt19937 gen(20261126);
  auto base = encoded(every_kind());
  std::uniform_int_distribution<int> byte(0, 255);
  for (int round = 0; round < 20000; ++round) {
    std::vector<std::uint8_t> m = mutated(base, 1 + round % 4, gen);
    auto r = decode_records(m);
    if (r.ok()) CHECK(encoded(*r) == m);  // whatever decodes is canonical
    (void)gate::feed::decode_manifest(m);
    (void)gate::feed::parse_container(m);
  }
  for (int round = 0; round < 5000; ++round) {
    std::vector<std::uint8_t> m(gen() % 200);
    for (auto& b : m) b = static_cast<std::uint8_t>(byte(gen));
    (void)decode_records(m);
    (void)gate::feed::decode_manifest(m);
  }
}
