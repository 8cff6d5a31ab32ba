#include "sim/cards/faulty_card.h"

#include <algorithm>

#include "sim/cards/card_command.h"

namespace gate::sim {
namespace {

using namespace std::chrono_literals;

constexpr std::uint8_t kBadBcd = 0x5A;
constexpr std::size_t kNumberByte = 12;

TUnionCard make_inner(FaultMode mode) {
  TUnionCardOptions options;
  options.leading_digit = '0';
  options.fci_with_public_file =
      mode != FaultMode::silent_after && mode != FaultMode::leaves_field_after;
  return TUnionCard("3105170010170907984", 2019y / 8 / 6, 2040y / 12 / 31, 2850, options);
}

}  // namespace

FaultyCard::FaultyCard(FaultMode mode, int good_replies)
    : mode_(mode), good_replies_(good_replies), inner_(make_inner(mode)) {}

void FaultyCard::enter_field() {
  answered_ = 0;
  inner_.enter_field();
}

Result<hal::Bytes> FaultyCard::respond(std::span<const std::uint8_t> apdu) {
  switch (mode_) {
    case FaultMode::garbage:
      return hal::Bytes{0xDE, 0xAD, 0xBE, 0xEF, 0x13, 0x37};
    case FaultMode::wrong_status:
      return status_reply(0x6F00);
    case FaultMode::short_reply:
      return hal::Bytes{0x90};
    case FaultMode::silent_after:
    case FaultMode::leaves_field_after:
      if (answered_ >= good_replies_) {
        if (mode_ == FaultMode::silent_after) return make_error(Errc::timeout, "card fell silent");
        return make_error(Errc::io_error, "card left the field");
      }
      ++answered_;
      return inner_.respond(apdu);
    case FaultMode::malformed_fci: {
      GATE_TRY_ASSIGN(hal::Bytes reply, inner_.respond(apdu));
      if (parse_card_command(apdu).kind == CommandKind::select_tunion && reply.size() > 2 &&
          reply[0] == 0x6F) {
        reply[1] = static_cast<std::uint8_t>(reply[1] + 0x10);
      }
      return reply;
    }
    case FaultMode::invalid_bcd_number: {
      GATE_TRY_ASSIGN(hal::Bytes reply, inner_.respond(apdu));
      const hal::Bytes& file = inner_.public_file();
      auto at = std::search(reply.begin(), reply.end(), file.begin(), file.end());
      if (at != reply.end()) at[kNumberByte] = kBadBcd;
      return reply;
    }
  }
  return status_reply(0x6F00);
}

}  // namespace gate::sim
