#include "sim/scenario/scenario.h"

#include <catch2/catch.hpp>
#include <sstream>

using namespace gate;
using namespace gate::sim;
using namespace std::chrono_literals;
using K = ScenarioEvent::Kind;

namespace {
Result<std::vector<ScenarioEvent>> parse(const std::string& text) {
  std::istringstream in(text);
  return parse_scenario(in);
}
}  // namespace

TEST_CASE("every event of the scenario language parses") {
  auto events = parse(
      "# comment\n"
      "clock 2022-05-23T05:00:00+08:00\n"
      "\n"
      "wait 1500ms\n"
      "tap tu:3105170010170907984\n"
      "tap tu:3105170010170907984 hold 3s phone expires 2021-12-31\n"
      "tap-many bj:0123456789abcdef m1:0a1b2c3d\n"
      "tap-bad\n"
      "scan TRC1:ABC DEF\n"
      "pass\n"
      "staff confirm\n"
      "staff open\n"
      "emergency on\n"
      "emergency off\r\n");
  REQUIRE(events.ok());
  const auto& e = *events;
  REQUIRE(e.size() == 12);
  CHECK(e[0].kind == K::clock);
  // 05:00 at +08:00 is 21:00 UTC the day before: 1653253200 s since the epoch.
  CHECK(e[0].at == Instant(std::chrono::seconds(1653253200)));
  CHECK(e[0].line == 2);
  CHECK(e[1].kind == K::wait);
  CHECK(e[1].duration == 1500ms);
  CHECK(e[2].kind == K::tap);
  CHECK(e[2].keys == std::vector<std::string>{"tu:3105170010170907984"});
  CHECK(e[2].duration == Duration::zero());
  CHECK_FALSE(e[2].phone);
  CHECK(e[3].duration == 3s);
  CHECK(e[3].phone);
  CHECK(e[3].expires == std::chrono::year_month_day{std::chrono::year(2021), std::chrono::month(12),
                                                    std::chrono::day(31)});
  CHECK(e[4].kind == K::tap_many);
  CHECK(e[4].keys.size() == 2);
  CHECK(e[5].kind == K::tap_bad);
  CHECK(e[6].kind == K::scan);
  CHECK(e[6].text == "TRC1:ABC DEF");  // spaces are part of a code's text
  CHECK(e[7].kind == K::pass);
  CHECK(e[8].kind == K::staff_confirm);
  CHECK(e[9].kind == K::staff_open);
  CHECK(e[10].kind == K::emergency_on);
  CHECK(e[11].kind == K::emergency_off);
  CHECK(e[11].line == 14);
}

TEST_CASE("faults are injected and cleared by name, a stall lasts a duration") {
  auto events = parse(
      "fault sensor-stuck on\n"
      "fault feed-garbage off\n"
      "stall 12s\n");
  REQUIRE(events.ok());
  const auto& e = *events;
  REQUIRE(e.size() == 3);
  CHECK(e[0].kind == K::fault);
  CHECK(e[0].text == "sensor-stuck");
  CHECK(e[0].on);
  CHECK(e[1].text == "feed-garbage");
  CHECK_FALSE(e[1].on);
  CHECK(e[2].kind == K::stall);
  CHECK(e[2].duration == 12s);
}

TEST_CASE("bad lines are rejected up front with their line number") {
  struct Case {
    const char* text;
    const char* message_start;
  };
  const Case cases[] = {
      {"pass\njump\n", "line 2: unknown event `jump`"},
      {"clock 2022-05-23T05:00:00\n", "line 1: clock: "},
      {"wait soon\n", "line 1: wait: "},
      {"wait\n", "line 1: wait: wrong number of words"},
      {"tap\n", "line 1: tap needs a card key"},
      {"tap tu:123\n", "line 1: not a card key"},
      {"tap qr:100000000001\n", "line 1: not a card key"},
      {"tap tu:3105170010170907984 hold\n", "line 1: tap: unexpected `hold`"},
      {"tap tu:3105170010170907984 expires 2021-02-30\n", "line 1: expires: "},
      {"tap-many tu:3105170010170907984\n", "line 1: tap-many: needs two or more card keys"},
      {"tap-bad now\n", "line 1: tap-bad: wrong number of words"},
      {"staff wave\n", "line 1: staff: expected `confirm` or `open`"},
      {"emergency maybe\n", "line 1: emergency: expected `on` or `off`"},
      {"pass 2\n", "line 1: pass: wrong number of words"},
      {"fault sensor-stuck\n", "line 1: fault: wrong number of words"},
      {"fault gremlins on\n", "line 1: fault: unknown fault `gremlins`"},
      {"fault disk-full maybe\n", "line 1: fault: expected `on` or `off`"},
      {"stall forever\n", "line 1: stall: "},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    auto r = parse(c.text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.rfind(c.message_start, 0) == 0);
  }
}
