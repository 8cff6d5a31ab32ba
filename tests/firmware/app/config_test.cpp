#include "firmware/app/config.h"

#include <catch2/catch.hpp>
#include <sstream>

using namespace gate;
using namespace std::chrono_literals;

namespace {
Result<app::Config> parse(const std::string& text, bool require_paths = true) {
  std::istringstream in(text);
  return app::parse_config(in, require_paths);
}
}  // namespace

TEST_CASE("a full config file is read, with defaults for what it leaves out") {
  auto c = parse(
      "# gate G03\n"
      "gate = L1:S07:G03:exit\n"
      "cache = /var/lib/gate/cache.db\n"
      "\n"
      "journal = /var/lib/gate/journal.db   \n"
      "utc_offset = -05:30\n"
      "open_timeout = 7s\n"
      "hold_off = 900ms\n"
      "staff_timeout = 1min\n");
  REQUIRE(c.ok());
  CHECK(c->gate.line == "L1");
  CHECK(c->gate.station == "S07");
  CHECK(c->gate.gate == "G03");
  CHECK(c->gate.direction == core::Direction::exit);
  CHECK(c->gate.utc_offset_minutes == -330);
  CHECK(c->cache_path == "/var/lib/gate/cache.db");
  CHECK(c->journal_path == "/var/lib/gate/journal.db");
  CHECK(c->loop.timings.open_timeout == 7s);
  CHECK(c->loop.timings.staff_timeout == 60s);
  CHECK(c->loop.timings.result_display == 2s);  // issue 2's default
  CHECK(c->loop.hold_off == 900ms);
  CHECK(c->code_skew == 30s);  // ride-code-v1.md's default
}

TEST_CASE("utc_offset set before gate is kept") {
  auto c = parse("utc_offset = +09:00\ngate = L2:S01:G01:entry\ncache = a\njournal = b\n");
  REQUIRE(c.ok());
  CHECK(c->gate.utc_offset_minutes == 540);
}

TEST_CASE("errors name the line and the key") {
  auto unknown = parse("gate = L1:S07:G03:entry\ncolour = blue\n");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().message == "line 2: colour: unknown key");

  auto bad_gate = parse("\n\ngate = L1:S07:entry\n");
  REQUIRE_FALSE(bad_gate.ok());
  CHECK(bad_gate.error().message.rfind("line 3: gate: ", 0) == 0);

  auto bad_duration = parse("open_timeout = fast\n");
  REQUIRE_FALSE(bad_duration.ok());
  CHECK(bad_duration.error().message.rfind("line 1: open_timeout: ", 0) == 0);

  auto no_equals = parse("gate L1:S07:G03:entry\n");
  REQUIRE_FALSE(no_equals.ok());
  CHECK(no_equals.error().message == "line 1: expected `key = value`");
}

TEST_CASE("required keys are checked") {
  auto missing = parse("gate = L1:S07:G03:entry\ncache = c.db\n");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message == "journal: missing");
  CHECK(parse("gate = L1:S07:G03:entry\n", false).ok());
}

TEST_CASE("durations") {
  CHECK(*app::parse_duration("1500ms") == 1500ms);
  CHECK(*app::parse_duration("5s") == 5s);
  CHECK(*app::parse_duration("2min") == 120s);
  CHECK(*app::parse_duration("1h") == 3600s);
  CHECK(*app::parse_duration("0s") == 0s);
  for (const char* bad :
       {"", "5", "s", "-1s", "5 s", "5sec", "1.5s", "169h", "99999999999999999999s"}) {
    INFO(bad);
    CHECK_FALSE(app::parse_duration(bad).ok());
  }
}

TEST_CASE("utc offsets") {
  CHECK(*app::parse_utc_offset("+08:00") == 480);
  CHECK(*app::parse_utc_offset("Z") == 0);
  CHECK(*app::parse_utc_offset("-03:30") == -210);
  for (const char* bad : {"+8:00", "08:00", "+08", "+15:00", "+08:60", "UTC"}) {
    INFO(bad);
    CHECK_FALSE(app::parse_utc_offset(bad).ok());
  }
}
