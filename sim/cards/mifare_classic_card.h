// MifareClassicCard: a legacy MIFARE Classic card. Anti-collision shows SAK 0x08 and no
// ISO 14443-4; it speaks no APDUs.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/cards/emulated_card.h"

namespace gate::sim {

class MifareClassicCard final : public EmulatedCard {
 public:
  // `uid`: 4 bytes normally (the key m1:<8 hex>); 7-byte UIDs model the newer cards readers refuse.
  explicit MifareClassicCard(std::vector<std::uint8_t> uid) : uid_(std::move(uid)) {}

  // SAK 0x08, ATQA 0x0004 (0x0044 for a 7-byte UID), not ISO 14443-4.
  hal::CardTarget target() const override;
  // Always Errc::io_error: an ISO 14443-4 exchange with this card fails.
  Result<hal::Bytes> respond(std::span<const std::uint8_t> apdu) override;

 private:
  std::vector<std::uint8_t> uid_;
};

}  // namespace gate::sim
