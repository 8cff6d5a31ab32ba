// CardReader: an ISO/IEC 14443 type A reader (PN532, ACR122U, ... through libnfc; or simulated).
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "hal/apdu_channel.h"
#include "hal/result.h"
#include "hal/time.h"

namespace gate::hal {

// What anti-collision found for one card.
struct CardTarget {
  std::vector<std::uint8_t> uid;  // 4, 7 or 10 bytes; random per tap for phone cards
  std::uint16_t atqa = 0;
  std::uint8_t sak = 0;
  bool iso14443_4 = false;  // answers ISO 14443-4 (APDUs); false for MIFARE Classic
};

struct CardPresence {
  enum class Kind {
    none,      // no new card within the timeout
    one,       // exactly one new card: `target` is set and APDUs go to it until the next poll
    multiple,  // more than one card in the field: none of them is read
  };
  Kind kind = Kind::none;
  CardTarget target;
  MonoInstant detected_at{};  // when anti-collision finished
};

class CardReader : public ApduChannel {
 public:
  // Waits at most `timeout` for a new card presence. A card that stays in the field after it was
  // reported is not reported again until it leaves (the main loop also ignores the same credential
  // again within its hold-off, for readers that cannot tell a held card from a new one).
  // Errors: Errc::timeout never (a quiet field is Kind::none); Errc::io_error for a failed poll;
  // Errc::device_lost when the reader is gone (the caller reports reader-down and reopens).
  Result<CardPresence> poll(std::chrono::milliseconds timeout) { return do_poll(timeout); }

 private:
  virtual Result<CardPresence> do_poll(std::chrono::milliseconds timeout) = 0;
};

}  // namespace gate::hal
