// The decision table of decisions.md, row by row, under each health mode. Every read failure,
// the no-policy default, boundary instants, media and display texts are in decision_edges_test.cpp.
#include "firmware/core/decision.h"

#include <catch2/catch.hpp>
#include <vector>

#include "tests/firmware/core/decision_fixture.h"

namespace gate::core {
namespace {

using namespace gate::core::testing;

struct Expect {
  Reason reason;
  Outcome outcome;
  HealthSeen health;
  bool upgrade_prompt = false;
};

struct Row {
  const char* name;
  void (*spoil)(Tap&);
  Expect off, observe, enforce;
};

// A row that decides before the health check (rows 1-9): the same under every mode.
Row early(const char* name, void (*spoil)(Tap&), Reason reason, Outcome outcome,
          bool prompt = false) {
  Expect e{reason, outcome, HealthSeen::not_checked, prompt};
  return {name, spoil, e, e, e};
}

// A tap that reaches rows 10-15: skipped under off (ok, n/a), ok_observe with the colour found
// under observe, `enforce` under enforce.
Row reaches_health(const char* name, void (*spoil)(Tap&), HealthSeen seen, Expect enforce) {
  return {name,
          spoil,
          {Reason::ok, Outcome::open, HealthSeen::not_checked},
          {Reason::ok_observe, Outcome::open, seen},
          enforce};
}
Row passes(const char* name, void (*spoil)(Tap&)) {
  return reaches_health(name, spoil, HealthSeen::green,
                        {Reason::ok, Outcome::open, HealthSeen::green});
}

using R = Reason;
using O = Outcome;
using H = HealthSeen;

const std::vector<Row> kRows = {
    // Row 1
    early(
        "emergency", [](Tap& t) { t.presented.emergency = true; }, R::emergency_open, O::open),
    early(
        "emergency beats everything else",
        [](Tap& t) {
          t.presented.emergency = true;
          t.presented.out_of_service = true;
          t.presented.read_failure = R::read_error;
          t.presented.valid_until = 2020y / January / 1;
          t.facts.denied = true;
          t.facts.binding->status = BindingStatus::lost;
          t.facts.health->colour = HealthColour::red;
        },
        R::emergency_open, O::open),
    // Row 2
    early(
        "out of service", [](Tap& t) { t.presented.out_of_service = true; }, R::out_of_service,
        O::deny),
    early(
        "out of service beats a read failure",
        [](Tap& t) {
          t.presented.out_of_service = true;
          t.presented.read_failure = R::multiple_cards;
        },
        R::out_of_service, O::deny),
    // Row 3 (every failure reason: see the test case below)
    early(
        "read failure beats an expired card",
        [](Tap& t) {
          t.presented.read_failure = R::code_expired;
          t.presented.valid_until = 2020y / January / 1;
        },
        R::code_expired, O::deny),
    early(
        "MIFARE Classic refused when accept_m1 is false",
        [](Tap& t) {
          t.presented.credential = "m1:04a1b2c3";
          t.presented.valid_until.reset();
          t.facts.binding->media = Media::m1;
          t.policy.accept_m1 = false;
        },
        R::unsupported_card, O::deny),
    passes("MIFARE Classic accepted when accept_m1 is true",
           [](Tap& t) {
             t.presented.credential = "m1:04a1b2c3";
             t.presented.valid_until.reset();
             t.facts.binding->media = Media::m1;
           }),
    passes("accept_m1 false does not refuse other cards",
           [](Tap& t) { t.policy.accept_m1 = false; }),
    // Row 4
    early(
        "card expired", [](Tap& t) { t.presented.valid_until = 2022y / May / 22; }, R::card_expired,
        O::deny),
    early(
        "expired beats stale cache, deny list and blocked binding",
        [](Tap& t) {
          t.presented.valid_until = 2022y / May / 22;
          t.facts.last_good_sync.reset();
          t.facts.denied = true;
          t.facts.binding->status = BindingStatus::blocked;
        },
        R::card_expired, O::deny),
    passes("card valid until today (local)",
           [](Tap& t) { t.presented.valid_until = 2022y / May / 23; }),
    passes("no validity date (ride codes)", [](Tap& t) { t.presented.valid_until.reset(); }),
    // Row 5
    early(
        "cache stale, stale = staff_check", [](Tap& t) { t.facts.last_good_sync = kNow - 25h; },
        R::cache_stale, O::staff_check),
    early(
        "cache stale, stale = deny",
        [](Tap& t) {
          t.facts.last_good_sync = kNow - 25h;
          t.policy.stale = ThreeWayPolicy::deny;
        },
        R::cache_stale, O::deny),
    passes("cache stale, stale = allow",
           [](Tap& t) {
             t.facts.last_good_sync = kNow - 25h;
             t.policy.stale = ThreeWayPolicy::allow;
           }),
    early(
        "never synced counts as stale", [](Tap& t) { t.facts.last_good_sync.reset(); },
        R::cache_stale, O::staff_check),
    passes("max_cache_age_minutes 0: staleness not checked",
           [](Tap& t) {
             t.facts.last_good_sync.reset();
             t.policy.max_cache_age_minutes = 0;
           }),
    early(
        "stale beats deny list and lost",
        [](Tap& t) {
          t.facts.last_good_sync = kNow - 25h;
          t.facts.denied = true;
          t.facts.binding->status = BindingStatus::lost;
        },
        R::cache_stale, O::staff_check),
    // Row 6
    early(
        "on the deny list", [](Tap& t) { t.facts.denied = true; }, R::card_blocked, O::deny),
    early(
        "binding blocked", [](Tap& t) { t.facts.binding->status = BindingStatus::blocked; },
        R::card_blocked, O::deny),
    early(
        "deny list beats lost",
        [](Tap& t) {
          t.facts.denied = true;
          t.facts.binding->status = BindingStatus::lost;
        },
        R::card_blocked, O::deny),
    early(
        "deny list beats not upgraded",
        [](Tap& t) {
          t.facts.denied = true;
          t.facts.binding.reset();
        },
        R::card_blocked, O::deny),
    // Row 7
    early(
        "binding lost", [](Tap& t) { t.facts.binding->status = BindingStatus::lost; }, R::card_lost,
        O::deny),
    early(
        "lost beats red health and anti-passback",
        [](Tap& t) {
          t.facts.binding->status = BindingStatus::lost;
          t.facts.health->colour = HealthColour::red;
          t.facts.last_entry_here = kNow - 1min;
        },
        R::card_lost, O::deny),
    // Row 8
    early(
        "never upgraded, allow_with_prompt", [](Tap& t) { t.facts.binding.reset(); },
        R::ok_not_upgraded, O::open, true),
    early(
        "never upgraded, allow",
        [](Tap& t) {
          t.facts.binding.reset();
          t.policy.not_upgraded = NotUpgradedPolicy::allow;
        },
        R::ok_not_upgraded, O::open),
    early(
        "never upgraded, staff_check",
        [](Tap& t) {
          t.facts.binding.reset();
          t.policy.not_upgraded = NotUpgradedPolicy::staff_check;
        },
        R::not_upgraded, O::staff_check),
    early(
        "never upgraded, deny",
        [](Tap& t) {
          t.facts.binding.reset();
          t.policy.not_upgraded = NotUpgradedPolicy::deny;
        },
        R::not_upgraded, O::deny),
    early(
        "unbound, allow_with_prompt",
        [](Tap& t) { t.facts.binding->status = BindingStatus::unbound; }, R::ok_not_upgraded,
        O::open, true),
    early(
        "unbound, deny",
        [](Tap& t) {
          t.facts.binding->status = BindingStatus::unbound;
          t.policy.not_upgraded = NotUpgradedPolicy::deny;
        },
        R::not_upgraded, O::deny),
    early(
        "not upgraded decides before anti-passback",
        [](Tap& t) {
          t.facts.binding.reset();
          t.facts.last_entry_here = kNow - 1min;
        },
        R::ok_not_upgraded, O::open, true),
    // Row 9
    early(
        "anti-passback hit", [](Tap& t) { t.facts.last_entry_here = kNow - 5min; },
        R::already_inside, O::deny),
    early(
        "anti-passback beats red health",
        [](Tap& t) {
          t.facts.last_entry_here = kNow - 5min;
          t.facts.health->colour = HealthColour::red;
        },
        R::already_inside, O::deny),
    passes("anti-passback off (0 minutes)",
           [](Tap& t) {
             t.facts.last_entry_here = kNow - 1min;
             t.policy.anti_passback_minutes = 0;
           }),
    passes("anti-passback not applied at an exit gate",
           [](Tap& t) {
             t.facts.last_entry_here = kNow - 1min;
             t.gate.direction = Direction::exit;
           }),
    passes("last entry outside the window", [](Tap& t) { t.facts.last_entry_here = kNow - 2h; }),
    // Row 10
    reaches_health("no health status, health_unknown = staff_check",
                   [](Tap& t) { t.facts.health.reset(); }, H::unknown,
                   {R::health_unknown, O::staff_check, H::unknown}),
    reaches_health("no health status, health_unknown = allow",
                   [](Tap& t) {
                     t.facts.health.reset();
                     t.policy.health_unknown = ThreeWayPolicy::allow;
                   },
                   H::unknown, {R::health_unknown, O::open, H::unknown}),
    reaches_health("no health status, health_unknown = deny",
                   [](Tap& t) {
                     t.facts.health.reset();
                     t.policy.health_unknown = ThreeWayPolicy::deny;
                   },
                   H::unknown, {R::health_unknown, O::deny, H::unknown}),
    // Row 11
    reaches_health("red", [](Tap& t) { t.facts.health->colour = HealthColour::red; }, H::red,
                   {R::health_red, O::deny, H::red}),
    reaches_health("red blocks even without block_yellow",
                   [](Tap& t) {
                     t.facts.health->colour = HealthColour::red;
                     t.policy.block_yellow = false;
                   },
                   H::red, {R::health_red, O::deny, H::red}),
    reaches_health("red beats pop-up and an old test",
                   [](Tap& t) {
                     t.facts.health->colour = HealthColour::red;
                     t.facts.health->popup = true;
                     t.facts.health->last_negative_test.reset();
                   },
                   H::red, {R::health_red, O::deny, H::red}),
    // Row 12
    reaches_health("yellow, block_yellow",
                   [](Tap& t) { t.facts.health->colour = HealthColour::yellow; }, H::yellow,
                   {R::health_yellow, O::deny, H::yellow}),
    reaches_health("yellow, block_yellow false",
                   [](Tap& t) {
                     t.facts.health->colour = HealthColour::yellow;
                     t.policy.block_yellow = false;
                   },
                   H::yellow, {R::ok, O::open, H::yellow}),
    reaches_health("yellow and pop-up, block_yellow",
                   [](Tap& t) {
                     t.facts.health->colour = HealthColour::yellow;
                     t.facts.health->popup = true;
                   },
                   H::yellow, {R::health_yellow, O::deny, H::yellow}),
    reaches_health("yellow and pop-up, block_yellow false",
                   [](Tap& t) {
                     t.facts.health->colour = HealthColour::yellow;
                     t.facts.health->popup = true;
                     t.policy.block_yellow = false;
                   },
                   H::yellow, {R::health_popup, O::staff_check, H::yellow}),
    // Row 13
    reaches_health("pop-up, popup = staff_check", [](Tap& t) { t.facts.health->popup = true; },
                   H::green, {R::health_popup, O::staff_check, H::green}),
    reaches_health("pop-up, popup = deny",
                   [](Tap& t) {
                     t.facts.health->popup = true;
                     t.policy.popup = PopupPolicy::deny;
                   },
                   H::green, {R::health_popup, O::deny, H::green}),
    reaches_health("pop-up beats an old test",
                   [](Tap& t) {
                     t.facts.health->popup = true;
                     t.facts.health->last_negative_test = kNow - 100h;
                   },
                   H::green, {R::health_popup, O::staff_check, H::green}),
    // Row 14
    reaches_health("test older than test_max_age_hours",
                   [](Tap& t) { t.facts.health->last_negative_test = kNow - 49h; }, H::green,
                   {R::health_test_overdue, O::deny, H::green}),
    reaches_health("never tested", [](Tap& t) { t.facts.health->last_negative_test.reset(); },
                   H::green, {R::health_test_overdue, O::deny, H::green}),
    passes("no test required (test_max_age_hours 0)",
           [](Tap& t) {
             t.facts.health->last_negative_test.reset();
             t.policy.test_max_age_hours = 0;
           }),
    // Row 15
    passes("all good", [](Tap&) {}),
    passes("phone card", [](Tap& t) { t.facts.binding->media = Media::phone_card; }),
};

TEST_CASE("the decision table, every row under every health mode", "[decision]") {
  for (HealthMode mode : {HealthMode::off, HealthMode::observe, HealthMode::enforce}) {
    for (const Row& row : kRows) {
      Tap tap = good_tap(mode);
      row.spoil(tap);
      const Expect& want = mode == HealthMode::off       ? row.off
                           : mode == HealthMode::observe ? row.observe
                                                         : row.enforce;
      Decision d = tap.decide();
      INFO("mode " << health_mode_name(mode) << ", row: " << row.name);
      CHECK(reason_name(d.reason) == reason_name(want.reason));
      CHECK(outcome_name(d.outcome) == outcome_name(want.outcome));
      CHECK(health_seen_name(d.health) == health_seen_name(want.health));
      CHECK(d.upgrade_prompt == want.upgrade_prompt);
      CHECK(d.mode == mode);
    }
  }
}

}  // namespace
}  // namespace gate::core
