// make_card_for_key: the emulated card behind a credential key, for scenarios and tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "sim/cards/emulated_card.h"

namespace gate::sim {

struct CardOptions {
  std::optional<std::chrono::year_month_day> valid_from;   // default 2020-01-01
  std::optional<std::chrono::year_month_day> valid_until;  // default 2040-12-31
  std::int64_t balance_fen = 0;                            // T-Union only
  bool phone = false;                // T-Union only: a phone card with a random UID per presence
  std::uint32_t phone_uid_seed = 0;  // mixed with the key to seed the phone's UIDs
};

// tu:<19 digits> → a TUnionCard (leading digit 0, FCI with 9F0C, physical unless options.phone);
// bj:<16 hex> → a BeijingCard with that serial; m1:<8 hex> → a MifareClassicCard with that UID.
// nullptr for a malformed key or one that is not a card (qr:).
std::shared_ptr<EmulatedCard> make_card_for_key(std::string_view key,
                                                const CardOptions& options = {});

}  // namespace gate::sim
