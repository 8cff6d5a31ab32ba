// ISO 8601 instants as records.md writes them: "2022-05-23T05:00:00+08:00", always with an
// explicit offset or "Z", so a record means the same instant on every gate whatever its time zone.
#pragma once

#include <optional>
#include <string_view>

#include "hal/time.h"

namespace gate::store {

// Parses "YYYY-MM-DDTHH:MM:SS[.f…](Z|+HH:MM|-HH:MM)" into a UTC instant. Strict: extended format
// only, upper-case 'T' and 'Z', a real calendar date, hours 00-23, no leap second (:60), 1 to 9
// fraction digits (truncated to microseconds), offsets up to ±23:59. Anything else, including a
// time without an offset, is std::nullopt.
std::optional<Instant> parse_iso8601(std::string_view text);

}  // namespace gate::store
