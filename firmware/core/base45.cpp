#include "firmware/core/base45.h"

#include <array>

namespace gate::core {
namespace {

constexpr std::string_view kAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

// Digit value of every byte, or -1 when the byte is not in the alphabet.
constexpr std::array<std::int8_t, 256> make_digit_table() {
  std::array<std::int8_t, 256> table{};
  for (auto& v : table) v = -1;
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  }
  return table;
}
constexpr std::array<std::int8_t, 256> kDigit = make_digit_table();

}  // namespace

std::string base45_encode(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size() / 2 * 3 + 2);
  std::size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2) {
    unsigned n = bytes[i] * 256u + bytes[i + 1];
    out += kAlphabet[n % 45];
    out += kAlphabet[n / 45 % 45];
    out += kAlphabet[n / (45 * 45)];
  }
  if (i < bytes.size()) {
    unsigned n = bytes[i];
    out += kAlphabet[n % 45];
    out += kAlphabet[n / 45];
  }
  return out;
}

Result<std::vector<std::uint8_t>> base45_decode(std::string_view text) {
  if (text.size() % 3 == 1) return make_error(Errc::malformed, "base45: dangling single character");
  std::vector<std::uint8_t> out;
  out.reserve(text.size() / 3 * 2 + 1);
  for (std::size_t i = 0; i < text.size(); i += 3) {
    const std::size_t n_chars = text.size() - i >= 3 ? 3 : 2;
    unsigned value = 0;
    unsigned weight = 1;
    for (std::size_t k = 0; k < n_chars; ++k) {
      const int digit = kDigit[static_cast<unsigned char>(text[i + k])];
      if (digit < 0) return make_error(Errc::malformed, "base45: character outside the alphabet");
      value += static_cast<unsigned>(digit) * weight;
      weight *= 45;
    }
    if (n_chars == 3) {
      if (value > 0xFFFF) return make_error(Errc::malformed, "base45: triple over 65535");
      out.push_back(static_cast<std::uint8_t>(value >> 8));
      out.push_back(static_cast<std::uint8_t>(value & 0xFF));
    } else {
      if (value > 0xFF) return make_error(Errc::malformed, "base45: pair over 255");
      out.push_back(static_cast<std::uint8_t>(value));
    }
  }
  return out;
}

}  // namespace gate::core
