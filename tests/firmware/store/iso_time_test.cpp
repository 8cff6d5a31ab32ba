#include "firmware/store/iso_time.h"

#include <catch2/catch.hpp>

using namespace std::chrono;
using gate::Instant;
using gate::store::parse_iso8601;

namespace {

Instant at_s(std::int64_t s) {
  return Instant(seconds(s));
}

}  // namespace

// Expected values worked out by hand: 1970-01-01 → 2022-05-22 is 52 years with 13 leap days
// (1972 … 2020) = 18993 days, plus 120 days (Jan-Apr 2022) and 21 = 19134 days; 19134 * 86400 =
// 1653177600 s at 2022-05-22T00:00:00Z.
TEST_CASE("parse_iso8601: offsets and Z name UTC instants", "[iso_time]") {
  // 2022-05-23T04:00:00+08:00 = 2022-05-22T20:00:00Z = 1653177600 + 20 h.
  CHECK(parse_iso8601("2022-05-23T04:00:00+08:00") == at_s(1653249600));
  CHECK(parse_iso8601("2022-05-22T20:00:00Z") == at_s(1653249600));
  CHECK(parse_iso8601("2022-05-22T15:00:00-05:00") == at_s(1653249600));
  CHECK(parse_iso8601("2022-05-22T20:00:00+00:00") == at_s(1653249600));
  CHECK(parse_iso8601("2022-05-22T20:00:00-00:00") == at_s(1653249600));
  CHECK(parse_iso8601("2022-05-23T01:30:00+05:30") == at_s(1653249600));
  CHECK(parse_iso8601("1970-01-01T00:00:00Z") == at_s(0));
  // 2022-01-01T00:00Z = 18993 days = 1640995200 s; 30 minutes earlier in UTC crosses the year.
  CHECK(parse_iso8601("2022-01-01T00:30:00+01:00") == at_s(1640993400));
  // Before the epoch: one second before it.
  CHECK(parse_iso8601("1969-12-31T23:59:59Z") == at_s(-1));
}

TEST_CASE("parse_iso8601: fractional seconds", "[iso_time]") {
  // 2022-05-23T05:00:01Z = 1653177600 + 86400 + 5 h + 1 s = 1653282001.
  const Instant base = at_s(1653282001);
  CHECK(parse_iso8601("2022-05-23T05:00:01.234Z") == base + microseconds(234000));
  CHECK(parse_iso8601("2022-05-23T13:00:01.5+08:00") == base + microseconds(500000));
  CHECK(parse_iso8601("2022-05-23T05:00:01.000001Z") == base + microseconds(1));
  CHECK(parse_iso8601("2022-05-23T05:00:01.123456789Z") == base + microseconds(123456));
}

TEST_CASE("parse_iso8601: calendar", "[iso_time]") {
  // 2024-02-29 exists: 2024-03-01T00:00Z - 1 day. 2024-01-01 = 18993 + 730 days = 19723 days.
  CHECK(parse_iso8601("2024-02-29T00:00:00Z") == at_s((19723 + 31 + 28) * 86400LL));
  CHECK(parse_iso8601("2000-02-29T00:00:00Z").has_value());
  CHECK_FALSE(parse_iso8601("2023-02-29T00:00:00Z"));
  CHECK_FALSE(parse_iso8601("1900-02-29T00:00:00Z"));
  CHECK_FALSE(parse_iso8601("2022-04-31T00:00:00Z"));
  CHECK_FALSE(parse_iso8601("2022-13-01T00:00:00Z"));
  CHECK_FALSE(parse_iso8601("2022-00-01T00:00:00Z"));
  CHECK_FALSE(parse_iso8601("2022-05-00T00:00:00Z"));
  CHECK_FALSE(parse_iso8601("2022-05-32T00:00:00Z"));
}

TEST_CASE("parse_iso8601: rejects anything but the strict form with an offset", "[iso_time]") {
  const char* bad[] = {
      "",
      "2022-05-23T05:00:00",              // no offset: local time of where?
      "2022-05-23T05:00:00.5",            // no offset
      "2022-05-23",                       // date only
      "2022-05-23t05:00:00Z",             // lower-case t
      "2022-05-23 05:00:00Z",             // space separator
      "2022-05-23T05:00:00z",             // lower-case z
      "2022-05-23T05:00:00+0800",         // basic-format offset
      "2022-05-23T05:00:00+08",           // hours-only offset
      "2022-05-23T05:00:00+24:00",        // offset out of range
      "2022-05-23T05:00:00+08:60",        // offset minutes out of range
      "2022-05-23T24:00:00Z",             // hour 24
      "2022-05-23T05:60:00Z",             // minute 60
      "2022-05-23T05:00:60Z",             // leap second
      "2022-05-23T05:00Z",                // no seconds
      "2022-05-23T05:00:00.Z",            // empty fraction
      "2022-05-23T05:00:00.1234567890Z",  // 10 fraction digits
      "2022-05-23T05:00:00,5Z",           // comma fraction
      "2022-5-23T05:00:00Z",              // one-digit month
      "22-05-23T05:00:00Z",               // two-digit year
      "+2022-05-23T05:00:00Z",            // signed year
      "20220523T050000Z",                 // basic format
      "2022-05-23T05:00:00Z ",            // trailing space
      " 2022-05-23T05:00:00Z",            // leading space
      "2022-05-23T05:00:00+08:00x",       // trailing junk
      "2022-05-23T05:00:00ZZ",
      "2022-05-23T0a:00:00Z",
  };
  for (const char* text : bad) {
    INFO(text);
    CHECK_FALSE(parse_iso8601(text));
  }
}
