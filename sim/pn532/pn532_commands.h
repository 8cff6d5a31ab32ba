// CommandHandler: the emulated PN532 v1.6 (IC 0x32, firmware 1.6, support 0x07) as a host sees it
// through its commands. It takes the data of each host information frame (command code and input
// parameters, TFI D4 removed) and gives the chip's output; Pn532Emulator frames bytes around it.
// It holds the RF field (the cards), the CIU registers, the settings and the power state. Pure
// apart from the cards it calls: time comes in as `now`. Not thread-safe.
//
// Commands: Diagnose (0x00 line test, 0x01 ROM, 0x02 RAM, 0x06 card presence),
// GetFirmwareVersion, GetGeneralStatus, ReadRegister, WriteRegister, SetParameters,
// SAMConfiguration, PowerDown, RFConfiguration (items 01 02 04 05 0A 0B 0C 0D) and the initiator
// commands of pn532_initiator.h. Anything else gets the syntax error frame.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>

#include "sim/pn532/pn532_command_result.h"
#include "sim/pn532/pn532_field.h"
#include "sim/pn532/pn532_initiator.h"

namespace gate::sim::pn532 {

class CommandHandler {
 public:
  // A chip just powered on: asleep in low-VBat mode, RF field off, registers at reset values.
  CommandHandler();
  // Power cycle: the chip is as just powered on; the cards stay in the (now unpowered) field.
  void power_on_reset();

  // Runs one command at `now`. A reply's output starts with the response code (command + 1).
  // A polling command that finds no card may answer `waiting`, then finishes through resume().
  CommandResult execute(std::span<const std::uint8_t> command, SteadyTime now);
  // Polls again for the waiting command (after the field changed, or at its deadline).
  CommandResult resume(SteadyTime now);
  bool waiting() const { return initiator_.waiting(); }
  // When the waiting command gives up; none while it waits for a card forever.
  std::optional<SteadyTime> deadline() const { return initiator_.deadline(); }
  // The host aborted the waiting command: it ends without an answer.
  void cancel() { initiator_.cancel(); }

  // The chip sleeps at power-on (low-VBat mode) and after PowerDown; the HSU wake-up (0x55 on the
  // line) wakes it unless PowerDown left HSU out of its wake-up sources. A sleeping chip loses
  // the frames it receives.
  bool asleep() const { return asleep_; }
  void wake();

  // The RF field: the cards in it and the targets the chip activated.
  RfField& field() { return initiator_.field(); }
  const RfField& field() const { return initiator_.field(); }
  // A register as ReadRegister would read it (CIU registers 0x6301-0x633E, SFRs 0xFFxx).
  std::uint8_t register_value(std::uint16_t address) const;
  // Flags from SetParameters and the settings polling obeys.
  std::uint8_t parameters() const { return parameters_; }
  const InitiatorSettings& settings() const { return settings_; }

 private:
  CommandResult diagnose(std::span<const std::uint8_t> params);
  CommandResult general_status() const;
  CommandResult read_registers(std::span<const std::uint8_t> params) const;
  CommandResult write_registers(std::span<const std::uint8_t> params);
  CommandResult sam_configuration(std::span<const std::uint8_t> params);
  CommandResult power_down(std::span<const std::uint8_t> params);
  CommandResult rf_configuration(std::span<const std::uint8_t> params);

  InitiatorCommands initiator_;
  InitiatorSettings settings_;
  std::map<std::uint16_t, std::uint8_t> registers_;
  std::map<std::uint8_t, hal::Bytes> rf_items_;  // RFConfiguration data by item
  std::uint8_t parameters_;
  std::uint8_t sam_mode_ = 0x01;
  std::uint8_t waiting_code_ = 0;
  bool asleep_ = true;
  bool hsu_wakes_ = true;
};

}  // namespace gate::sim::pn532
