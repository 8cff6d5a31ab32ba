// InitiatorCommands: the PN532's reader-mode commands (UM0701 §7.3) over an RfField:
// InListPassiveTarget, InAutoPoll, InDataExchange, InCommunicateThru, InSelect, InDeselect,
// InRelease. Only 106 kbps type A cards exist in the emulated field; polling for other types
// finds nothing. Not thread-safe: the emulator serialises every call.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "sim/pn532/pn532_command_result.h"
#include "sim/pn532/pn532_field.h"

namespace gate::sim::pn532 {

// What the chip's configuration commands set and the initiator commands obey.
struct InitiatorSettings {
  bool auto_rats = true;                           // SetParameters fAutomaticRATS (0x10)
  std::uint8_t passive_activation_retries = 0xFF;  // RFConfiguration item 5; 0xFF: endless
};

class InitiatorCommands {
 public:
  // Whether `code` is an initiator command run here.
  static bool handles(std::uint8_t code);

  // Runs one initiator command with its input parameters at `now`. Polling commands that find
  // no card and may go on (endless retries, InAutoPoll's period) return `waiting`.
  CommandResult execute(std::uint8_t code, std::span<const std::uint8_t> params,
                        const InitiatorSettings& settings, SteadyTime now);
  // Polls again for the waiting command (the field changed or time passed): its output, or
  // `waiting` while it still finds nothing before its deadline.
  CommandResult resume(SteadyTime now);
  bool waiting() const { return waiting_.has_value(); }
  // When the waiting command gives up and answers "no target"; none while it waits forever.
  std::optional<SteadyTime> deadline() const;
  // Drops the waiting command without an answer (the host aborted it).
  void cancel() { waiting_.reset(); }

  // The cards and the targets these commands act on.
  RfField& field() { return field_; }
  const RfField& field() const { return field_; }

 private:
  struct Waiting {
    Command command;
    hal::Bytes params;
    InitiatorSettings settings;
    std::optional<SteadyTime> deadline;
  };

  CommandResult list_passive_target(std::span<const std::uint8_t> params,
                                    const InitiatorSettings& settings);
  // `deadline`: none on the first try; a resumed poll keeps the one it got then.
  CommandResult auto_poll(std::span<const std::uint8_t> params, const InitiatorSettings& settings,
                          SteadyTime now, std::optional<SteadyTime> deadline);
  CommandResult data_exchange(std::span<const std::uint8_t> params);

  RfField field_;
  std::optional<Waiting> waiting_;
  hal::Bytes chained_to_card_;  // APDU parts the host sent with MI set
  hal::Bytes rest_for_host_;    // reply bytes beyond the first 262, sent on the host's request
  std::uint8_t rest_tg_ = 0;
};

}  // namespace gate::sim::pn532
