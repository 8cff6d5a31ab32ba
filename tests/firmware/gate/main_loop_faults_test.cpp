// The main loop's standing faults (issue #8), on the real cache and journal with the simulated
// devices and a manual clock: for each, the defined behaviour (relay, display, decisions
// out_of_service or not), one log line when it starts and one when it clears, the journal's event
// pair, and the recovery with nothing but the fault going away. Nothing sleeps: SimClock moves.
#include <catch2/catch.hpp>

#include "firmware/gate/main_loop.h"
#include "tests/firmware/gate/main_loop_fixture.h"
#include "tests/support/log_capture.h"

using namespace gate;
using namespace gate::test;
using namespace std::chrono_literals;

namespace {

const std::string kGreen = "tu:3105170010170907984";   // id-1, green
const std::string kGreen2 = "tu:3105170020000000012";  // id-2, green

int count_events(const Fixture& f, core::EventKind kind) {
  int n = 0;
  for (const auto& e : f.entries) {
    if (const auto* ev = std::get_if<core::GateEvent>(&e)) n += ev->kind == kind;
  }
  return n;
}

const core::GateEvent* last_event(const Fixture& f, core::EventKind kind) {
  for (auto it = f.entries.rbegin(); it != f.entries.rend(); ++it) {
    const auto* ev = std::get_if<core::GateEvent>(&*it);
    if (ev && ev->kind == kind) return ev;
  }
  return nullptr;
}

// A card tapped and taken away again: the decision it got.
core::DecisionRecord tap(Fixture& f, const std::string& key) {
  const std::size_t before = f.decisions().size();
  f.place(key);
  REQUIRE(f.gate->step().ok());
  f.remove_all();
  REQUIRE(f.decisions().size() == before + 1);
  return f.decisions().back();
}

// Rows in the journal's file (not what the observer saw: what is on disk).
std::size_t journal_rows(Fixture& f) {
  auto rows = f.gate->runtime().journal().read();
  REQUIRE(rows.ok());
  return rows->size();
}

hal::IndicatorState idle_with(const std::string& detail) {
  hal::IndicatorState s = control::idle_indicator();
  s.detail = detail;
  return s;
}

}  // namespace

TEST_CASE("sensor stuck: out of service after sensor_stuck_after, back when the beam clears") {
  test::LogCapture logs;
  Fixture f;
  // Someone standing in the aisle for 59 s is no fault.
  f.gate->mechanism().set_sensor_stuck(true);
  REQUIRE(f.gate->advance(59s).ok());
  f.gate->mechanism().set_sensor_stuck(false);
  REQUIRE(f.gate->step().ok());
  CHECK(f.gate->indicator().current() == control::idle_indicator());
  CHECK(count_events(f, core::EventKind::sensor_stuck) == 0);

  f.gate->mechanism().set_sensor_stuck(true);
  REQUIRE(f.gate->step().ok());
  REQUIRE(f.gate->advance(60s - 10ms).ok());
  CHECK(f.gate->indicator().current() == control::idle_indicator());
  REQUIRE(f.gate->advance(10ms).ok());  // blocked for the default 60 s
  CHECK(f.gate->indicator().current() == control::out_of_service_indicator("passage sensor"));
  CHECK(count_events(f, core::EventKind::sensor_stuck) == 1);
  CHECK(f.gate->loop().controller().out_of_service());

  // A tap is decided (and journaled) out_of_service; the relay stays closed.
  core::DecisionRecord d = tap(f, kGreen);
  CHECK(d.decision.reason == core::Reason::out_of_service);
  CHECK(d.decision.outcome == core::Outcome::deny);
  CHECK_FALSE(f.gate->mechanism().relay_open());
  REQUIRE(f.gate->advance(10min).ok());  // still stuck: nothing more logged or journaled
  CHECK(count_events(f, core::EventKind::sensor_stuck) == 1);

  f.gate->mechanism().set_sensor_stuck(false);
  REQUIRE(f.gate->step().ok());
  CHECK(f.gate->indicator().current() == control::idle_indicator());
  CHECK(count_events(f, core::EventKind::sensor_ok) == 1);
  CHECK(tap(f, kGreen2).decision.reason == core::Reason::ok);
  CHECK(f.gate->mechanism().relay_open());

  auto errors = logs.messages(LogLevel::error, "gate");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("passage sensor blocked for 60.000 s") != std::string::npos);
  auto infos = logs.messages(LogLevel::info, "gate");
  REQUIRE(infos.size() == 1);
  CHECK(infos[0] == "passage sensor clear again");
}

TEST_CASE("sensor_stuck_after comes from the configuration") {
  Fixture f;
  f.config.loop.sensor_stuck_after = 5s;
  f.start();
  f.gate->mechanism().set_sensor_stuck(true);
  REQUIRE(f.gate->step().ok());
  REQUIRE(f.gate->advance(5s).ok());
  CHECK(f.gate->indicator().current() == control::out_of_service_indicator("passage sensor"));
}

TEST_CASE(
    "barrier not following the relay: out of service, the safe state commanded, back when "
    "it follows") {
  test::LogCapture logs;
  Fixture f;
  // A barrier that follows the relay: nothing happens.
  REQUIRE(f.gate->advance(3s).ok());
  CHECK(count_events(f, core::EventKind::barrier_fault) == 0);

  // It jams open: the rider passes, the relay closes, the barrier stays open.
  REQUIRE(tap(f, kGreen).decision.outcome == core::Outcome::open);
  f.gate->mechanism().set_barrier_frozen(true);
  f.gate->mechanism().add_passages(1);
  REQUIRE(f.gate->step().ok());
  CHECK_FALSE(f.gate->mechanism().relay_open());
  REQUIRE(f.gate->advance(1s).ok());  // disagreeing for exactly relay_confirm_timeout: not yet
  CHECK(count_events(f, core::EventKind::barrier_fault) == 0);
  REQUIRE(f.gate->advance(10ms).ok());
  CHECK(count_events(f, core::EventKind::barrier_fault) == 1);
  CHECK(f.gate->indicator().current() == control::out_of_service_indicator("barrier"));
  CHECK_FALSE(f.gate->mechanism().relay_open());

  // Out of service: a tap is refused, the relay is never driven open.
  const std::size_t opens = f.gate->mechanism().open_count();
  REQUIRE(f.gate->advance(2s).ok());
  CHECK(tap(f, kGreen2).decision.reason == core::Reason::out_of_service);
  REQUIRE(f.gate->advance(5s).ok());
  CHECK(f.gate->mechanism().open_count() == opens);
  // An emergency still opens it (the safe state then is open): the barrier, jammed open, is
  // where it should be for as long as the emergency lasts; once it ends the relay closes, the
  // barrier does not, and the gate is out of service again.
  f.gate->mechanism().set_emergency(true);
  REQUIRE(f.gate->step().ok());
  CHECK(f.gate->mechanism().relay_open());
  CHECK(count_events(f, core::EventKind::barrier_ok) == 1);
  REQUIRE(f.gate->advance(3s).ok());
  CHECK(f.gate->mechanism().relay_open());
  f.gate->mechanism().set_emergency(false);
  REQUIRE(f.gate->advance(3s).ok());
  CHECK_FALSE(f.gate->mechanism().relay_open());
  CHECK(count_events(f, core::EventKind::barrier_fault) == 2);
  CHECK(f.gate->indicator().current() == control::out_of_service_indicator("barrier"));

  // Freed, it goes where the relay drives it (closed): back in service.
  f.gate->mechanism().set_barrier_frozen(false);
  REQUIRE(f.gate->step().ok());
  CHECK(count_events(f, core::EventKind::barrier_ok) == 2);
  CHECK(f.gate->indicator().current() == control::idle_indicator());
  CHECK(tap(f, kGreen2).decision.outcome == core::Outcome::open);

  // One line each way, each time.
  auto errors = logs.messages(LogLevel::error, "gate");
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].find("barrier does not follow the relay: driven closed, reads open") !=
        std::string::npos);
  CHECK(errors[1] == errors[0]);
  auto infos = logs.messages(LogLevel::info, "gate");
  REQUIRE(infos.size() == 2);
  CHECK(infos[0] == "barrier follows the relay again (open)");
  CHECK(infos[1] == "barrier follows the relay again (closed)");
}

TEST_CASE("a mechanism without barrier feedback is not checked") {
  Fixture f;
  f.gate->mechanism().set_has_feedback(false);
  f.gate->mechanism().set_barrier_frozen(true);
  REQUIRE(tap(f, kGreen).decision.outcome == core::Outcome::open);
  REQUIRE(f.gate->advance(10s).ok());
  CHECK(count_events(f, core::EventKind::barrier_fault) == 0);
  CHECK(f.gate->indicator().current() == control::idle_indicator());
}

TEST_CASE(
    "a wall clock stepping forward: logged, journaled at the new time, shown a while, "
    "decisions follow the new time") {
  test::LogCapture logs;
  Fixture f;
  // A step within the tolerance (2 s) is no jump.
  f.gate->clock().set_wall(f.gate->clock().wall_now() + 2s);
  REQUIRE(f.gate->step().ok());
  CHECK(count_events(f, core::EventKind::clock_jump) == 0);

  const Instant stepped = f.gate->clock().wall_now() + 1h;
  f.gate->clock().set_wall(stepped);
  REQUIRE(f.gate->step().ok());
  const core::GateEvent* jump = last_event(f, core::EventKind::clock_jump);
  REQUIRE(jump != nullptr);
  CHECK(jump->ts == stepped);
  CHECK(count_events(f, core::EventKind::clock_jump) == 1);
  CHECK(f.gate->indicator().current() == idle_with("alarm: clock jumped"));
  // In service, deciding on the new time.
  core::DecisionRecord d = tap(f, kGreen);
  CHECK(d.decision.reason == core::Reason::ok);
  CHECK(d.ts >= stepped);
  f.gate->mechanism().add_passages(1);
  REQUIRE(f.gate->advance(5min).ok());  // clock_jump_shown
  CHECK(f.gate->indicator().current() == control::idle_indicator());
  CHECK(count_events(f, core::EventKind::clock_jump) == 1);
  CHECK(count_events(f, core::EventKind::clock_behind) == 0);

  auto warnings = logs.messages(LogLevel::warning, "gate");
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] ==
        "wall clock stepped forward by 3600.000 s, now " + core::format_utc_millis(stepped));
  CHECK(logs.messages(LogLevel::error, "gate").empty());
}

TEST_CASE("a wall clock stepping back behind the journal: out of service until time catches up") {
  test::LogCapture logs;
  Fixture f;
  REQUIRE(tap(f, kGreen).decision.reason == core::Reason::ok);
  f.gate->mechanism().add_passages(1);
  const Instant latest = f.decisions().back().ts;
  REQUIRE(f.gate->advance(1min).ok());
  // Back to 10 s before the latest record.
  f.gate->clock().set_wall(latest - 10s);
  REQUIRE(f.gate->step().ok());
  CHECK(count_events(f, core::EventKind::clock_jump) == 1);
  CHECK(count_events(f, core::EventKind::clock_behind) == 1);
  CHECK(f.gate->indicator().current() == [] {
    hal::IndicatorState s = control::out_of_service_indicator("clock behind");
    s.detail += "; alarm: clock jumped";
    return s;
  }());
  CHECK(tap(f, kGreen2).decision.reason == core::Reason::out_of_service);
  CHECK_FALSE(f.gate->mechanism().relay_open());
  REQUIRE(f.gate->advance(10s - 10ms).ok());  // the wall clock still before the latest record
  CHECK(f.gate->loop().controller().out_of_service());
  REQUIRE(f.gate->advance(10ms).ok());  // at it: back in service
  CHECK_FALSE(f.gate->loop().controller().out_of_service());
  CHECK(count_events(f, core::EventKind::clock_ok) == 1);
  CHECK(tap(f, kGreen2).decision.reason == core::Reason::ok);

  auto errors = logs.messages(LogLevel::error, "gate");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("is behind the journal's latest record (" + core::format_utc_millis(latest) +
                       ")") != std::string::npos);
  auto infos = logs.messages(LogLevel::info, "gate");
  REQUIRE(infos.size() == 1);
  CHECK(infos[0].find("past the journal's latest record again") != std::string::npos);
  auto warnings = logs.messages(LogLevel::warning, "gate");
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("wall clock stepped back by 70.0") != std::string::npos);
}

TEST_CASE("a gate starting with its clock behind its journal is out of service until corrected") {
  Fixture f;
  REQUIRE(f.gate->advance(1h).ok());
  REQUIRE(tap(f, kGreen).decision.reason == core::Reason::ok);
  const Instant latest = f.decisions().back().ts;
  f.entries.clear();
  f.start();  // restarted at the first train: an hour behind its own records (an RTC reset)
  CHECK(f.gate->indicator().current() == control::out_of_service_indicator("clock behind"));
  CHECK(count_events(f, core::EventKind::startup) == 1);
  CHECK(count_events(f, core::EventKind::clock_behind) == 1);
  CHECK(tap(f, kGreen2).decision.reason == core::Reason::out_of_service);
  // NTP sets it right: a forward step, and back in service.
  f.gate->clock().set_wall(latest + 1min);
  REQUIRE(f.gate->step().ok());
  CHECK(count_events(f, core::EventKind::clock_jump) == 1);
  CHECK(count_events(f, core::EventKind::clock_ok) == 1);
  REQUIRE(f.gate->advance(2s).ok());  // the refusal's display over
  CHECK(f.gate->indicator().current() == idle_with("alarm: clock jumped"));
}

TEST_CASE(
    "disk full: the failing append closes the gate, a periodic retry brings it back, and "
    "nothing written is lost") {
  test::LogCapture logs;
  Fixture f;
  REQUIRE(tap(f, kGreen).decision.reason == core::Reason::ok);
  f.gate->mechanism().add_passages(1);
  REQUIRE(f.gate->advance(3s).ok());
  const std::size_t written = journal_rows(f);
  REQUIRE(written == f.entries.size());

  REQUIRE(f.gate->runtime().journal().set_disk_full(true).ok());
  // Records go on until the journal needs a page it may not have (tailgating events here).
  Status failed = ok_status();
  for (int i = 0; i < 500 && failed.ok(); ++i) {
    f.gate->mechanism().add_passages(1);
    failed = f.gate->step();
    if (failed.ok()) REQUIRE(f.gate->advance(2100ms).ok());
  }
  REQUIRE_FALSE(failed.ok());
  CHECK(f.gate->indicator().current() == control::out_of_service_indicator("journal failing"));
  CHECK_FALSE(f.gate->mechanism().relay_open());
  // Everything the observer saw is on disk, and nothing else: the failed record was never
  // written (its relay action never happened).
  const std::size_t before = journal_rows(f);
  CHECK(before == f.entries.size());
  CHECK(before > written);

  // A rider now: the decision cannot be journaled, so the gate does not open.
  f.place(kGreen2);
  CHECK_FALSE(f.gate->step().ok());
  f.remove_all();
  CHECK_FALSE(f.gate->mechanism().relay_open());
  CHECK(f.gate->mechanism().open_count() == 1);
  // Still full: the retry every 5 s fails quietly (no new log line, no error from the loop:
  // no record of a tap or an event was lost).
  {
    Status waited = f.gate->advance(30s);
    INFO((waited.ok() ? std::string("ok") : waited.error().message));
    REQUIRE(waited.ok());
  }
  CHECK(f.gate->loop().controller().out_of_service());
  CHECK(journal_rows(f) == before);

  // Room again: within one retry period the gate journals journal_recovered and is back.
  REQUIRE(f.gate->runtime().journal().set_disk_full(false).ok());
  REQUIRE(f.gate->advance(5s).ok());
  CHECK(count_events(f, core::EventKind::journal_recovered) == 1);
  CHECK(f.gate->indicator().current() == control::idle_indicator());
  CHECK(journal_rows(f) == before + 1);
  CHECK(tap(f, kGreen2).decision.reason == core::Reason::ok);
  CHECK(f.gate->mechanism().relay_open());

  auto errors = logs.messages(LogLevel::error, "gate");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("journal append failed") != std::string::npos);
  CHECK(errors[0].find("full") != std::string::npos);  // SQLite's "database or disk is full"
  auto infos = logs.messages(LogLevel::info, "gate");
  REQUIRE(infos.size() == 1);
  CHECK(infos[0] == "journal writable again");
}

TEST_CASE("several faults at once: each shown, each cleared by itself") {
  Fixture f;
  f.config.loop.sensor_stuck_after = 5s;
  f.start();
  f.gate->mechanism().set_sensor_stuck(true);
  REQUIRE(f.gate->step().ok());
  REQUIRE(f.gate->advance(5s).ok());
  f.gate->scanner().set_down(true);
  REQUIRE(f.gate->step().ok());
  f.gate->clock().set_wall(f.gate->clock().wall_now() - 1h);
  REQUIRE(f.gate->step().ok());
  CHECK(f.gate->indicator().current().detail ==
        "passage sensor, clock behind; alarm: scanner down, clock jumped");
  f.gate->clock().set_wall(f.gate->clock().wall_now() + 1h);
  REQUIRE(f.gate->step().ok());
  CHECK(f.gate->indicator().current().detail ==
        "passage sensor; alarm: scanner down, clock jumped");
  f.gate->mechanism().set_sensor_stuck(false);
  f.gate->scanner().set_down(false);
  REQUIRE(f.gate->advance(5min).ok());
  CHECK(f.gate->indicator().current() == control::idle_indicator());
}

TEST_CASE(
    "after a forward step the cache's age follows the new time (policy: stale → staff check)") {
  // The station's policy allows a cache 60 minutes old (synced at the first train).
  Fixture f(true, R"({"type":"policy","id":"s07","effective_from":"2022-05-20T00:00:00+08:00",)"
                  R"("scope":{"lines":[],"stations":["S07"]},"health_mode":"enforce",)"
                  R"("max_cache_age_minutes":60,"stale":"staff_check"})"
                  "\n");
  f.gate->clock().set_wall(f.gate->clock().wall_now() + 2h);
  REQUIRE(f.gate->step().ok());
  CHECK(count_events(f, core::EventKind::clock_jump) == 1);
  core::DecisionRecord d = tap(f, kGreen);
  CHECK(d.decision.reason == core::Reason::cache_stale);
  CHECK(d.decision.outcome == core::Outcome::staff_check);
}
