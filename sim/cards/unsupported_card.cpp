#include "sim/cards/unsupported_card.h"

#include "sim/cards/card_command.h"

namespace gate::sim {

hal::CardTarget UnsupportedCard::target() const {
  return hal::CardTarget{
      .uid = {0x04, 0x11, 0x22, 0x33}, .atqa = 0x0004, .sak = 0x20, .iso14443_4 = true};
}

Result<hal::Bytes> UnsupportedCard::respond(std::span<const std::uint8_t> apdu) {
  const CardCommand cmd = parse_card_command(apdu);
  switch (cmd.kind) {
    case CommandKind::select_mf:
      return status_reply(has_mf_ ? kSwOk : kSwFileNotFound);
    case CommandKind::select_tunion:
    case CommandKind::select_aid:
    case CommandKind::select_other:
    case CommandKind::read_binary_sfi:
      return status_reply(kSwFileNotFound);
    default:
      return status_reply(kSwInsNotSupported);
  }
}

}  // namespace gate::sim
