// Packed BCD as the transit card files store it: numbers and YYYYMMDD dates.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace gate::core {

// The decimal digits of packed BCD `bytes` (two per byte, high nibble first); std::nullopt when a
// nibble is above 9.
std::optional<std::string> decode_bcd(std::span<const std::uint8_t> bytes);

// A date stored as 4 bytes of BCD YYYYMMDD; std::nullopt for another size, a nibble above 9 or a
// day that does not exist (month 13, 30 February, ...).
std::optional<std::chrono::year_month_day> decode_bcd_date(std::span<const std::uint8_t> bytes);

// `bytes` as lowercase hex, two characters per byte.
std::string to_lower_hex(std::span<const std::uint8_t> bytes);

// The inverse of to_lower_hex: exactly 2 * out.size() lowercase hex digits into `out`. False (and
// `out` unspecified) for any other length or character.
bool decode_lower_hex(std::string_view text, std::span<std::uint8_t> out);

}  // namespace gate::core
