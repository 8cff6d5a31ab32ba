#include "firmware/core/bcd.h"

namespace gate::core {

std::optional<std::string> decode_bcd(std::span<const std::uint8_t> bytes) {
  std::string digits;
  digits.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    const int hi = b >> 4;
    const int lo = b & 0x0F;
    if (hi > 9 || lo > 9) return std::nullopt;
    digits.push_back(static_cast<char>('0' + hi));
    digits.push_back(static_cast<char>('0' + lo));
  }
  return digits;
}

std::optional<std::chrono::year_month_day> decode_bcd_date(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != 4) return std::nullopt;
  std::optional<std::string> digits = decode_bcd(bytes);
  if (!digits) return std::nullopt;
  const std::string& d = *digits;
  auto number = [&d](std::size_t from, std::size_t count) {
    int value = 0;
    for (std::size_t i = from; i < from + count; ++i) value = value * 10 + (d[i] - '0');
    return value;
  };
  const std::chrono::year_month_day date{std::chrono::year{number(0, 4)},
                                         std::chrono::month{static_cast<unsigned>(number(4, 2))},
                                         std::chrono::day{static_cast<unsigned>(number(6, 2))}};
  if (!date.ok()) return std::nullopt;
  return date;
}

std::string to_lower_hex(std::span<const std::uint8_t> bytes) {
  constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0x0F]);
  }
  return out;
}

bool decode_lower_hex(std::string_view text, std::span<std::uint8_t> out) {
  if (text.size() != 2 * out.size()) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = nibble(text[2 * i]), lo = nibble(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return true;
}

}  // namespace gate::core
