// How an emulated card hands out response data: plainly, through 61xx + GET RESPONSE chaining, or
// insisting on the exact Le (6Cxx), the behaviours cards.md asks readers to cope with.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "hal/apdu_channel.h"

namespace gate::sim {

struct ResponseStyle {
  bool chain_61xx = false;      // data only through GET RESPONSE, `chunk` bytes announced at a time
  bool wants_exact_le = false;  // 6C xx (xx = data size) unless Le equals the data size
  std::size_t chunk = 16;       // 1..256
};

class DataResponder {
 public:
  explicit DataResponder(ResponseStyle style = {}) : style_(style) {}

  // The reply carrying `data` + 90 00 to a command whose Le is `le` (absent counts as 256): at
  // most Le bytes; 6Cxx or 61xx instead when the style says so. Drops older pending data.
  hal::Bytes answer(std::span<const std::uint8_t> data, std::optional<std::size_t> le);
  // The reply to GET RESPONSE with `le`: up to `le` pending bytes + 61xx while more remain, else
  // 90 00; 69 85 when nothing is pending.
  hal::Bytes get_response(std::size_t le);
  // Forgets pending data (another command came, or the card left the field).
  void reset() { pending_.clear(); }

 private:
  ResponseStyle style_;
  hal::Bytes pending_;
};

}  // namespace gate::sim
