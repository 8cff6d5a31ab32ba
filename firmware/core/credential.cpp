#include "firmware/core/credential.h"

#include <algorithm>
#include <cstdint>

#include "firmware/core/name_table.h"

namespace gate::core {
namespace {

constexpr std::pair<Media, std::string_view> kMediaNames[] = {
    {Media::card, "card"}, {Media::phone_card, "phone_card"}, {Media::m1, "m1"}, {Media::qr, "qr"},
    {Media::none, "none"},
};

bool all_of(std::string_view s, bool (*pred)(char)) {
  return std::all_of(s.begin(), s.end(), pred);
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_lower_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f');
}

// A decimal uint64 without leading zeros (account ids of ride codes).
bool is_uint64_decimal(std::string_view s) {
  if (s.empty() || s.size() > 20 || !all_of(s, is_digit)) return false;
  if (s.size() > 1 && s[0] == '0') return false;
  if (s.size() < 20) return true;
  return s <= std::string_view("18446744073709551615");
}

}  // namespace

std::string_view media_name(Media media) {
  return name_of(kMediaNames, media);
}
std::optional<Media> parse_media(std::string_view name) {
  return value_of(kMediaNames, name);
}

std::optional<KeyKind> credential_key_kind(std::string_view key) {
  if (key.size() < 3 || key[2] != ':') return std::nullopt;
  std::string_view prefix = key.substr(0, 2);
  std::string_view body = key.substr(3);
  if (prefix == "tu" && body.size() == 19 && all_of(body, is_digit)) return KeyKind::tu;
  if (prefix == "bj" && body.size() == 16 && all_of(body, is_lower_hex)) return KeyKind::bj;
  if (prefix == "m1" && body.size() == 8 && all_of(body, is_lower_hex)) return KeyKind::m1;
  if (prefix == "qr" && is_uint64_decimal(body)) return KeyKind::qr;
  return std::nullopt;
}

std::string mask_credential(std::string_view key) {
  std::string out(key);
  std::size_t colon = key.find(':');
  std::size_t start = colon == std::string_view::npos ? 0 : colon + 1;
  std::size_t keep_from = key.size() >= 4 ? key.size() - 4 : 0;
  for (std::size_t i = start; i < keep_from; ++i) out[i] = '*';
  return out;
}

}  // namespace gate::core
