#include "sim/cards/mifare_classic_card.h"

namespace gate::sim {

hal::CardTarget MifareClassicCard::target() const {
  const std::uint16_t atqa = uid_.size() == 4 ? 0x0004 : 0x0044;
  return hal::CardTarget{.uid = uid_, .atqa = atqa, .sak = 0x08, .iso14443_4 = false};
}

Result<hal::Bytes> MifareClassicCard::respond(std::span<const std::uint8_t> /*apdu*/) {
  return make_error(Errc::io_error, "MIFARE Classic card does not speak ISO 14443-4");
}

}  // namespace gate::sim
