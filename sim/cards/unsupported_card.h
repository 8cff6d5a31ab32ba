// UnsupportedCard: an ISO 14443-4 card carrying neither transit application (a bank card, say).
#pragma once

#include <cstdint>
#include <vector>

#include "sim/cards/emulated_card.h"

namespace gate::sim {

class UnsupportedCard final : public EmulatedCard {
 public:
  // With `has_mf` false every SELECT answers 6A82; with it true SELECT of the MF answers 90 00 and
  // READ BINARY of any SFI 6A82 (cards that have an MF but no Beijing file). Other instructions
  // answer 6D00.
  explicit UnsupportedCard(bool has_mf = false) : has_mf_(has_mf) {}

  // SAK 0x20, ATQA 0x0004, ISO 14443-4, UID 04 11 22 33.
  hal::CardTarget target() const override;
  Result<hal::Bytes> respond(std::span<const std::uint8_t> apdu) override;

 private:
  bool has_mf_;
};

}  // namespace gate::sim
