// ApduChannel: one ISO 7816-4 command/response exchange with the card now in the field.
// Served by the libnfc reader (nfc_initiator_transceive_bytes) and by the simulated reader; the
// card profiles in firmware/core run over it.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include "hal/result.h"

namespace gate::hal {

using Bytes = std::vector<std::uint8_t>;

class ApduChannel {
 public:
  virtual ~ApduChannel() = default;
  // Sends `command` (a full APDU) and returns the card's reply including SW1 SW2.
  // Fails with Errc::timeout when the card does not answer within `timeout`, Errc::io_error when
  // the card left the field or the exchange broke, Errc::device_lost when the reader is gone.
  Result<Bytes> transceive(std::span<const std::uint8_t> command,
                           std::chrono::milliseconds timeout) {
    return do_transceive(command, timeout);
  }

 private:
  virtual Result<Bytes> do_transceive(std::span<const std::uint8_t> command,
                                      std::chrono::milliseconds timeout) = 0;
};

}  // namespace gate::hal
