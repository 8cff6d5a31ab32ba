#include "firmware/store/iso_time.h"

#include <chrono>

namespace gate::store {
namespace {

// Reads exactly `n` decimal digits at `pos`, advancing it; nullopt if any is not a digit.
std::optional<int> digits(std::string_view s, std::size_t& pos, std::size_t n) {
  if (s.size() - pos < n) return std::nullopt;
  int value = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += n;
  return value;
}

bool expect(std::string_view s, std::size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

std::optional<Instant> parse_iso8601(std::string_view s) {
  using namespace std::chrono;
  std::size_t pos = 0;
  auto y = digits(s, pos, 4);
  if (!y || !expect(s, pos, '-')) return std::nullopt;
  auto mo = digits(s, pos, 2);
  if (!mo || !expect(s, pos, '-')) return std::nullopt;
  auto d = digits(s, pos, 2);
  if (!d || !expect(s, pos, 'T')) return std::nullopt;
  auto h = digits(s, pos, 2);
  if (!h || !expect(s, pos, ':')) return std::nullopt;
  auto mi = digits(s, pos, 2);
  if (!mi || !expect(s, pos, ':')) return std::nullopt;
  auto sec = digits(s, pos, 2);
  if (!sec) return std::nullopt;

  year_month_day date{year{*y}, month{static_cast<unsigned>(*mo)}, day{static_cast<unsigned>(*d)}};
  if (!date.ok() || *h > 23 || *mi > 59 || *sec > 59) return std::nullopt;

  std::int64_t micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t n = 0;
    std::int64_t scale = 100000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      micros += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
      ++n;
    }
    if (n == 0 || n > 9) return std::nullopt;
  }

  minutes offset{0};
  if (pos < s.size() && s[pos] == 'Z') {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    auto oh = digits(s, pos, 2);
    if (!oh || !expect(s, pos, ':')) return std::nullopt;
    auto om = digits(s, pos, 2);
    if (!om || *oh > 23 || *om > 59) return std::nullopt;
    offset = minutes{sign * (*oh * 60 + *om)};
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;

  Instant local = sys_days{date} + hours{*h} + minutes{*mi} + seconds{*sec} + microseconds{micros};
  return local - offset;
}

}  // namespace gate::store
