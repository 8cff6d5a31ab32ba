// FaultyCard: an ISO 14443-4 card that misbehaves in one documented way, for the read_error paths
// of spec/cards.md. Where a mode answers some APDUs well, it answers as a T-Union card with key
// tu:3105170010170907984, valid 2019-08-06..2040-12-31, balance 2850 fen.
#pragma once

#include "sim/cards/emulated_card.h"
#include "sim/cards/tunion_card.h"

namespace gate::sim {

enum class FaultMode {
  garbage,             // every reply is DE AD BE EF 13 37 (status word 13 37)
  wrong_status,        // every reply is 6F 00
  short_reply,         // every reply is the single byte 90
  silent_after,        // `good_replies` good replies per presence, then Errc::timeout
  leaves_field_after,  // `good_replies` good replies per presence, then Errc::io_error
  malformed_fci,       // SELECT answers 90 00 with an FCI whose 6F length runs past the reply
  invalid_bcd_number,  // number byte 12 is 0x5A (nibble A), in the FCI's 9F0C and in the file
};

class FaultyCard final : public EmulatedCard {
 public:
  // For silent_after and leaves_field_after the good replies come from a T-Union card whose FCI
  // lacks 9F0C, so a profile's exchanges are SELECT, READ BINARY, GET BALANCE in that order.
  // Other modes ignore `good_replies`.
  explicit FaultyCard(FaultMode mode, int good_replies = 0);

  // Restarts the count of good replies (the card was reset by entering the field again).
  void enter_field() override;
  // As a physical T-Union card: SAK 0x20, ISO 14443-4.
  hal::CardTarget target() const override { return inner_.target(); }
  Result<hal::Bytes> respond(std::span<const std::uint8_t> apdu) override;

 private:
  FaultMode mode_;
  int good_replies_;
  int answered_ = 0;
  TUnionCard inner_;
};

}  // namespace gate::sim
