#include "firmware/core/credential.h"

#include <catch2/catch.hpp>
#include <string>

namespace gate::core {
namespace {

TEST_CASE("media names round-trip and match records.md", "[credential]") {
  const std::pair<Media, const char*> names[] = {{Media::card, "card"},
                                                 {Media::phone_card, "phone_card"},
                                                 {Media::m1, "m1"},
                                                 {Media::qr, "qr"},
                                                 {Media::none, "none"}};
  for (const auto& [media, name] : names) {
    CHECK(media_name(media) == name);
    CHECK(parse_media(name) == media);
  }
  CHECK_FALSE(parse_media("Card").has_value());
  CHECK_FALSE(parse_media("").has_value());
  CHECK_FALSE(parse_media("phone").has_value());
}

TEST_CASE("credential_key_kind accepts the four key forms of cards.md", "[credential]") {
  CHECK(credential_key_kind("tu:3105170010170907984") == KeyKind::tu);
  CHECK(credential_key_kind("tu:0000000000000000000") == KeyKind::tu);
  CHECK(credential_key_kind("bj:0123456789abcdef") == KeyKind::bj);
  CHECK(credential_key_kind("m1:04a1b2c3") == KeyKind::m1);
  CHECK(credential_key_kind("qr:0") == KeyKind::qr);
  CHECK(credential_key_kind("qr:7") == KeyKind::qr);
  CHECK(credential_key_kind("qr:1234567890") == KeyKind::qr);
  CHECK(credential_key_kind("qr:18446744073709551615") == KeyKind::qr);  // uint64 max
}

TEST_CASE("credential_key_kind refuses everything else", "[credential]") {
  const char* bad = GENERATE("", "tu", "tu:", "tu3105170010170907984", "TU:3105170010170907984",
                             "tu:310517001017090798",    // 18 digits
                             "tu:31051700101709079841",  // 20 digits
                             "tu:31051700101709079a4",   // not a digit
                             "tu:3105170010170907984 ",  // trailing space
                             "bj:0123456789abcde",       // 15
                             "bj:0123456789abcdef0",     // 17
                             "bj:0123456789ABCDEF",      // upper case
                             "bj:0123456789abcdeg",      // not hex
                             "m1:04a1b2c", "m1:04a1b2c3d", "m1:04A1B2C3", "m1:04a1b2cz",
                             "qr:", "qr:01", "qr:00", "qr:-1", "qr:+1", "qr:12a", "qr: 1",
                             "qr:18446744073709551616",   // uint64 max + 1
                             "qr:99999999999999999999",   // 20 digits, too big
                             "qr:100000000000000000000",  // 21 digits
                             "xx:1234", ":1234", "tu-3105170010170907984");
  INFO("key: '" << bad << "'");
  CHECK_FALSE(credential_key_kind(bad).has_value());
}

TEST_CASE("mask_credential keeps the prefix and the last four characters", "[credential]") {
  // decisions.md's example.
  CHECK(mask_credential("tu:3105170010170907984") == "tu:***************7984");
  CHECK(mask_credential("bj:0123456789abcdef") == "bj:************cdef");
  CHECK(mask_credential("m1:04a1b2c3") == "m1:****b2c3");
  CHECK(mask_credential("qr:123456") == "qr:**3456");
  CHECK(mask_credential("qr:12345") == "qr:*2345");
}

TEST_CASE("mask_credential edge cases", "[credential]") {
  CHECK(mask_credential("") == "");
  CHECK(mask_credential("qr:1234") == "qr:1234");  // nothing between prefix and last four
  CHECK(mask_credential("qr:12") == "qr:12");      // shorter than four after the prefix
  CHECK(mask_credential("qr:0") == "qr:0");
  CHECK(mask_credential("qr:") == "qr:");
  CHECK(mask_credential("abcdefgh") == "****efgh");  // no prefix: only the last four kept
  CHECK(mask_credential("abcd") == "abcd");
  CHECK(mask_credential("ab") == "ab");
  CHECK(mask_credential("x:y:123456") == "x:****3456");  // prefix ends at the first ':'
  // Nothing of the masked part survives, whatever its length.
  std::string masked = mask_credential("tu:3105170010170907984");
  CHECK(masked.size() == std::string("tu:3105170010170907984").size());
  CHECK(masked.find("310517") == std::string::npos);
}

}  // namespace
}  // namespace gate::core
