// The commands an emulated card recognises, decoded from a short-length ISO 7816-4 APDU, and the
// status words the emulated cards answer with.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "hal/apdu_channel.h"

namespace gate::sim {

enum class CommandKind {
  select_tunion,    // 00 A4 04 00 08 A0 00 00 06 32 01 01 05 [Le]
  select_aid,       // SELECT by name of any other AID
  select_mf,        // 00 A4 00 00 02 3F 00 [Le]
  select_other,     // another SELECT form
  read_binary_sfi,  // 00 B0 (80 | sfi) offset [Le]
  get_balance,      // 80 5C 00 02 [Le]
  get_response,     // 00 C0 00 00 Le
  other_ins,        // a CLA we know (00, 80) with another instruction
  other_cla,        // another class byte
  malformed,        // not a short-length APDU
};

struct CardCommand {
  CommandKind kind = CommandKind::malformed;
  std::uint8_t sfi = 0;           // read_binary_sfi
  std::uint8_t offset = 0;        // read_binary_sfi
  std::optional<std::size_t> le;  // 1..256 (Le = 00 is 256); std::nullopt when absent
};

// Decodes `apdu` (cases 1 to 4, short lengths only).
CardCommand parse_card_command(std::span<const std::uint8_t> apdu);

// Status words the emulated cards use.
inline constexpr std::uint16_t kSwOk = 0x9000;
inline constexpr std::uint16_t kSwWrongLength = 0x6700;
inline constexpr std::uint16_t kSwConditionsNotSatisfied = 0x6985;
inline constexpr std::uint16_t kSwFileNotFound = 0x6A82;
inline constexpr std::uint16_t kSwInsNotSupported = 0x6D00;
inline constexpr std::uint16_t kSwClaNotSupported = 0x6E00;

// A reply of only SW1 SW2.
hal::Bytes status_reply(std::uint16_t sw);
// `data` followed by SW1 SW2.
hal::Bytes data_reply(std::span<const std::uint8_t> data, std::uint16_t sw = kSwOk);

}  // namespace gate::sim
