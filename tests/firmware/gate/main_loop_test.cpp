// The main loop with the real cache and journal on disk and the simulated devices: ordering of
// journal and relay, one tap per presence and hold-off, cards held while the gate is busy, reader
// loss, a missing cache, the watchdog. Time moves only through SimClock. The card and reader cases
// run twice: on the simulated reader, and on the board's libnfc driver reading the PN532
// emulator through libnfc's own pn532_uart driver; the ride-code and scanner cases run on the
// simulated scanner and on the board's serial scanner driver reading the scanner emulator's pty.
#include "firmware/gate/main_loop.h"

#include <catch2/catch.hpp>

#include "tests/firmware/core/trc1_vectors.h"
#include "tests/firmware/gate/main_loop_fixture.h"
#include "tests/support/log_capture.h"

using namespace gate;
using namespace std::chrono_literals;

using namespace gate::test;

TEST_CASE("an open decision is journaled before the relay is driven") {
  Fixture f;
  f.place("tu:3105170010170907984");
  REQUIRE(f.gate->step().ok());
  auto d = f.decisions();
  REQUIRE(d.size() == 1);
  CHECK(d[0].decision.reason == core::Reason::ok);
  CHECK(f.relay_open_when_journaled.back() == false);  // the relay moved only after the append
  CHECK(f.gate->mechanism().relay_open());
  CHECK(f.gate->indicator().current().light == hal::Light::green);
}

TEST_CASE("a card held on the reader is one tap, the same card again within hold-off is ignored") {
  auto reader = GENERATE(as<std::string>{}, "direct", "pn532");
  INFO("reader " << reader);
  Fixture f(true, "", reader);
  f.place("tu:3105170020000000012");
  REQUIRE(f.gate->advance(3s).ok());  // held on the reader for 3 s: still one tap
  CHECK(f.decisions().size() == 1);
  f.gate->mechanism().add_passages(1);
  REQUIRE(f.gate->step().ok());
  f.remove_all();
  REQUIRE(f.gate->step().ok());  // off the reader for one poll: a reader sees no shorter absence
  // Presented again 3 s after its read: past the 1.5 s hold-off, a new tap (refused by
  // anti-passback, but decided and recorded).
  f.place("tu:3105170020000000012");
  REQUIRE(f.gate->step().ok());
  CHECK(f.decisions().size() == 2);
  f.remove_all();
  REQUIRE(f.gate->advance(1s).ok());
  // Re-presented 1 s after the previous read: within the hold-off, not a new tap.
  f.place("tu:3105170020000000012");
  REQUIRE(f.gate->step().ok());
  CHECK(f.decisions().size() == 2);
}

TEST_CASE("a card that comes while the gate is open is read once the gate is ready") {
  auto reader = GENERATE(as<std::string>{}, "direct", "pn532");
  INFO("reader " << reader);
  Fixture f(true, "", reader);
  f.place("tu:3105170010170907984");
  REQUIRE(f.gate->step().ok());
  f.remove_all();
  f.place("tu:3105170020000000012");  // the next rider taps while the first is still passing
  REQUIRE(f.gate->advance(100ms).ok());
  CHECK(f.decisions().size() == 1);
  f.gate->mechanism().add_passages(1);
  REQUIRE(f.gate->step().ok());
  REQUIRE(f.decisions().size() == 2);
  CHECK(f.decisions()[1].credential == "tu:3105170020000000012");
  CHECK(f.decisions()[1].decision.reason == core::Reason::ok);
}

TEST_CASE("a card gone before the gate was ready reads as read_error") {
  auto reader = GENERATE(as<std::string>{}, "direct", "pn532");
  INFO("reader " << reader);
  Fixture f(true, "", reader);
  f.place("tu:3105170010170907984");
  REQUIRE(f.gate->step().ok());
  f.remove_all();
  f.place("tu:3105170020000000012");
  REQUIRE(f.gate->step().ok());
  f.remove_all();  // left before the first rider passed
  f.gate->mechanism().add_passages(1);
  REQUIRE(f.gate->step().ok());
  REQUIRE(f.decisions().size() == 2);
  CHECK(f.decisions()[1].decision.reason == core::Reason::read_error);
}

TEST_CASE("reader down: out of service after the grace, back by itself") {
  auto reader = GENERATE(as<std::string>{}, "direct", "pn532");
  INFO("reader " << reader);
  Fixture f(true, "", reader);
  f.set_reader_down(true);
  REQUIRE(f.gate->step().ok());
  CHECK(f.gate->indicator().current() == control::idle_indicator());
  REQUIRE(f.gate->advance(3s - 10ms).ok());
  CHECK(f.gate->indicator().current() == control::idle_indicator());
  REQUIRE(f.gate->advance(10ms).ok());
  CHECK(f.gate->indicator().current() == control::out_of_service_indicator("reader down"));
  // Codes still get a decision: out_of_service.
  f.gate->scanner().push_line("TRC1:XYZ");
  REQUIRE(f.gate->step().ok());
  REQUIRE(f.decisions().size() == 1);
  CHECK(f.decisions()[0].decision.reason == core::Reason::out_of_service);
  REQUIRE(f.gate->advance(2s).ok());
  f.set_reader_down(false);
  REQUIRE(f.gate->step().ok());
  REQUIRE(f.gate->advance(f.recovery()).ok());
  CHECK(f.gate->indicator().current() == control::idle_indicator());
  // And it reads cards again.
  f.place("tu:3105170010170907984");
  REQUIRE(f.gate->step().ok());
  REQUIRE(f.decisions().size() == 2);
  CHECK(f.decisions()[1].decision.reason == core::Reason::ok);
  int down = 0, up = 0;
  for (const auto& e : f.entries) {
    if (const auto* ev = std::get_if<core::GateEvent>(&e)) {
      down += ev->kind == core::EventKind::reader_down;
      up += ev->kind == core::EventKind::reader_up;
    }
  }
  CHECK(down == 1);  // logged and recorded once, not once per poll
  CHECK(up == 1);
}

TEST_CASE("without a usable cache the gate is out of service and says so") {
  Fixture f(false);
  CHECK(f.gate->indicator().current() == control::out_of_service_indicator("no cache"));
  f.place("tu:3105170010170907984");
  REQUIRE(f.gate->step().ok());
  REQUIRE(f.decisions().size() == 1);
  CHECK(f.decisions()[0].decision.reason == core::Reason::out_of_service);
  CHECK(f.decisions()[0].decision.outcome == core::Outcome::deny);
  CHECK_FALSE(f.gate->mechanism().relay_open());
}

TEST_CASE("a code scanned while staff are checking is held and decided afterwards") {
  Fixture f;
  f.place("tu:3105170080000000018");  // not upgraded: policy says staff_check
  REQUIRE(f.gate->step().ok());
  f.remove_all();
  REQUIRE(f.decisions().back().decision.outcome == core::Outcome::staff_check);
  f.gate->scanner().push_line("not a code");
  REQUIRE(f.gate->advance(1s).ok());
  CHECK(f.decisions().size() == 1);
  REQUIRE(f.gate->advance(20s).ok());  // staff never came: deny, then the held line is decided
  REQUIRE(f.decisions().size() == 2);
  CHECK(f.decisions()[1].decision.reason == core::Reason::code_malformed);
}

TEST_CASE("the loop kicks the watchdog every iteration, a stalled loop lets it expire") {
  Fixture f;
  std::size_t before = f.gate->watchdog().kicks();
  REQUIRE(f.gate->advance(1s).ok());
  CHECK(f.gate->watchdog().kicks() >= before + 100);  // every 10 ms step
  CHECK_FALSE(f.gate->watchdog().expired());
  f.gate->clock().advance(f.config.watchdog_timeout + 1ms);  // time passes, the loop does not run
  CHECK(f.gate->watchdog().expired());
}

TEST_CASE("the anti-passback memory is rebuilt from the journal at start-up") {
  Fixture f;
  f.place("tu:3105170010170907984");
  REQUIRE(f.gate->step().ok());
  f.remove_all();
  f.start();  // a restart on the same journal and cache
  f.gate->clock().advance(10min);
  f.place("tu:3105170010170907984");
  REQUIRE(f.gate->step().ok());
  CHECK(f.decisions().back().decision.reason == core::Reason::already_inside);
}

TEST_CASE("a cache not synced for longer than the policy allows gives cache_stale") {
  // Synced at the first train; the station's policy allows 60 minutes, then a staff check.
  Fixture f(true, R"({"type":"policy","id":"s07","effective_from":"2022-05-20T00:00:00+08:00",)"
                  R"("scope":{"lines":[],"stations":["S07"]},"health_mode":"enforce",)"
                  R"("max_cache_age_minutes":60,"stale":"staff_check"})"
                  "\n");
  f.gate->clock().advance(60min);
  f.place("tu:3105170010170907984");
  REQUIRE(f.gate->step().ok());
  CHECK(f.decisions().back().decision.reason == core::Reason::ok);  // exactly 60 min: not older
  f.remove_all();
  f.gate->mechanism().add_passages(1);
  f.gate->clock().advance(1s);
  f.place("tu:3105170020000000012");
  REQUIRE(f.gate->step().ok());
  CHECK(f.decisions().back().decision.reason == core::Reason::cache_stale);
  CHECK(f.decisions().back().decision.outcome == core::Outcome::staff_check);
}

TEST_CASE(
    "anti-passback holds for ride-code accounts: a second code of the same account is refused") {
  // The public vectors' replay stream: three valid codes of one install (account 100000000001,
  // issuer 1 key 1), generated seconds apart. Two people sharing the account (or one screenshot
  // each of consecutive codes) get one entry.
  Fixture f(true, kRideCodeRecords);
  core::test::Trc1Vectors v = core::test::load_trc1_vectors();
  REQUIRE(v.replay_stream.size() == 5);
  const core::test::Trc1Case& first = v.replay_stream[0];
  const core::test::Trc1Case& later = v.replay_stream[2];  // another code, same account
  REQUIRE(later.expect == "ok");
  f.gate->clock().set_wall(first.now);
  f.gate->scanner().push_line(first.text);
  REQUIRE(f.gate->step().ok());
  REQUIRE(f.decisions().size() == 1);
  CHECK(f.decisions()[0].decision.reason == core::Reason::ok);
  f.gate->mechanism().add_passages(1);
  REQUIRE(f.gate->step().ok());
  f.gate->clock().set_wall(later.now);
  f.gate->scanner().push_line(later.text);
  REQUIRE(f.gate->step().ok());
  REQUIRE(f.decisions().size() == 2);
  CHECK(f.decisions()[1].credential == "qr:100000000001");
  CHECK(f.decisions()[1].decision.reason == core::Reason::already_inside);
}

TEST_CASE("a ride code gets the same decision through the serial scanner as through direct") {
  auto scanner = GENERATE(as<std::string>{}, "direct", "serial");
  INFO("scanner " << scanner);
  Fixture f(true, kRideCodeRecords, "direct", scanner);
  REQUIRE(f.gate->advance(4s).ok());
  f.scan(kGreenCode);
  REQUIRE(f.gate->step().ok());
  auto d = f.decisions();
  REQUIRE(d.size() == 1);  // decided in the step right after the scan
  CHECK(d[0].credential == "qr:100000000001");
  CHECK(d[0].decision.media == core::Media::qr);
  CHECK(d[0].decision.outcome == core::Outcome::open);
  CHECK(d[0].decision.reason == core::Reason::ok);
  CHECK(f.gate->mechanism().relay_open());
  f.gate->mechanism().add_passages(1);
  REQUIRE(f.gate->advance(1s).ok());
  // Bytes that are no code (NUL, non-ASCII) reach the verifier as they are: code_malformed.
  f.scan(std::string("TRC1:\0\xff\x80V50", 11));
  REQUIRE(f.gate->step().ok());
  REQUIRE(f.decisions().size() == 2);
  CHECK(f.decisions()[1].decision.reason == core::Reason::code_malformed);
}

TEST_CASE(
    "scanner down: logged once, nothing journaled, shown to staff, cards still work, codes again "
    "when back") {
  auto scanner = GENERATE(as<std::string>{}, "direct", "serial");
  INFO("scanner " << scanner);
  test::LogCapture logs;
  Fixture f(true, kRideCodeRecords, "direct", scanner);
  REQUIRE(f.gate->step().ok());
  const std::size_t entries = f.entries.size();
  f.set_scanner_down(true);
  REQUIRE(f.gate->advance(5s).ok());  // longer than reader_down_grace
  CHECK(f.entries.size() == entries);
  // Still in service; staff see the alarm on the detail line.
  hal::IndicatorState idle_with_alarm = control::idle_indicator();
  idle_with_alarm.detail = "alarm: scanner down";
  CHECK(f.gate->indicator().current() == idle_with_alarm);
  f.place("tu:3105170010170907984");
  REQUIRE(f.gate->step().ok());
  REQUIRE(f.decisions().size() == 1);
  CHECK(f.decisions()[0].decision.reason == core::Reason::ok);
  CHECK(f.gate->indicator().current().detail == "health: green; alarm: scanner down");
  f.remove_all();
  f.gate->mechanism().add_passages(1);
  REQUIRE(f.gate->step().ok());
  f.set_scanner_down(false);
  REQUIRE(f.gate->advance(f.scanner_recovery() + 10ms).ok());
  CHECK(f.gate->indicator().current() == control::idle_indicator());  // the alarm is gone
  f.scan(kGreenCode);
  REQUIRE(f.gate->step().ok());
  REQUIRE(f.decisions().size() == 2);
  CHECK(f.decisions()[1].credential == "qr:100000000001");
  CHECK(f.decisions()[1].decision.reason == core::Reason::ok);
  auto down = logs.messages(LogLevel::error, "gate");
  REQUIRE(down.size() == 1);  // once, not once per iteration
  CHECK(down[0].find("code scanner down") != std::string::npos);
  auto back = logs.messages(LogLevel::info, "gate");
  REQUIRE(back.size() == 1);
  CHECK(back[0].find("code scanner back") != std::string::npos);
}

TEST_CASE("the simulator refuses a scanner it does not have, naming the ones it has") {
  Fixture f;
  f.config.scanner = "usb";
  auto created = sim::SimGate::create(f.config, kFirstTrain, {});
  REQUIRE_FALSE(created.ok());
  CHECK(created.error().code == Errc::invalid_argument);
  CHECK(created.error().message.find("`direct` and `serial`") != std::string::npos);
}
