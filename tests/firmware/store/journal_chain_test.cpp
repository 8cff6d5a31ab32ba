// The journal's hash chain: the HMAC helper against RFC 4231.
#include "firmware/store/journal_chain.h"

#include <catch2/catch.hpp>
#include <string>

using gate::store::Mac;

namespace {

std::string hex(const Mac& mac) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : mac) {
    out += digits[b >> 4];
    out += digits[b & 0xf];
  }
  return out;
}

}  // namespace

TEST_CASE("HMAC-SHA-256 gives the RFC 4231 test vectors", "[journal][chain]") {
  // RFC 4231 test case 1: key 0x0b x 20, "Hi There".
  auto one = gate::store::hmac_sha256(std::string(20, '\x0b'), "Hi There");
  REQUIRE(one.ok());
  CHECK(hex(*one) == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Test case 2: key "Jefe".
  auto two = gate::store::hmac_sha256("Jefe", "what do ya want for nothing?");
  REQUIRE(two.ok());
  CHECK(hex(*two) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}
