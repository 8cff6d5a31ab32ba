// The test helper that converts ECDSA signatures between DER and raw r || s (ecdsa_der.h).
#include "tests/sim/ecdsa_der.h"

#include <catch2/catch.hpp>

namespace gate::test {
namespace {

using Bytes = std::vector<std::uint8_t>;

TEST_CASE("ecdsa der: DER signatures become raw r||s, short and padded integers too",
          "[ride_code]") {
  Bytes padded{0x30, 0x45, 0x02, 0x21, 0x00};
  for (int i = 0; i < 32; ++i) padded.push_back(static_cast<std::uint8_t>(0x80 + i));
  padded.push_back(0x02);
  padded.push_back(0x20);
  for (int i = 0; i < 32; ++i) padded.push_back(static_cast<std::uint8_t>(1 + i));
  auto raw = der_to_raw(padded);
  REQUIRE(raw.has_value());
  CHECK((*raw)[0] == 0x80);
  CHECK((*raw)[31] == 0x9F);
  CHECK((*raw)[32] == 1);

  const Bytes shorter{0x30, 0x07, 0x02, 0x01, 0x05, 0x02, 0x02, 0x00, 0x90};
  raw = der_to_raw(shorter);
  REQUIRE(raw.has_value());
  CHECK(std::all_of(raw->begin(), raw->begin() + 31, [](std::uint8_t b) { return b == 0; }));
  CHECK((*raw)[31] == 0x05);
  CHECK((*raw)[62] == 0x00);
  CHECK((*raw)[63] == 0x90);
  CHECK(raw_to_der(*raw) == shorter);

  CHECK_FALSE(der_to_raw({0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01}));        // r = 0
  CHECK_FALSE(der_to_raw({0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01}));        // negative
  CHECK_FALSE(der_to_raw({0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01}));  // not minimal
  CHECK_FALSE(der_to_raw({0x30, 0x05, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01}));        // bad length
  CHECK_FALSE(der_to_raw({}));
}

}  // namespace
}  // namespace gate::test
