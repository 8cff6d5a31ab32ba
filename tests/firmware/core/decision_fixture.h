// A tap that passes every row of the decision table, for decision tests to spoil one fact at a
// time.
#pragma once

#include <chrono>
#include <string>

#include "firmware/core/decision.h"

namespace gate::core::testing {

using namespace std::chrono;
using namespace std::chrono_literals;

// An instant given in UTC.
inline Instant utc(year_month_day date, seconds time_of_day = 0s) {
  return sys_days(date) + time_of_day;
}

// 2022-05-23T05:00:00Z, 13:00 in Beijing: first day of the functional tests (SEED S3).
inline const Instant kNow = utc(2022y / May / 23, 5h);
inline constexpr const char* kCardKey = "tu:3105170010170907984";

struct Tap {
  Presentation presented;
  CacheFacts facts;
  Policy policy;
  GateContext gate;
  Instant now = kNow;

  Decision decide() const { return gate::core::decide(presented, facts, policy, gate, now); }
};

// A bound, green, recently tested card with a fresh cache at an entry gate of L1-S07, under a
// policy that checks everything (the example policy of records.md) in `mode`.
inline Tap good_tap(HealthMode mode = HealthMode::enforce) {
  Tap t;
  t.presented.credential = kCardKey;
  t.presented.valid_until = 2030y / December / 31;

  Binding b;
  b.credential = kCardKey;
  b.identity = "id-7f3a";
  b.media = Media::card;
  b.status = BindingStatus::active;
  b.since = utc(2022y / May / 17, 1h + 12min);
  t.facts.binding = b;

  HealthStatus h;
  h.identity = "id-7f3a";
  h.colour = HealthColour::green;
  h.popup = false;
  h.last_negative_test = kNow - 11h;
  h.as_of = kNow - 1h;
  t.facts.health = h;
  t.facts.last_good_sync = kNow - 10min;

  t.policy.health_mode = mode;
  t.policy.not_upgraded = NotUpgradedPolicy::allow_with_prompt;
  t.policy.health_unknown = ThreeWayPolicy::staff_check;
  t.policy.block_yellow = true;
  t.policy.popup = PopupPolicy::staff_check;
  t.policy.test_max_age_hours = 48;
  t.policy.max_cache_age_minutes = 1440;
  t.policy.stale = ThreeWayPolicy::staff_check;
  t.policy.anti_passback_minutes = 20;
  t.policy.accept_m1 = true;

  t.gate.line = "L1";
  t.gate.station = "S07";
  t.gate.gate = "G03";
  t.gate.direction = Direction::entry;
  t.gate.utc_offset_minutes = 8 * 60;
  return t;
}

}  // namespace gate::core::testing
