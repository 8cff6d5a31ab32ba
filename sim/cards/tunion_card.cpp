#include "sim/cards/tunion_card.h"

#include "sim/cards/card_command.h"
#include "sim/cards/card_files.h"

namespace gate::sim {
namespace {

// A fixed 4-byte UID from the card number (FNV-1a), avoiding 0x08 (random UIDs) and 0x88 (the
// cascade tag) as first byte.
std::vector<std::uint8_t> uid_from_number(std::string_view number) {
  std::uint32_t h = 2166136261u;
  for (char c : number) {
    h ^= static_cast<std::uint8_t>(c);
    h *= 16777619u;
  }
  std::vector<std::uint8_t> uid = {static_cast<std::uint8_t>(h >> 24),
                                   static_cast<std::uint8_t>(h >> 16),
                                   static_cast<std::uint8_t>(h >> 8), static_cast<std::uint8_t>(h)};
  if (uid[0] == 0x08 || uid[0] == 0x88) uid[0] ^= 0x01;
  return uid;
}

}  // namespace

TUnionCard::TUnionCard(std::string_view number, std::chrono::year_month_day valid_from,
                       std::chrono::year_month_day valid_until, std::int64_t balance_fen,
                       TUnionCardOptions options)
    : options_(options),
      public_file_(tunion_public_file(options.leading_digit, number, valid_from, valid_until)),
      balance_fen_(balance_fen),
      uid_(uid_from_number(number)),
      rng_(options.phone_uid_seed),
      responder_(ResponseStyle{options.chain_61xx, options.wants_exact_le, 16}) {
  if (options_.phone) draw_phone_uid();
}

void TUnionCard::draw_phone_uid() {
  std::uniform_int_distribution<int> byte(0, 255);
  uid_ = {0x08, static_cast<std::uint8_t>(byte(rng_)), static_cast<std::uint8_t>(byte(rng_)),
          static_cast<std::uint8_t>(byte(rng_))};
}

void TUnionCard::enter_field() {
  if (options_.phone) draw_phone_uid();
  selected_ = false;
  responder_.reset();
}

hal::CardTarget TUnionCard::target() const {
  return hal::CardTarget{.uid = uid_, .atqa = 0x0004, .sak = 0x20, .iso14443_4 = true};
}

Result<hal::Bytes> TUnionCard::respond(std::span<const std::uint8_t> apdu) {
  const CardCommand cmd = parse_card_command(apdu);
  if (cmd.kind == CommandKind::get_response) return responder_.get_response(*cmd.le);
  responder_.reset();
  switch (cmd.kind) {
    case CommandKind::select_tunion: {
      selected_ = true;
      const hal::Bytes fci = tunion_fci(public_file_, options_.fci_with_public_file);
      return responder_.answer(fci, cmd.le);
    }
    case CommandKind::select_mf:
      selected_ = false;
      return status_reply(kSwOk);
    case CommandKind::select_aid:
    case CommandKind::select_other:
      selected_ = false;
      return status_reply(kSwFileNotFound);
    case CommandKind::read_binary_sfi:
      if (!selected_ || cmd.sfi != 0x15 || cmd.offset >= public_file_.size()) {
        return status_reply(kSwFileNotFound);
      }
      return responder_.answer(std::span(public_file_).subspan(cmd.offset), cmd.le);
    case CommandKind::get_balance: {
      if (!selected_) return status_reply(kSwConditionsNotSatisfied);
      const auto b = static_cast<std::uint32_t>(balance_fen_);
      const std::uint8_t balance[] = {
          static_cast<std::uint8_t>(b >> 24), static_cast<std::uint8_t>(b >> 16),
          static_cast<std::uint8_t>(b >> 8), static_cast<std::uint8_t>(b)};
      return responder_.answer(balance, cmd.le);
    }
    case CommandKind::other_cla:
      return status_reply(kSwClaNotSupported);
    case CommandKind::malformed:
      return status_reply(kSwWrongLength);
    case CommandKind::get_response:
    case CommandKind::other_ins:
      break;
  }
  return status_reply(kSwInsNotSupported);
}

}  // namespace gate::sim
