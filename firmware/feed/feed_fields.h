// Field codecs of the records payload (feed_format.h): credential keys, identities, instants,
// names, enums and booleans. Readers return std::nullopt for anything outside the value's set.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firmware/feed/byte_io.h"
#include "hal/result.h"
#include "hal/time.h"

namespace gate::feed::fields {

inline constexpr std::size_t kMaxText = 4096;
inline constexpr std::size_t kMaxName = 255;
inline constexpr std::uint64_t kMaxCount = 2147483647;

// An Errc::invalid_argument error: a record the format cannot carry.
Error bad(std::string what);
// The whole of `s` as a number in `base`.
std::optional<std::uint64_t> parse_number(std::string_view s, int base);
// A credential key packed by kind (cred); invalid_argument for a malformed key.
Status put_credential(ByteWriter& w, std::string_view key);
// A cred, re-rendered as its canonical key text.
std::optional<std::string> get_credential(ByteReader& r);
// 1-64 characters of 0x21-0x7E.
bool valid_identity(std::string_view s);
// An instant: svarint microseconds since the epoch.
void put_instant(ByteWriter& w, Instant t);
std::optional<Instant> get_instant(ByteReader& r);
// A str of at most `max` bytes (`what` names it in the error).
Status put_text(ByteWriter& w, std::string_view s, std::size_t max, std::string_view what);
// varint n + n non-empty strs of at most kMaxName bytes (a policy scope).
Status put_names(ByteWriter& w, const std::vector<std::string>& names);
std::optional<std::vector<std::string>> get_names(ByteReader& r);
// A byte below `count`.
std::optional<std::uint8_t> get_enum(ByteReader& r, std::uint8_t count);
// A byte 0 or 1.
std::optional<bool> get_bool(ByteReader& r);
// A varint up to kMaxCount.
std::optional<int> get_count(ByteReader& r);
// 130 hex digits starting 04 as the 65 bytes of a SEC1 point.
Status put_sec1(ByteWriter& w, std::string_view hex);

}  // namespace gate::feed::fields
