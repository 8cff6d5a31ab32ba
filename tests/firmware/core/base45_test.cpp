#include "firmware/core/base45.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace gate::core {
namespace {

std::vector<std::uint8_t> bytes_of(std::string_view s) {
  return {s.begin(), s.end()};
}

Errc decode_error(std::string_view text) {
  auto r = base45_decode(text);
  REQUIRE_FALSE(r.ok());
  return r.error().code;
}

TEST_CASE("base45 encodes and decodes the RFC 9285 examples", "[base45]") {
  const std::pair<std::string_view, std::string_view> examples[] = {
      {"AB", "BB8"},
      {"Hello!!", "%69 VD92EX0"},
      {"base-45", "UJCLQE7W581"},
      {"ietf!", "QED8WEX0"},
  };
  for (const auto& [plain, encoded] : examples) {
    INFO(plain);
    CHECK(base45_encode(bytes_of(plain)) == encoded);
    auto decoded = base45_decode(encoded);
    REQUIRE(decoded.ok());
    CHECK(*decoded == bytes_of(plain));
  }
}

TEST_CASE("base45 handles the empty string and the value limits", "[base45]") {
  CHECK(base45_encode({}).empty());
  REQUIRE(base45_decode("").ok());
  CHECK(base45_decode("")->empty());

  // 65535 = 15 + 16*45 + 32*45^2 -> "FGW"; 255 = 30 + 5*45 -> "U5".
  CHECK(base45_encode(std::vector<std::uint8_t>{0xFF, 0xFF}) == "FGW");
  CHECK(*base45_decode("FGW") == std::vector<std::uint8_t>{0xFF, 0xFF});
  CHECK(base45_encode(std::vector<std::uint8_t>{0xFF}) == "U5");
  CHECK(*base45_decode("U5") == std::vector<std::uint8_t>{0xFF});
  CHECK(*base45_decode("000") == std::vector<std::uint8_t>{0x00, 0x00});
  CHECK(*base45_decode("00") == std::vector<std::uint8_t>{0x00});
}

TEST_CASE("base45 refuses malformed text", "[base45]") {
  CHECK(decode_error("GGW") == Errc::malformed);     // 65536
  CHECK(decode_error(":::") == Errc::malformed);     // 91124, the largest triple
  CHECK(decode_error("BB8GGW") == Errc::malformed);  // overflow in a later triple
  CHECK(decode_error("V5") == Errc::malformed);      // pair 256
  CHECK(decode_error("::") == Errc::malformed);      // pair 2024
  CHECK(decode_error("A") == Errc::malformed);       // dangling single character
  CHECK(decode_error("BB8A") == Errc::malformed);
  CHECK(decode_error("bb8") == Errc::malformed);  // lowercase is outside the alphabet
  CHECK(decode_error("BB8\n") == Errc::malformed);
  CHECK(decode_error("B=8") == Errc::malformed);
  CHECK(decode_error(std::string_view("B\08", 3)) == Errc::malformed);
  CHECK(decode_error("\xff\xfe\xfd") == Errc::malformed);
}

TEST_CASE("base45 round-trips arbitrary bytes and never crashes on arbitrary text", "[base45]") {
  std::mt19937 rng(45);
  for (int round = 0; round < 500; ++round) {
    std::vector<std::uint8_t> data(rng() % 64);
    for (auto& b : data) b = static_cast<std::uint8_t>(rng());
    const std::string text = base45_encode(data);
    CHECK(text.size() == data.size() / 2 * 3 + data.size() % 2 * 2);
    auto back = base45_decode(text);
    REQUIRE(back.ok());
    CHECK(*back == data);
  }
  for (int round = 0; round < 2000; ++round) {
    std::string text(rng() % 40, '\0');
    for (auto& c : text) c = static_cast<char>(rng());
    auto r = base45_decode(text);
    if (r.ok()) CHECK(base45_encode(*r) == text);
  }
}

}  // namespace
}  // namespace gate::core
