#include "sim/cards/beijing_card.h"

#include <algorithm>

#include "sim/cards/card_command.h"
#include "sim/cards/card_files.h"

namespace gate::sim {

BeijingCard::BeijingCard(std::array<std::uint8_t, 8> serial, std::chrono::year_month_day valid_from,
                         std::chrono::year_month_day valid_until)
    : file_(beijing_file(serial, valid_from, valid_until)), uid_(serial.begin() + 4, serial.end()) {
  if (uid_[0] == 0x08 || uid_[0] == 0x88) uid_[0] ^= 0x01;
}

hal::CardTarget BeijingCard::target() const {
  return hal::CardTarget{.uid = uid_, .atqa = 0x0004, .sak = 0x20, .iso14443_4 = true};
}

Result<hal::Bytes> BeijingCard::respond(std::span<const std::uint8_t> apdu) {
  const CardCommand cmd = parse_card_command(apdu);
  switch (cmd.kind) {
    case CommandKind::select_mf:
      return status_reply(kSwOk);
    case CommandKind::select_tunion:
    case CommandKind::select_aid:
    case CommandKind::select_other:
      return status_reply(kSwFileNotFound);
    case CommandKind::read_binary_sfi: {
      if (cmd.sfi != 0x04 || cmd.offset >= file_.size()) return status_reply(kSwFileNotFound);
      const auto data = std::span(file_).subspan(cmd.offset);
      return data_reply(data.first(std::min(cmd.le.value_or(256), data.size())));
    }
    case CommandKind::other_cla:
      return status_reply(kSwClaNotSupported);
    case CommandKind::malformed:
      return status_reply(kSwWrongLength);
    default:
      return status_reply(kSwInsNotSupported);
  }
}

}  // namespace gate::sim
