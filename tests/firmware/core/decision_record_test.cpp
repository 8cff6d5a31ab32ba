#include "firmware/core/decision_record.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

namespace gate::core {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

Instant utc(year_month_day date, microseconds time_of_day = 0us) {
  return sys_days(date) + time_of_day;
}

// The example record of decisions.md.
DecisionRecord example_record() {
  DecisionRecord r;
  r.ts = utc(2022y / May / 23, 5h + 1s + 234ms + 567us);  // printed truncated to .234
  r.gate = "L1-S07-G03";
  r.direction = Direction::entry;
  r.credential = "tu:3105170010170907984";
  r.decision.outcome = Outcome::open;
  r.decision.reason = Reason::ok;
  r.decision.media = Media::card;
  r.decision.health = HealthSeen::green;
  r.decision.mode = HealthMode::enforce;
  r.latency_us = 412;
  return r;
}

TEST_CASE("the decision record is the JSON line of decisions.md", "[decision_record]") {
  CHECK(
      to_json_line(example_record()) ==
      R"({"ts":"2022-05-23T05:00:01.234Z","gate":"L1-S07-G03","direction":"entry","media":"card",)"
      R"("credential":"tu:***************7984","outcome":"open","reason":"ok","health":"green",)"
      R"("mode":"enforce","latency_us":412})");
}

TEST_CASE("the latency field can be left out", "[decision_record]") {
  CHECK(
      to_json_line(example_record(), false) ==
      R"({"ts":"2022-05-23T05:00:01.234Z","gate":"L1-S07-G03","direction":"entry","media":"card",)"
      R"("credential":"tu:***************7984","outcome":"open","reason":"ok","health":"green",)"
      R"("mode":"enforce"})");
}

TEST_CASE("records of other decisions", "[decision_record]") {
  DecisionRecord r;
  r.ts = utc(2022y / May / 23, 23h + 59min + 59s + 999999us);
  r.gate = "L2-S11-G01";
  r.direction = Direction::exit;
  r.decision.outcome = Outcome::open;
  r.decision.reason = Reason::emergency_open;
  r.decision.media = Media::none;
  r.decision.health = HealthSeen::not_checked;
  r.decision.mode = HealthMode::observe;
  r.latency_us = 0;
  CHECK(
      to_json_line(r) ==
      R"({"ts":"2022-05-23T23:59:59.999Z","gate":"L2-S11-G01","direction":"exit","media":"none",)"
      R"("credential":"","outcome":"open","reason":"emergency_open","health":"n/a","mode":"observe",)"
      R"("latency_us":0})");

  r.ts = utc(2022y / June / 1, 8h);
  r.direction = Direction::entry;
  r.credential = "m1:04a1b2c3";
  r.decision.outcome = Outcome::staff_check;
  r.decision.reason = Reason::health_popup;
  r.decision.media = Media::m1;
  r.decision.health = HealthSeen::yellow;
  r.decision.mode = HealthMode::enforce;
  r.latency_us = 123456;
  CHECK(to_json_line(r) ==
        R"({"ts":"2022-06-01T08:00:00.000Z","gate":"L2-S11-G01","direction":"entry","media":"m1",)"
        R"("credential":"m1:****b2c3","outcome":"staff_check","reason":"health_popup",)"
        R"("health":"yellow","mode":"enforce","latency_us":123456})");

  r.credential = "qr:18446744073709551615";
  r.decision.outcome = Outcome::deny;
  r.decision.reason = Reason::code_replayed;
  r.decision.media = Media::qr;
  r.decision.health = HealthSeen::not_checked;
  r.decision.mode = HealthMode::off;
  r.latency_us = -5;
  CHECK(to_json_line(r) ==
        R"({"ts":"2022-06-01T08:00:00.000Z","gate":"L2-S11-G01","direction":"entry","media":"qr",)"
        R"("credential":"qr:****************1615","outcome":"deny","reason":"code_replayed",)"
        R"("health":"n/a","mode":"off","latency_us":-5})");
}

TEST_CASE("full credential keys never appear in a record line", "[decision_record]") {
  DecisionRecord r = example_record();
  r.credential = "bj:0123456789abcdef";
  std::string line = to_json_line(r);
  CHECK(line.find("0123456789abcdef") == std::string::npos);
  CHECK(line.find(R"("credential":"bj:************cdef")") != std::string::npos);
}

TEST_CASE("strings are JSON-escaped, UTF-8 passed through", "[decision_record]") {
  DecisionRecord r = example_record();
  r.gate = "a\"b\\c\nd\te\x01\x1f/\xE9\x97\xB8";  // 闸 in UTF-8
  std::string line = to_json_line(r, false);
  CHECK(line.find(R"("gate":"a\"b\\c\u000ad\u0009e\u0001\u001f/闸",)") != std::string::npos);
  CHECK(line.find('\n') == std::string::npos);

  GateEvent e;
  e.ts = utc(2022y / May / 23);
  e.gate = "G\"1";
  CHECK(to_json_line(e) ==
        R"({"ts":"2022-05-23T00:00:00.000Z","gate":"G\"1","direction":"entry","event":"startup"})");
}

TEST_CASE("gate events as JSON lines", "[decision_record]") {
  GateEvent e;
  e.ts = utc(2022y / May / 23, 5h + 2s + 7ms);
  e.gate = "L1-S07-G03";
  e.direction = Direction::entry;
  e.kind = EventKind::staff_confirm;
  e.credential = "tu:3105170010170907984";
  e.reason = Reason::health_popup;
  CHECK(
      to_json_line(e) ==
      R"({"ts":"2022-05-23T05:00:02.007Z","gate":"L1-S07-G03","direction":"entry",)"
      R"("event":"staff_confirm","credential":"tu:***************7984","reason":"health_popup"})");

  e.kind = EventKind::staff_check_timeout;
  e.reason = Reason::not_upgraded;
  e.direction = Direction::exit;
  CHECK(to_json_line(e) ==
        R"({"ts":"2022-05-23T05:00:02.007Z","gate":"L1-S07-G03","direction":"exit",)"
        R"("event":"staff_check_timeout","credential":"tu:***************7984",)"
        R"("reason":"not_upgraded"})");

  e.kind = EventKind::tailgating;
  e.credential.clear();
  e.reason.reset();
  CHECK(to_json_line(e) ==
        R"({"ts":"2022-05-23T05:00:02.007Z","gate":"L1-S07-G03","direction":"exit",)"
        R"("event":"tailgating"})");

  e.kind = EventKind::reader_down;
  e.reason = Reason::read_error;  // a reason without a credential
  CHECK(to_json_line(e) ==
        R"({"ts":"2022-05-23T05:00:02.007Z","gate":"L1-S07-G03","direction":"exit",)"
        R"("event":"reader_down","reason":"read_error"})");

  // The sync and journal-space events carry nothing but their name.
  e.reason.reset();
  e.kind = EventKind::sync_failure;
  CHECK(to_json_line(e) ==
        R"({"ts":"2022-05-23T05:00:02.007Z","gate":"L1-S07-G03","direction":"exit",)"
        R"("event":"sync_failure"})");
  e.kind = EventKind::journal_full;
  CHECK(to_json_line(e) ==
        R"({"ts":"2022-05-23T05:00:02.007Z","gate":"L1-S07-G03","direction":"exit",)"
        R"("event":"journal_full"})");
}

TEST_CASE("event kind names round-trip", "[decision_record]") {
  const std::pair<EventKind, const char*> names[] = {
      {EventKind::startup, "startup"},
      {EventKind::staff_confirm, "staff_confirm"},
      {EventKind::staff_check_timeout, "staff_check_timeout"},
      {EventKind::emergency_on, "emergency_on"},
      {EventKind::emergency_off, "emergency_off"},
      {EventKind::tailgating, "tailgating"},
      {EventKind::passage_timeout, "passage_timeout"},
      {EventKind::reader_down, "reader_down"},
      {EventKind::reader_up, "reader_up"},
      {EventKind::sync_success, "sync_success"},
      {EventKind::sync_failure, "sync_failure"},
      {EventKind::journal_full, "journal_full"},
      {EventKind::journal_space_ok, "journal_space_ok"},
  };
  for (const auto& [kind, name] : names) {
    CHECK(event_kind_name(kind) == name);
    CHECK(parse_event_kind(name) == kind);
  }
  CHECK_FALSE(parse_event_kind("").has_value());
  CHECK_FALSE(parse_event_kind("Startup").has_value());
  CHECK_FALSE(parse_event_kind("staff-confirm").has_value());
}

TEST_CASE("format_utc_millis", "[decision_record]") {
  CHECK(format_utc_millis(Instant{}) == "1970-01-01T00:00:00.000Z");
  CHECK(format_utc_millis(utc(2022y / May / 23, 5h + 1s + 234ms)) == "2022-05-23T05:00:01.234Z");
  // Truncated, not rounded.
  CHECK(format_utc_millis(utc(2022y / May / 23, 5h + 1s + 234999us)) == "2022-05-23T05:00:01.234Z");
  CHECK(format_utc_millis(utc(2000y / February / 29, 23h + 59min + 59s + 999999us)) ==
        "2000-02-29T23:59:59.999Z");
  CHECK(format_utc_millis(utc(9999y / December / 31, 23h + 59min + 59s)) ==
        "9999-12-31T23:59:59.000Z");
  // Before 1970: still the calendar instant, rounded down like after it.
  CHECK(format_utc_millis(Instant{} - 1us) == "1969-12-31T23:59:59.999Z");
  CHECK(format_utc_millis(Instant{} - 1ms) == "1969-12-31T23:59:59.999Z");
  CHECK(format_utc_millis(Instant{} - 1001us) == "1969-12-31T23:59:59.998Z");
  CHECK(format_utc_millis(utc(1900y / January / 1)) == "1900-01-01T00:00:00.000Z");
  CHECK(format_utc_millis(utc(1969y / July / 20, 20h + 17min + 40s + 500ms)) ==
        "1969-07-20T20:17:40.500Z");
  // Far outside any real clock: clamped to the years ISO 8601 writes with four digits.
  CHECK(format_utc_millis(Instant::min()) == "0000-01-01T00:00:00.000Z");
  CHECK(format_utc_millis(Instant::max()) == "9999-12-31T23:59:59.999Z");
  CHECK(format_utc_millis(utc(10000y / January / 1)) == "9999-12-31T23:59:59.999Z");
  CHECK(format_utc_millis(utc(0y / January / 1)) == "0000-01-01T00:00:00.000Z");
  CHECK(format_utc_millis(utc(0y / January / 1) - 1us) == "0000-01-01T00:00:00.000Z");
}

}  // namespace
}  // namespace gate::core
