// PN532 command codes and what one command leads to, shared by the command handler and the
// initiator commands.
#pragma once

#include <chrono>
#include <cstdint>

#include "hal/apdu_channel.h"

namespace gate::sim::pn532 {

using SteadyTime = std::chrono::steady_clock::time_point;

// Command codes (the host sends them in TFI D4 frames; replies carry code + 1).
enum class Command : std::uint8_t {
  diagnose = 0x00,
  get_firmware_version = 0x02,
  get_general_status = 0x04,
  read_register = 0x06,
  write_register = 0x08,
  set_parameters = 0x12,
  sam_configuration = 0x14,
  power_down = 0x16,
  rf_configuration = 0x32,
  in_data_exchange = 0x40,
  in_communicate_thru = 0x42,
  in_deselect = 0x44,
  in_list_passive_target = 0x4A,
  in_release = 0x52,
  in_select = 0x54,
  in_auto_poll = 0x60,
};

struct CommandResult {
  enum class Kind {
    reply,         // `output` is the command's output (the response code is added by the handler)
    syntax_error,  // the chip answers with the syntax error frame (unknown command, bad parameters)
    waiting,       // the command waits for a card; it finishes later or is aborted by the host
  };
  Kind kind = Kind::reply;
  hal::Bytes output;
};

inline CommandResult make_reply(hal::Bytes output) {
  return {CommandResult::Kind::reply, std::move(output)};
}
inline CommandResult make_syntax_error() {
  return {CommandResult::Kind::syntax_error, {}};
}
inline CommandResult make_waiting() {
  return {CommandResult::Kind::waiting, {}};
}

}  // namespace gate::sim::pn532
