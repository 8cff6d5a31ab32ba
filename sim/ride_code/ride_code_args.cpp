#include "sim/ride_code/ride_code_args.h"

#include <algorithm>
#include <charconv>
#include <limits>

#include "firmware/store/iso_time.h"

namespace gate::sim {
namespace {

Error usage(std::string message) {
  return make_error(Errc::invalid_argument, std::move(message));
}

bool listed(const std::vector<std::string_view>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// The offset an ISO 8601 text that parse_iso8601 accepted ends with: "Z" or "+HH:MM"/"-HH:MM".
int offset_minutes(std::string_view text) {
  if (text.ends_with('Z')) return 0;
  const std::string_view tail = text.substr(text.size() - 6);
  const int minutes =
      ((tail[1] - '0') * 10 + (tail[2] - '0')) * 60 + (tail[4] - '0') * 10 + (tail[5] - '0');
  return tail[0] == '-' ? -minutes : minutes;
}

}  // namespace

Result<RideCodeArgs> RideCodeArgs::parse(std::span<char* const> argv,
                                         const std::vector<std::string_view>& values,
                                         const std::vector<std::string_view>& switches) {
  RideCodeArgs args;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string_view word = argv[i];
    if (!word.starts_with("--")) return usage("unexpected argument `" + std::string(word) + "`");
    const std::string name(word.substr(2));
    if (args.values_.count(name) > 0) return usage(std::string(word) + " given twice");
    if (listed(switches, name)) {
      args.values_.emplace(name, "");
    } else if (listed(values, name)) {
      if (i + 1 >= argv.size()) return usage(std::string(word) + " needs a value");
      args.values_.emplace(name, argv[++i]);
    } else {
      return usage("unknown option " + std::string(word));
    }
  }
  return args;
}

bool RideCodeArgs::has(std::string_view name) const {
  return values_.find(name) != values_.end();
}

Result<std::string> RideCodeArgs::text(std::string_view name) const {
  auto found = values_.find(name);
  if (found == values_.end()) return usage("--" + std::string(name) + " is required");
  return found->second;
}

Result<std::uint64_t> RideCodeArgs::number(std::string_view name, std::uint64_t min,
                                           std::uint64_t max,
                                           std::optional<std::uint64_t> fallback) const {
  if (!has(name) && fallback) return *fallback;
  GATE_TRY_ASSIGN(const std::string value, text(name));
  std::uint64_t n = 0;
  const char* end = value.data() + value.size();
  auto [stop, ec] = std::from_chars(value.data(), end, n);
  if (value.empty() || ec != std::errc() || stop != end || n < min || n > max) {
    return usage("--" + std::string(name) + ": expected a whole number in " + std::to_string(min) +
                 ".." + std::to_string(max) + ", got `" + value + "`");
  }
  return n;
}

Result<RideCodeArgs::Time> RideCodeArgs::time(std::string_view name) const {
  GATE_TRY_ASSIGN(const std::string value, text(name));
  const std::optional<Instant> instant = store::parse_iso8601(value);
  if (!instant) {
    return usage("--" + std::string(name) +
                 ": expected an ISO 8601 time with offset (2022-05-23T05:00:00+08:00), got `" +
                 value + "`");
  }
  return Time{*instant, offset_minutes(value)};
}

Result<std::uint32_t> RideCodeArgs::unix_seconds(std::string_view name) const {
  GATE_TRY_ASSIGN(const Time t, time(name));
  const auto micros = t.instant.time_since_epoch().count();
  constexpr std::int64_t kMicrosPerSecond = 1'000'000;
  constexpr std::int64_t kMax = std::numeric_limits<std::uint32_t>::max();
  if (micros < 0 || micros % kMicrosPerSecond != 0 || micros / kMicrosPerSecond > kMax) {
    return usage("--" + std::string(name) +
                 ": a ride code holds whole seconds from 1970 to 2106 (32-bit Unix time)");
  }
  return static_cast<std::uint32_t>(micros / kMicrosPerSecond);
}

}  // namespace gate::sim
