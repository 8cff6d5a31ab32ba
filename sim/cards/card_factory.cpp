#include "sim/cards/card_factory.h"

#include <array>
#include <vector>

#include "firmware/core/credential.h"
#include "sim/cards/beijing_card.h"
#include "sim/cards/mifare_classic_card.h"
#include "sim/cards/tunion_card.h"

namespace gate::sim {
namespace {

using namespace std::chrono_literals;

// Lowercase hex (already checked by credential_key_kind) to bytes.
std::vector<std::uint8_t> from_hex(std::string_view hex) {
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>((nibble(hex[i]) << 4) | nibble(hex[i + 1])));
  }
  return out;
}

std::uint32_t seed_for(std::string_view key, std::uint32_t seed) {
  std::uint32_t h = 2166136261u ^ seed;
  for (char c : key) {
    h ^= static_cast<std::uint8_t>(c);
    h *= 16777619u;
  }
  return h;
}

}  // namespace

std::shared_ptr<EmulatedCard> make_card_for_key(std::string_view key, const CardOptions& options) {
  const std::optional<core::KeyKind> kind = core::credential_key_kind(key);
  if (!kind) return nullptr;
  const std::chrono::year_month_day from = options.valid_from.value_or(2020y / 1 / 1);
  const std::chrono::year_month_day until = options.valid_until.value_or(2040y / 12 / 31);
  const std::string_view body = key.substr(3);
  switch (*kind) {
    case core::KeyKind::tu: {
      TUnionCardOptions card_options;
      card_options.phone = options.phone;
      card_options.phone_uid_seed = seed_for(key, options.phone_uid_seed);
      return std::make_shared<TUnionCard>(body, from, until, options.balance_fen, card_options);
    }
    case core::KeyKind::bj: {
      const std::vector<std::uint8_t> bytes = from_hex(body);
      std::array<std::uint8_t, 8> serial{};
      std::copy(bytes.begin(), bytes.end(), serial.begin());
      return std::make_shared<BeijingCard>(serial, from, until);
    }
    case core::KeyKind::m1:
      return std::make_shared<MifareClassicCard>(from_hex(body));
    case core::KeyKind::qr:
      return nullptr;
  }
  return nullptr;
}

}  // namespace gate::sim
