// An emulated contactless card: what anti-collision sees and how it answers APDUs. The simulated
// reader (sim/devices) and, later, the PN532 emulator hold these.
#pragma once

#include <cstdint>
#include <span>

#include "hal/apdu_channel.h"
#include "hal/card_reader.h"
#include "hal/result.h"

namespace gate::sim {

class EmulatedCard {
 public:
  virtual ~EmulatedCard() = default;
  // Called each time the card enters the field (a phone card picks a fresh random UID here).
  virtual void enter_field() {}
  // What anti-collision reports for this presence.
  virtual hal::CardTarget target() const = 0;
  // The card's reply to one APDU (data + SW1 SW2). Errc::timeout models a card that falls silent,
  // Errc::io_error one that leaves the field mid-exchange.
  virtual Result<hal::Bytes> respond(std::span<const std::uint8_t> apdu) = 0;
};

}  // namespace gate::sim
