// Base45 (RFC 9285): the text encoding of ride code bodies (spec/ride-code-v1.md "Text form").
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hal/result.h"

namespace gate::core {

// Encodes `bytes` in Base45 with the RFC 9285 alphabet "0-9A-Z $%*+-./:".
std::string base45_encode(std::span<const std::uint8_t> bytes);

// Decodes Base45 text. Errc::malformed for a character outside the alphabet, a triple whose value
// is over 65535, a final pair whose value is over 255, or a dangling single character.
Result<std::vector<std::uint8_t>> base45_decode(std::string_view text);

}  // namespace gate::core
