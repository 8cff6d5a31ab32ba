// The gate state machine against issue 2's timings: open until one passage or 5 s, deny shown for
// 2 s, staff check waiting 20 s for staff, emergency free passage, tailgating alarm. Time is
// injected; nothing sleeps.
#include "firmware/gate/gate_controller.h"

#include <catch2/catch.hpp>

using namespace gate;
using namespace gate::control;
using namespace std::chrono_literals;

namespace {

core::GateContext test_gate() {
  return *core::parse_gate_spec("L1:S07:G03:entry");
}

struct Clock {
  Now t{Instant(std::chrono::seconds(1653253200)), MonoInstant(std::chrono::hours(1))};
  Now at(Duration since_start) const { return Now{t.wall + since_start, t.mono + since_start}; }
};

core::DecisionRecord record(core::Outcome outcome, core::Reason reason) {
  core::DecisionRecord r;
  r.gate = "L1-S07-G03";
  r.credential = "tu:3105170010170907984";
  r.decision.outcome = outcome;
  r.decision.reason = reason;
  r.decision.media = core::Media::card;
  return r;
}

const core::GateEvent* only_event(const Effects& e) {
  if (e.records.size() != 1) return nullptr;
  return std::get_if<core::GateEvent>(&e.records[0]);
}

}  // namespace

TEST_CASE("start closes the relay, shows idle and records start-up") {
  GateController c(test_gate(), {});
  Clock clk;
  Effects e = c.start(clk.at(0s));
  REQUIRE(e.relay == false);
  REQUIRE(e.show == idle_indicator());
  REQUIRE(only_event(e));
  CHECK(only_event(e)->kind == core::EventKind::startup);
  CHECK(c.phase() == GatePhase::idle);
}

TEST_CASE("open decision: relay opens, one passage closes it") {
  GateController c(test_gate(), {});
  Clock clk;
  (void)c.start(clk.at(0s));
  Effects e = c.on_decision(record(core::Outcome::open, core::Reason::ok), clk.at(1s));
  CHECK(e.relay == true);
  REQUIRE(e.records.size() == 1);
  CHECK(std::holds_alternative<core::DecisionRecord>(e.records[0]));
  CHECK(e.show->light == hal::Light::green);
  CHECK(c.phase() == GatePhase::open);
  CHECK_FALSE(c.ready_for_taps());
  Effects p = c.on_passage(clk.at(2s));
  CHECK(p.relay == false);
  CHECK(p.records.empty());
  CHECK(c.phase() == GatePhase::idle);
}

TEST_CASE("open decision: nobody passes within 5 s closes with a passage_timeout event") {
  GateController c(test_gate(), {});
  Clock clk;
  (void)c.start(clk.at(0s));
  (void)c.on_decision(record(core::Outcome::open, core::Reason::ok), clk.at(0s));
  Effects before = c.on_tick(clk.at(5s - 1us));
  CHECK_FALSE(before.relay.has_value());
  CHECK(c.phase() == GatePhase::open);
  Effects at = c.on_tick(clk.at(5s));
  CHECK(at.relay == false);
  REQUIRE(only_event(at));
  CHECK(only_event(at)->kind == core::EventKind::passage_timeout);
  CHECK(c.phase() == GatePhase::idle);
}

TEST_CASE("deny is shown for 2 s with red light and buzzer, relay stays closed") {
  GateController c(test_gate(), {});
  Clock clk;
  (void)c.start(clk.at(0s));
  core::DecisionRecord r = record(core::Outcome::deny, core::Reason::card_lost);
  r.decision.health = core::HealthSeen::not_checked;
  Effects e = c.on_decision(r, clk.at(0s));
  CHECK(e.relay == false);
  CHECK(e.show->light == hal::Light::red);
  CHECK(e.show->buzzer);
  CHECK(e.show->text_zh == "此卡已挂失");
  CHECK(e.show->text_en == "Card reported lost");
  CHECK(c.ready_for_taps());
  CHECK_FALSE(c.on_tick(clk.at(2s - 1us)).show.has_value());
  Effects idle = c.on_tick(clk.at(2s));
  CHECK(idle.show == idle_indicator());
  CHECK(c.phase() == GatePhase::idle);
}

TEST_CASE("staff check: amber until staff confirm, then open and recorded") {
  GateController c(test_gate(), {});
  Clock clk;
  (void)c.start(clk.at(0s));
  Effects e =
      c.on_decision(record(core::Outcome::staff_check, core::Reason::health_popup), clk.at(0s));
  CHECK(e.show->light == hal::Light::amber);
  CHECK(e.relay == false);
  CHECK(c.phase() == GatePhase::staff_pending);
  CHECK_FALSE(c.ready_for_taps());
  Effects ok = c.on_staff(hal::StaffCommand::confirm, core::HealthMode::enforce, clk.at(19s));
  CHECK(ok.relay == true);
  REQUIRE(only_event(ok));
  CHECK(only_event(ok)->kind == core::EventKind::staff_confirm);
  CHECK(only_event(ok)->credential == "tu:3105170010170907984");
  CHECK(only_event(ok)->reason == core::Reason::health_popup);
  CHECK(c.phase() == GatePhase::open);
}

TEST_CASE("staff check: no confirmation within 20 s counts as deny") {
  GateController c(test_gate(), {});
  Clock clk;
  (void)c.start(clk.at(0s));
  (void)c.on_decision(record(core::Outcome::staff_check, core::Reason::not_upgraded), clk.at(0s));
  CHECK(c.on_tick(clk.at(20s - 1us)).records.empty());
  Effects late = c.on_tick(clk.at(20s));
  REQUIRE(only_event(late));
  CHECK(only_event(late)->kind == core::EventKind::staff_check_timeout);
  CHECK(only_event(late)->reason == core::Reason::not_upgraded);
  CHECK_FALSE(late.relay == true);
  CHECK(late.show->light == hal::Light::red);
  // A confirmation after the timeout opens nothing.
  Effects after = c.on_staff(hal::StaffCommand::confirm, core::HealthMode::enforce, clk.at(21s));
  CHECK(after.records.empty());
  CHECK_FALSE(after.relay.has_value());
}

TEST_CASE("staff open is a recorded manual open with reason staff_open and media none") {
  GateController c(test_gate(), {});
  Clock clk;
  (void)c.start(clk.at(0s));
  Effects e = c.on_staff(hal::StaffCommand::open, core::HealthMode::observe, clk.at(3s));
  CHECK(e.relay == true);
  REQUIRE(e.records.size() == 1);
  const auto& r = std::get<core::DecisionRecord>(e.records[0]);
  CHECK(r.decision.reason == core::Reason::staff_open);
  CHECK(r.decision.outcome == core::Outcome::open);
  CHECK(r.decision.media == core::Media::none);
  CHECK(r.decision.mode == core::HealthMode::observe);
  CHECK(r.credential.empty());
  CHECK(r.ts == clk.at(3s).wall);
}

TEST_CASE("a passage with no open is a tailgating alarm, the relay stays closed") {
  GateController c(test_gate(), {});
  Clock clk;
  (void)c.start(clk.at(0s));
  Effects e = c.on_passage(clk.at(1s));
  REQUIRE(only_event(e));
  CHECK(only_event(e)->kind == core::EventKind::tailgating);
  CHECK_FALSE(e.relay == true);
  CHECK(e.show->buzzer);
}

TEST_CASE("emergency: open for free passage until cleared, passages are not alarms") {
  GateController c(test_gate(), {});
  Clock clk;
  (void)c.start(clk.at(0s));
  (void)c.on_decision(record(core::Outcome::staff_check, core::Reason::health_popup), clk.at(0s));
  Effects on = c.on_emergency(true, clk.at(1s));
  CHECK(on.relay == true);
  REQUIRE(only_event(on));
  CHECK(only_event(on)->kind == core::EventKind::emergency_on);
  CHECK(on.show->text_zh == "紧急疏散");
  CHECK(c.on_passage(clk.at(2s)).records.empty());
  CHECK(c.on_tick(clk.at(60s)).records.empty());  // no timeouts during an emergency
  CHECK(c.ready_for_taps());
  Effects tap =
      c.on_decision(record(core::Outcome::open, core::Reason::emergency_open), clk.at(61s));
  CHECK(tap.records.size() == 1);
  CHECK_FALSE(tap.relay.has_value());  // already open
  Effects off = c.on_emergency(false, clk.at(62s));
  CHECK(off.relay == false);
  REQUIRE(only_event(off));
  CHECK(only_event(off)->kind == core::EventKind::emergency_off);
  CHECK(c.phase() == GatePhase::idle);
}

TEST_CASE("out of service shows on the idle screen and clears") {
  GateController c(test_gate(), {});
  Clock clk;
  (void)c.start(clk.at(0s));
  Effects out = c.set_out_of_service(OutOfService::no_cache, true, clk.at(1s));
  CHECK(out.show == out_of_service_indicator("no cache"));
  CHECK(c.out_of_service());
  Effects back = c.set_out_of_service(OutOfService::no_cache, false, clk.at(2s));
  CHECK(back.show == idle_indicator());
  CHECK_FALSE(c.out_of_service());
}

TEST_CASE("journal failure closes the gate except during an emergency") {
  GateController c(test_gate(), {});
  Clock clk;
  (void)c.start(clk.at(0s));
  (void)c.on_decision(record(core::Outcome::open, core::Reason::ok), clk.at(0s));
  Effects e = c.on_journal_failure(clk.at(0s));
  CHECK(e.relay == false);
  CHECK(e.show == out_of_service_indicator("journal failing"));
  CHECK(c.out_of_service_causes().has(OutOfService::journal_failing));
  GateController d(test_gate(), {});
  (void)d.start(clk.at(0s));
  (void)d.on_emergency(true, clk.at(0s));
  Effects f = d.on_journal_failure(clk.at(1s));
  CHECK_FALSE(f.relay.has_value());
  CHECK(d.phase() == GatePhase::emergency);
}

TEST_CASE("custom timings are honoured") {
  GateTimings t;
  t.open_timeout = 3s;
  t.result_display = 500ms;
  GateController c(test_gate(), t);
  Clock clk;
  (void)c.start(clk.at(0s));
  (void)c.on_decision(record(core::Outcome::open, core::Reason::ok), clk.at(0s));
  CHECK(c.on_tick(clk.at(3s)).relay == false);
  (void)c.on_decision(record(core::Outcome::deny, core::Reason::card_lost), clk.at(4s));
  CHECK(c.on_tick(clk.at(4500ms)).show == idle_indicator());
}

TEST_CASE("out of service for several reasons at once: all on the detail line, back when none") {
  GateController c(test_gate(), {});
  Clock clk;
  (void)c.start(clk.at(0s));
  Effects out = c.set_out_of_service(OutOfService::journal_full, true, clk.at(1s));
  REQUIRE(out.show.has_value());
  CHECK(out.show->text_en == "Out of service");
  CHECK(out.show->text_zh == "暂停服务");
  CHECK(out.show->detail == "journal full");
  // The same reason again changes nothing; a second one is added (in declaration order).
  CHECK_FALSE(c.set_out_of_service(OutOfService::journal_full, true, clk.at(2s)).show.has_value());
  Effects two = c.set_out_of_service(OutOfService::sensor_stuck, true, clk.at(3s));
  CHECK(two.show == out_of_service_indicator("journal full, passage sensor"));
  Effects three = c.set_out_of_service(OutOfService::no_cache, true, clk.at(3s));
  CHECK(three.show == out_of_service_indicator("no cache, journal full, passage sensor"));
  // One clears: still out for the others.
  Effects one_less = c.set_out_of_service(OutOfService::journal_full, false, clk.at(4s));
  CHECK(one_less.show == out_of_service_indicator("no cache, passage sensor"));
  CHECK(c.out_of_service());
  (void)c.set_out_of_service(OutOfService::no_cache, false, clk.at(4s));
  Effects back = c.set_out_of_service(OutOfService::sensor_stuck, false, clk.at(5s));
  CHECK(back.show == idle_indicator());
  CHECK_FALSE(c.out_of_service());
  CHECK(c.out_of_service_causes().empty());
  // A result on the display keeps its text until it ends, then the idle screen is still out.
  (void)c.set_out_of_service(OutOfService::barrier_fault, true, clk.at(6s));
  (void)c.on_decision(record(core::Outcome::deny, core::Reason::out_of_service), clk.at(7s));
  CHECK_FALSE(c.set_out_of_service(OutOfService::clock_behind, true, clk.at(8s)).show.has_value());
  Effects idle = c.on_tick(clk.at(10s));
  CHECK(idle.show == out_of_service_indicator("barrier, clock behind"));
}

TEST_CASE("every condition has its short text") {
  CHECK(condition_text(OutOfService::no_cache) == "no cache");
  CHECK(condition_text(OutOfService::reader_down) == "reader down");
  CHECK(condition_text(OutOfService::journal_failing) == "journal failing");
  CHECK(condition_text(OutOfService::journal_full) == "journal full");
  CHECK(condition_text(OutOfService::sensor_stuck) == "passage sensor");
  CHECK(condition_text(OutOfService::barrier_fault) == "barrier");
  CHECK(condition_text(OutOfService::clock_behind) == "clock behind");
  CHECK(condition_text(StaffAlarm::journal_full) == "journal full");
  CHECK(condition_text(StaffAlarm::scanner_down) == "scanner down");
  CHECK(condition_text(StaffAlarm::clock_jumped) == "clock jumped");
  Conditions<StaffAlarm> alarms;
  CHECK(describe(alarms).empty());
  CHECK(alarms.set(StaffAlarm::clock_jumped, true));
  CHECK(alarms.set(StaffAlarm::scanner_down, true));
  CHECK_FALSE(alarms.set(StaffAlarm::scanner_down, true));
  CHECK(describe(alarms) == "alarm: scanner down, clock jumped");
}

TEST_CASE("an alarm goes on the detail line of the idle screen and of every result") {
  GateController c(test_gate(), {});
  Clock clk;
  (void)c.start(clk.at(0s));
  Effects set = c.set_alarm(StaffAlarm::journal_full, true, clk.at(1s));
  REQUIRE(set.show.has_value());
  hal::IndicatorState idle = idle_indicator();
  idle.detail = "alarm: journal full";
  CHECK(set.show == idle);
  CHECK_FALSE(c.set_alarm(StaffAlarm::journal_full, true, clk.at(1s)).show.has_value());

  // A result keeps its own detail (the health colour) with the alarm after it.
  core::DecisionRecord open = record(core::Outcome::open, core::Reason::ok);
  open.decision.health = core::HealthSeen::green;
  Effects shown = c.on_decision(open, clk.at(2s));
  REQUIRE(shown.show.has_value());
  CHECK(shown.show->text_en == "Please pass");
  CHECK(shown.show->detail == "health: green; alarm: journal full");
  CHECK(shown.relay == true);  // the gate decides as before
  CHECK(c.on_passage(clk.at(3s)).show == idle);

  Effects deny = c.on_decision(record(core::Outcome::deny, core::Reason::card_lost), clk.at(4s));
  CHECK(deny.show->detail == "alarm: journal full");

  // Cleared: a result on the display keeps its text until it ends; the next idle has no alarm.
  CHECK_FALSE(c.set_alarm(StaffAlarm::journal_full, false, clk.at(5s)).show.has_value());
  CHECK(c.on_tick(clk.at(7s)).show == idle_indicator());
}

TEST_CASE("alarms stay on the out-of-service screen, after its reasons") {
  GateController c(test_gate(), {});
  Clock clk;
  (void)c.start(clk.at(0s));
  (void)c.set_alarm(StaffAlarm::scanner_down, true, clk.at(1s));
  Effects out = c.set_out_of_service(OutOfService::sensor_stuck, true, clk.at(2s));
  REQUIRE(out.show.has_value());
  CHECK(out.show->detail == "passage sensor; alarm: scanner down");
  Effects more = c.set_alarm(StaffAlarm::clock_jumped, true, clk.at(3s));
  REQUIRE(more.show.has_value());
  CHECK(more.show->detail == "passage sensor; alarm: scanner down, clock jumped");
  (void)c.set_alarm(StaffAlarm::scanner_down, false, clk.at(4s));
  (void)c.set_alarm(StaffAlarm::clock_jumped, false, clk.at(4s));
  Effects only_out = c.set_out_of_service(OutOfService::sensor_stuck, true, clk.at(5s));
  CHECK_FALSE(only_out.show.has_value());
  CHECK(c.shown() == out_of_service_indicator("passage sensor"));
}
