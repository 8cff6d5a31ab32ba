// BeijingCard: a Beijing municipal CPU card. Answers 6A82 to the T-Union AID (and any other AID),
// 90 00 to SELECT of the MF, and its 32-byte file to READ BINARY SFI 0x04.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

#include "sim/cards/emulated_card.h"

namespace gate::sim {

class BeijingCard final : public EmulatedCard {
 public:
  // `serial`: bytes 0..7 of the file, the key bj:<16 hex>. The UID is the serial's last 4 bytes
  // (first byte kept off 0x08 and 0x88).
  BeijingCard(std::array<std::uint8_t, 8> serial, std::chrono::year_month_day valid_from,
              std::chrono::year_month_day valid_until);

  // SAK 0x20, ATQA 0x0004, ISO 14443-4.
  hal::CardTarget target() const override;
  Result<hal::Bytes> respond(std::span<const std::uint8_t> apdu) override;

  const hal::Bytes& file() const { return file_; }

 private:
  hal::Bytes file_;
  std::vector<std::uint8_t> uid_;
};

}  // namespace gate::sim
