#include "sim/ride_code/qr_png.h"

#include <png.h>
#include <qrencode.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace gate::sim {
namespace {

constexpr int kMaxModulePixels = 32;
constexpr int kMaxQuietZone = 16;
constexpr std::uint8_t kDarkPixel = 0x00;
constexpr std::uint8_t kLightPixel = 0xFF;

struct FreeInput {
  void operator()(QRinput* input) const { QRinput_free(input); }
};
struct FreeCode {
  void operator()(QRcode* code) const { QRcode_free(code); }
};

}  // namespace

Result<QrSymbol> encode_qr_alphanumeric(std::string_view text) {
  if (text.empty()) return make_error(Errc::invalid_argument, "qr: nothing to encode");
  std::unique_ptr<QRinput, FreeInput> input(QRinput_new2(/*version=*/0, QR_ECLEVEL_M));
  if (!input) return make_error(Errc::io_error, "qr: out of memory");
  // QRinput_append checks the characters against the alphanumeric set.
  if (QRinput_append(input.get(), QR_MODE_AN, static_cast<int>(text.size()),
                     reinterpret_cast<const unsigned char*>(text.data())) != 0) {
    return make_error(Errc::invalid_argument,
                      "qr: text is not all QR alphanumeric (0-9 A-Z space $%*+-./:)");
  }
  std::unique_ptr<QRcode, FreeCode> code(QRcode_encodeInput(input.get()));
  if (!code) {
    const int error = errno;
    return make_error(error == ERANGE ? Errc::invalid_argument : Errc::io_error,
                      std::string("qr: encoding failed: ") + std::strerror(error));
  }
  QrSymbol symbol;
  symbol.version = code->version;
  symbol.width = code->width;
  const auto modules =
      static_cast<std::size_t>(code->width) * static_cast<std::size_t>(code->width);
  symbol.dark.resize(modules);
  for (std::size_t i = 0; i < modules; ++i) symbol.dark[i] = (code->data[i] & 1) != 0;
  return symbol;
}

Status write_qr_png(const QrSymbol& symbol, const std::string& path, const QrPngOptions& options) {
  if (options.module_pixels < 1 || options.module_pixels > kMaxModulePixels ||
      options.quiet_zone_modules < 0 || options.quiet_zone_modules > kMaxQuietZone) {
    return make_error(Errc::invalid_argument, "qr png: module size or quiet zone out of range");
  }
  if (symbol.width <= 0 ||
      symbol.dark.size() != static_cast<std::size_t>(symbol.width) * symbol.width) {
    return make_error(Errc::invalid_argument, "qr png: not a QR symbol");
  }
  const int modules = symbol.width + 2 * options.quiet_zone_modules;
  const int side = modules * options.module_pixels;
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(side) * side, kLightPixel);
  for (int y = 0; y < symbol.width; ++y) {
    for (int x = 0; x < symbol.width; ++x) {
      if (!symbol.at(x, y)) continue;
      const int px = (x + options.quiet_zone_modules) * options.module_pixels;
      const int py = (y + options.quiet_zone_modules) * options.module_pixels;
      for (int dy = 0; dy < options.module_pixels; ++dy) {
        std::uint8_t* row = pixels.data() + static_cast<std::size_t>(py + dy) * side + px;
        std::memset(row, kDarkPixel, static_cast<std::size_t>(options.module_pixels));
      }
    }
  }
  // libpng's simplified API: no setjmp; errors come back in image.message.
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(side);
  image.height = static_cast<png_uint_32>(side);
  image.format = PNG_FORMAT_GRAY;
  const int written = png_image_write_to_file(&image, path.c_str(), /*convert_to_8bit=*/0,
                                              pixels.data(), /*row_stride=*/side, nullptr);
  const std::string message = image.message;
  png_image_free(&image);
  if (written == 0)
    return make_error(Errc::io_error, path + ": writing the PNG failed: " + message);
  return ok_status();
}

}  // namespace gate::sim
