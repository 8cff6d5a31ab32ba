// ISO 7816-4 helpers for the card profiles: one command exchange that follows 61xx/6Cxx, the class
// of status words meaning "not on this card", and a strict BER-TLV reader for FCIs.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "hal/apdu_channel.h"
#include "hal/result.h"

namespace gate::core {

inline constexpr std::uint16_t kSwOk = 0x9000;
// Bound on the replies one exchange_apdu() may take (the command, one 6Cxx repeat, GET RESPONSEs).
inline constexpr int kMaxApduRounds = 16;

struct ApduReply {
  hal::Bytes data;       // response data; GET RESPONSE chunks appended in order
  std::uint16_t sw = 0;  // the final SW1 SW2
};

// Sends `command` (each transceive with `timeout`) and follows the card's status words:
// 61xx → GET RESPONSE 00 C0 00 00 xx, data appended; 6Cxx → the last command once more with
// Le = xx. Errors: the channel's own, or Errc::malformed for a reply shorter than SW1 SW2, a
// second 6Cxx, or more than kMaxApduRounds replies.
Result<ApduReply> exchange_apdu(hal::ApduChannel& channel, std::span<const std::uint8_t> command,
                                std::chrono::milliseconds timeout);

// `command` with Le = `le`: Le replaced for short cases 2 and 4, appended for cases 1 and 3.
// Errc::invalid_argument for a command that is not a short-length APDU.
Result<hal::Bytes> with_le(std::span<const std::uint8_t> command, std::uint8_t le);

// True for status words saying the application or file is not on this card, so the next profile
// may be tried: 6A82, 6A81, 6A86, 6A88, 6981, 6986, 6D00, 6E00.
bool is_absent_status(std::uint16_t sw);

// One BER-TLV data object; `value` points into the parsed buffer.
struct Tlv {
  std::uint16_t tag = 0;  // 1-byte tags as 0x00XX, 2-byte tags as 0xXXYY
  std::span<const std::uint8_t> value;
};

// Parses `data` as a sequence of BER-TLV objects covering it exactly: tags of 1 or 2 bytes,
// lengths short, 81 xx or 82 xx xx; 00/FF padding between objects (ISO 7816-4) is skipped.
// Errc::malformed for a truncated tag or length, a value running past the end, or another form.
Result<std::vector<Tlv>> parse_tlv(std::span<const std::uint8_t> data);

// The value of the first object tagged `tag` in `objects`, if any.
std::optional<std::span<const std::uint8_t>> find_tlv(const std::vector<Tlv>& objects,
                                                      std::uint16_t tag);

}  // namespace gate::core
