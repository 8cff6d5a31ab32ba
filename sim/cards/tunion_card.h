// TUnionCard: a China T-Union CPU card, physical or in a phone (host card emulation), answering the
// APDUs of spec/cards.md: SELECT of the T-Union AID, READ BINARY SFI 0x15, GET BALANCE, GET
// RESPONSE. Other SELECTs and files answer 6A82, other instructions 6D00, other classes 6E00.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "sim/cards/data_responder.h"
#include "sim/cards/emulated_card.h"

namespace gate::sim {

struct TUnionCardOptions {
  char leading_digit = '0';  // the BCD digit before the 19 of the number (dropped by readers)
  bool fci_with_public_file = true;  // the SELECT FCI carries the public file as tag 9F0C
  bool chain_61xx = false;           // data only through 61xx + GET RESPONSE, 16 bytes a round
  bool wants_exact_le = false;       // 6Cxx to any Le other than the exact data size
  bool phone = false;                // a fresh random UID at every enter_field()
  std::uint32_t phone_uid_seed = 1;  // seeds the phone's UID generator (repeatable tests)
};

class TUnionCard final : public EmulatedCard {
 public:
  // `number`: the 19 digits of the key tu:<number> (caller-checked; make_card_for_key checks
  // outside input). Physical cards have a fixed 4-byte UID derived from the number.
  TUnionCard(std::string_view number, std::chrono::year_month_day valid_from,
             std::chrono::year_month_day valid_until, std::int64_t balance_fen,
             TUnionCardOptions options = {});

  // A phone draws a new random UID (first byte 0x08, as ISO 14443-3 random UIDs); both kinds
  // forget the selected application and pending data.
  void enter_field() override;
  // SAK 0x20, ATQA 0x0004, ISO 14443-4.
  hal::CardTarget target() const override;
  Result<hal::Bytes> respond(std::span<const std::uint8_t> apdu) override;

  // The 30 bytes of the public file (SFI 0x15) this card serves.
  const hal::Bytes& public_file() const { return public_file_; }

 private:
  void draw_phone_uid();

  TUnionCardOptions options_;
  hal::Bytes public_file_;
  std::int64_t balance_fen_;
  std::vector<std::uint8_t> uid_;
  std::mt19937 rng_;
  DataResponder responder_;
  bool selected_ = false;  // the T-Union application is selected
};

}  // namespace gate::sim
