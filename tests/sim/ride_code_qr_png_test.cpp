// QR code symbols and PNGs for ride codes (sim/ride_code/qr_png.h). Host builds only, like the
// ride-code tool; zbarimg reading the PNGs back is in ride_code_tool_test.cpp.
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <string>

#include "sim/ride_code/qr_png.h"
#include "tests/support/temp_dir.h"

namespace gate::sim {
namespace {

// A TRC1 text's shape: the prefix and 332 characters of the Base45 alphabet.
std::string trc1_like_text() {
  const std::string alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  std::string text = "TRC1:";
  for (std::size_t i = 0; i < 332; ++i) text += alphabet[(i * 7) % alphabet.size()];
  return text;
}

TEST_CASE("qr png: a TRC1 code is one alphanumeric segment in version 11 at level M",
          "[ride_code]") {
  auto symbol = encode_qr_alphanumeric(trc1_like_text());
  REQUIRE(symbol.ok());
  CHECK(symbol->version == 11);
  CHECK(symbol->width == 61);
  CHECK(symbol->dark.size() == 61u * 61u);
  // The finder pattern's corner modules are dark.
  CHECK(symbol->at(0, 0));
  CHECK(symbol->at(60, 0));
  CHECK(symbol->at(0, 60));
}

TEST_CASE("qr png: text outside the alphanumeric set, or too long, is refused", "[ride_code]") {
  CHECK(encode_qr_alphanumeric("trc1:abc").error().code == Errc::invalid_argument);
  CHECK(encode_qr_alphanumeric(std::string("TRC1:\0", 6)).error().code == Errc::invalid_argument);
  CHECK(encode_qr_alphanumeric("").error().code == Errc::invalid_argument);
  CHECK(encode_qr_alphanumeric(std::string(5000, 'A')).error().code == Errc::invalid_argument);
}

TEST_CASE("qr png: the PNG has the quiet zone and the module size asked for", "[ride_code]") {
  test::TempDir dir;
  auto symbol = encode_qr_alphanumeric("TRC1:HELLO");
  REQUIRE(symbol.ok());
  const std::string path = dir.file("code.png");
  REQUIRE(write_qr_png(*symbol, path, {3, 4}).ok());
  std::ifstream in(path, std::ios::binary);
  const std::string png((std::istreambuf_iterator<char>(in)), {});
  REQUIRE(png.size() > 33);
  CHECK(png.substr(0, 8) == "\x89PNG\r\n\x1a\n");
  // IHDR: width and height, big-endian, at bytes 16..23.
  const auto be32 = [&](std::size_t at) {
    return static_cast<unsigned>(static_cast<unsigned char>(png[at])) << 24 |
           static_cast<unsigned>(static_cast<unsigned char>(png[at + 1])) << 16 |
           static_cast<unsigned>(static_cast<unsigned char>(png[at + 2])) << 8 |
           static_cast<unsigned>(static_cast<unsigned char>(png[at + 3]));
  };
  const unsigned side = static_cast<unsigned>((symbol->width + 2 * 4) * 3);
  CHECK(be32(16) == side);
  CHECK(be32(20) == side);

  CHECK(write_qr_png(*symbol, dir.file("x.png"), {0, 4}).error().code == Errc::invalid_argument);
  CHECK(write_qr_png(*symbol, dir.file("x.png"), {4, -1}).error().code == Errc::invalid_argument);
  CHECK(write_qr_png(QrSymbol{}, dir.file("x.png")).error().code == Errc::invalid_argument);
  CHECK(write_qr_png(*symbol, dir.file("no/such/dir/x.png")).error().code == Errc::io_error);
}

}  // namespace
}  // namespace gate::sim
