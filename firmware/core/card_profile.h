// Card profiles of spec/cards.md: T-Union (physical and phone cards), Beijing municipal CPU card,
// legacy MIFARE Classic. They run over any hal::ApduChannel (libnfc or simulated reader).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>

#include "firmware/core/reason.h"
#include "hal/apdu_channel.h"
#include "hal/card_reader.h"

namespace gate::core {

struct CardData {
  std::string credential;  // tu:…, bj:… or m1:…
  std::optional<std::chrono::year_month_day> valid_from;
  std::optional<std::chrono::year_month_day> valid_until;
  std::optional<std::int64_t> balance_fen;  // T-Union only, for display
};

struct CardProfileOptions {
  std::chrono::milliseconds apdu_timeout{100};  // per exchange
  bool read_balance = true;
};

// Reads the one card in the field. MIFARE Classic (SAK bit 0x08 set, no ISO 14443-4) → m1: key from
// a 4-byte UID (another UID length → read_error). ISO 14443-4 cards: T-Union first, then Beijing
// municipal; a card answering neither → unsupported_card. Any failed exchange, wrong status word,
// short reply, malformed TLV or invalid BCD → read_error. Never a key built from garbage.
// Handles 61xx (GET RESPONSE) and 6Cxx (repeat with Le) as cards.md says.
// Balance (T-Union, options.read_balance): read after the number; a failed GET BALANCE only leaves
// balance_fen empty. Each exchange waits at most options.apdu_timeout.
std::variant<CardData, Reason> read_card(const hal::CardTarget& target, hal::ApduChannel& channel,
                                         const CardProfileOptions& options = {});

// Decoding of the T-Union public file (30 bytes, SFI 0x15) alone: card number and validity.
std::variant<CardData, Reason> decode_tunion_file(std::span<const std::uint8_t> file);
// Decoding of the Beijing municipal file (>= 32 bytes, SFI 0x04 under the MF).
std::variant<CardData, Reason> decode_beijing_file(std::span<const std::uint8_t> file);

}  // namespace gate::core
