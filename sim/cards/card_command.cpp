#include "sim/cards/card_command.h"

#include <algorithm>

namespace gate::sim {
namespace {

constexpr std::uint8_t kTUnionAid[] = {0xA0, 0x00, 0x00, 0x06, 0x32, 0x01, 0x01, 0x05};
constexpr std::uint8_t kMfId[] = {0x3F, 0x00};

bool equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

}  // namespace

CardCommand parse_card_command(std::span<const std::uint8_t> apdu) {
  CardCommand cmd;
  const std::size_t n = apdu.size();
  if (n < 4) return cmd;
  std::span<const std::uint8_t> data;
  if (n == 5) {
    cmd.le = apdu[4];
  } else if (n > 5) {
    const std::size_t lc = apdu[4];
    if (lc == 0 || (n != 5 + lc && n != 6 + lc)) return cmd;
    data = apdu.subspan(5, lc);
    if (n == 6 + lc) cmd.le = apdu[n - 1];
  }
  if (cmd.le && *cmd.le == 0) cmd.le = 256;

  const std::uint8_t cla = apdu[0], ins = apdu[1], p1 = apdu[2], p2 = apdu[3];
  if (cla != 0x00 && cla != 0x80) {
    cmd.kind = CommandKind::other_cla;
  } else if (cla == 0x00 && ins == 0xA4) {
    if (p1 == 0x04 && p2 == 0x00 && equal(data, kTUnionAid)) {
      cmd.kind = CommandKind::select_tunion;
    } else if (p1 == 0x04) {
      cmd.kind = CommandKind::select_aid;
    } else if (p1 == 0x00 && p2 == 0x00 && equal(data, kMfId)) {
      cmd.kind = CommandKind::select_mf;
    } else {
      cmd.kind = CommandKind::select_other;
    }
  } else if (cla == 0x00 && ins == 0xB0 && (p1 & 0xE0) == 0x80 && data.empty()) {
    cmd.kind = CommandKind::read_binary_sfi;
    cmd.sfi = p1 & 0x1F;
    cmd.offset = p2;
  } else if (cla == 0x80 && ins == 0x5C && p1 == 0x00 && p2 == 0x02 && data.empty()) {
    cmd.kind = CommandKind::get_balance;
  } else if (cla == 0x00 && ins == 0xC0 && p1 == 0x00 && p2 == 0x00 && data.empty() && cmd.le) {
    cmd.kind = CommandKind::get_response;
  } else {
    cmd.kind = CommandKind::other_ins;
  }
  return cmd;
}

hal::Bytes status_reply(std::uint16_t sw) {
  return {static_cast<std::uint8_t>(sw >> 8), static_cast<std::uint8_t>(sw & 0xFF)};
}

hal::Bytes data_reply(std::span<const std::uint8_t> data, std::uint16_t sw) {
  hal::Bytes out(data.begin(), data.end());
  out.push_back(static_cast<std::uint8_t>(sw >> 8));
  out.push_back(static_cast<std::uint8_t>(sw & 0xFF));
  return out;
}

}  // namespace gate::sim
