// The files and FCIs emulated transit cards carry, laid out as spec/cards.md describes them.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string_view>

#include "hal/apdu_channel.h"

namespace gate::sim {

// Packed BCD of `digits` ('0'..'9', an even count), high nibble first.
hal::Bytes encode_bcd(std::string_view digits);
// `date` as 4 bytes of BCD YYYYMMDD (years 0..9999).
hal::Bytes encode_bcd_date(std::chrono::year_month_day date);

// The 30-byte T-Union public file (SFI 0x15): bytes 10..19 the BCD of `leading_digit` followed by
// the 19-digit `number`, 20..23 and 24..27 the validity dates.
hal::Bytes tunion_public_file(char leading_digit, std::string_view number,
                              std::chrono::year_month_day valid_from,
                              std::chrono::year_month_day valid_until);

// The FCI a T-Union application answers SELECT with: 6F { 84 AID, A5 { 9F08 01 02 [, 9F0C file] }
// }.
hal::Bytes tunion_fci(std::span<const std::uint8_t> public_file, bool with_public_file);

// The 32-byte Beijing file (SFI 0x04 under the MF): serial in bytes 0..7, dates in 24..31.
hal::Bytes beijing_file(std::span<const std::uint8_t, 8> serial,
                        std::chrono::year_month_day valid_from,
                        std::chrono::year_month_day valid_until);

}  // namespace gate::sim
