#include "sim/cards/card_files.h"

#include <string>

namespace gate::sim {
namespace {

constexpr std::uint8_t kTUnionAid[] = {0xA0, 0x00, 0x00, 0x06, 0x32, 0x01, 0x01, 0x05};

void append_tlv(hal::Bytes& out, std::uint16_t tag, std::span<const std::uint8_t> value) {
  if (tag > 0xFF) out.push_back(static_cast<std::uint8_t>(tag >> 8));
  out.push_back(static_cast<std::uint8_t>(tag & 0xFF));
  out.push_back(static_cast<std::uint8_t>(value.size()));  // every value here is under 128 bytes
  out.insert(out.end(), value.begin(), value.end());
}

void put(hal::Bytes& file, std::size_t at, const hal::Bytes& bytes) {
  std::copy(bytes.begin(), bytes.end(), file.begin() + static_cast<std::ptrdiff_t>(at));
}

}  // namespace

hal::Bytes encode_bcd(std::string_view digits) {
  hal::Bytes out;
  for (std::size_t i = 0; i + 1 < digits.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(((digits[i] - '0') << 4) | (digits[i + 1] - '0')));
  }
  return out;
}

hal::Bytes encode_bcd_date(std::chrono::year_month_day date) {
  const int y = static_cast<int>(date.year());
  const unsigned m = static_cast<unsigned>(date.month());
  const unsigned d = static_cast<unsigned>(date.day());
  std::string digits = {
      static_cast<char>('0' + y / 1000 % 10), static_cast<char>('0' + y / 100 % 10),
      static_cast<char>('0' + y / 10 % 10),   static_cast<char>('0' + y % 10),
      static_cast<char>('0' + m / 10),        static_cast<char>('0' + m % 10),
      static_cast<char>('0' + d / 10),        static_cast<char>('0' + d % 10)};
  return encode_bcd(digits);
}

hal::Bytes tunion_public_file(char leading_digit, std::string_view number,
                              std::chrono::year_month_day valid_from,
                              std::chrono::year_month_day valid_until) {
  // Bytes 0..9 (issuer, city, card type, version) as on the cards.md test vector; 28..29 RFU.
  hal::Bytes file = {0x01, 0x01, 0x10, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x02, 0x01};
  file.resize(30, 0x00);
  std::string digits(1, leading_digit);
  digits.append(number);
  put(file, 10, encode_bcd(digits));
  put(file, 20, encode_bcd_date(valid_from));
  put(file, 24, encode_bcd_date(valid_until));
  return file;
}

hal::Bytes tunion_fci(std::span<const std::uint8_t> public_file, bool with_public_file) {
  constexpr std::uint8_t kVersion[] = {0x02};
  hal::Bytes proprietary;
  append_tlv(proprietary, 0x9F08, kVersion);
  if (with_public_file) append_tlv(proprietary, 0x9F0C, public_file);
  hal::Bytes inner;
  append_tlv(inner, 0x84, kTUnionAid);
  append_tlv(inner, 0xA5, proprietary);
  hal::Bytes fci;
  append_tlv(fci, 0x6F, inner);
  return fci;
}

hal::Bytes beijing_file(std::span<const std::uint8_t, 8> serial,
                        std::chrono::year_month_day valid_from,
                        std::chrono::year_month_day valid_until) {
  hal::Bytes file(serial.begin(), serial.end());
  // Bytes 8..23: issuer and card type fields the gate does not use.
  const hal::Bytes issuer = {0x10, 0x00, 0x01, 0x00, 0x01, 0x01, 0x00, 0x00};
  file.insert(file.end(), issuer.begin(), issuer.end());
  file.resize(32, 0x00);
  put(file, 24, encode_bcd_date(valid_from));
  put(file, 28, encode_bcd_date(valid_until));
  return file;
}

}  // namespace gate::sim
