// Ride codes as QR code images (host only: libqrencode and libpng, for the ride-code tool).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hal/result.h"

namespace gate::sim {

// A QR code symbol: `width` x `width` modules, row by row, true for a dark module.
struct QrSymbol {
  int version = 0;
  int width = 0;
  std::vector<bool> dark;
  bool at(int x, int y) const { return dark[static_cast<std::size_t>(y * width + x)]; }
};

// Encodes `text` in one alphanumeric-mode segment (the QR alphanumeric set: 0-9 A-Z space $ % * +
// - . / :) at error correction level M, in the smallest version that holds it.
// Errc::invalid_argument for a character outside the set or text too long for any version.
Result<QrSymbol> encode_qr_alphanumeric(std::string_view text);

struct QrPngOptions {
  int module_pixels = 4;       // 1..32 pixels per module side
  int quiet_zone_modules = 4;  // the light margin ISO/IEC 18004 asks for
};

// Writes `symbol` as an 8-bit greyscale PNG (black on white) with the quiet zone around it,
// replacing `path`. Errc::invalid_argument for options out of range, io_error if libpng fails.
Status write_qr_png(const QrSymbol& symbol, const std::string& path,
                    const QrPngOptions& options = {});

}  // namespace gate::sim
