// Decision engine edges: every read failure, the no-policy default, boundary instants, media,
// display texts. The table itself is in decision_test.cpp.
#include <catch2/catch.hpp>

#include "firmware/core/decision.h"
#include "tests/firmware/core/decision_fixture.h"

namespace gate::core {
namespace {

using namespace gate::core::testing;

TEST_CASE("row 3: every read or code failure is denied with its own reason", "[decision]") {
  Reason failure =
      GENERATE(Reason::read_error, Reason::multiple_cards, Reason::unsupported_card,
               Reason::code_malformed, Reason::code_unknown_key, Reason::code_key_revoked,
               Reason::code_bad_signature, Reason::code_cert_expired, Reason::code_expired,
               Reason::code_not_yet_valid, Reason::code_replayed);
  HealthMode mode = GENERATE(HealthMode::off, HealthMode::observe, HealthMode::enforce);
  INFO(reason_name(failure) << " under " << health_mode_name(mode));
  Tap tap = good_tap(mode);
  tap.presented.read_failure = failure;
  tap.presented.credential.clear();
  tap.presented.valid_until.reset();
  tap.facts = CacheFacts{};  // nothing looked up for a failed read
  Decision d = tap.decide();
  CHECK(d.reason == failure);
  CHECK(d.outcome == Outcome::deny);
  CHECK(d.health == HealthSeen::not_checked);
  CHECK(d.media == Media::none);
  CHECK(d.mode == mode);
}

TEST_CASE("no policy at all: health off, not upgraded allowed", "[decision]") {
  Tap tap = good_tap();
  tap.policy = Policy{};
  tap.facts.health->colour = HealthColour::red;
  tap.facts.last_good_sync.reset();
  Decision d = tap.decide();
  CHECK(d.reason == Reason::ok);
  CHECK(d.outcome == Outcome::open);
  CHECK(d.health == HealthSeen::not_checked);
  CHECK(d.mode == HealthMode::off);

  tap.facts.binding.reset();
  d = tap.decide();
  CHECK(d.reason == Reason::ok_not_upgraded);
  CHECK(d.outcome == Outcome::open);
  CHECK_FALSE(d.upgrade_prompt);  // `allow` shows 请通行
}

Reason reason_at(Tap tap, Instant now) {
  tap.now = now;
  return tap.decide().reason;
}

TEST_CASE("card expiry is at the gate's local midnight (+08:00)", "[decision][boundary]") {
  Tap tap = good_tap();
  tap.presented.valid_until = 2022y / May / 22;
  // Tests at 22 May local: the sync, test and last entry must not interfere.
  tap.facts.last_good_sync = utc(2022y / May / 22, 15h);
  tap.facts.health->last_negative_test = utc(2022y / May / 22, 0h);
  // 2022-05-22T16:00:00Z is 00:00 on 23 May in Beijing: expired.
  CHECK(reason_at(tap, utc(2022y / May / 22, 16h)) == Reason::card_expired);
  CHECK(reason_at(tap, utc(2022y / May / 22, 16h + 1s)) == Reason::card_expired);
  // 15:59:59Z is 23:59:59 on 22 May: the last valid day still.
  CHECK(reason_at(tap, utc(2022y / May / 22, 15h + 59min + 59s)) == Reason::ok);
  CHECK(reason_at(tap, utc(2022y / May / 22, 16h) - 1us) == Reason::ok);
  // 00:00Z on 22 May is 08:00 local on 22 May.
  CHECK(reason_at(tap, utc(2022y / May / 22, 0h)) == Reason::ok);
}

TEST_CASE("card expiry follows the gate's UTC offset", "[decision][boundary]") {
  Tap tap = good_tap();
  tap.presented.valid_until = 2022y / May / 22;
  tap.facts.last_good_sync = utc(2022y / May / 22, 20h);
  tap.facts.health->last_negative_test = utc(2022y / May / 22, 0h);
  SECTION("UTC") {
    tap.gate.utc_offset_minutes = 0;
    CHECK(reason_at(tap, utc(2022y / May / 22, 23h + 59min + 59s)) == Reason::ok);
    CHECK(reason_at(tap, utc(2022y / May / 23, 0h)) == Reason::card_expired);
  }
  SECTION("UTC-05:00") {
    tap.gate.utc_offset_minutes = -300;
    CHECK(reason_at(tap, utc(2022y / May / 23, 4h + 59min + 59s)) == Reason::ok);
    CHECK(reason_at(tap, utc(2022y / May / 23, 5h)) == Reason::card_expired);
  }
  SECTION("UTC+05:30") {
    tap.gate.utc_offset_minutes = 330;
    CHECK(reason_at(tap, utc(2022y / May / 22, 18h + 29min + 59s)) == Reason::ok);
    CHECK(reason_at(tap, utc(2022y / May / 22, 18h + 30min)) == Reason::card_expired);
  }
}

TEST_CASE("cache staleness: exactly max age old is not stale", "[decision][boundary]") {
  Tap tap = good_tap();  // max_cache_age_minutes 1440
  Instant sync = kNow - 30h;
  tap.facts.last_good_sync = sync;
  CHECK(reason_at(tap, sync + 1440min - 1s) == Reason::ok);
  CHECK(reason_at(tap, sync + 1440min) == Reason::ok);
  CHECK(reason_at(tap, sync + 1440min + 1s) == Reason::cache_stale);
  CHECK(reason_at(tap, sync + 1440min + 1us) == Reason::cache_stale);
}

TEST_CASE("anti-passback: a re-entry exactly one window later is let in", "[decision][boundary]") {
  Tap tap = good_tap();  // anti_passback_minutes 20
  tap.facts.last_entry_here = kNow;
  CHECK(reason_at(tap, kNow) == Reason::already_inside);
  CHECK(reason_at(tap, kNow + 20min - 1s) == Reason::already_inside);
  CHECK(reason_at(tap, kNow + 20min - 1us) == Reason::already_inside);
  CHECK(reason_at(tap, kNow + 20min) == Reason::ok);
  CHECK(reason_at(tap, kNow + 20min + 1s) == Reason::ok);
}

TEST_CASE("test age: exactly test_max_age_hours old is not overdue", "[decision][boundary]") {
  Tap tap = good_tap();  // test_max_age_hours 48
  Instant tested = kNow - 40h;
  tap.facts.health->last_negative_test = tested;
  CHECK(reason_at(tap, tested + 48h - 1s) == Reason::ok);
  CHECK(reason_at(tap, tested + 48h) == Reason::ok);
  CHECK(reason_at(tap, tested + 48h + 1s) == Reason::health_test_overdue);
  CHECK(reason_at(tap, tested + 48h + 1us) == Reason::health_test_overdue);
  // Under observe the same overdue test is shown, not enforced.
  tap.policy.health_mode = HealthMode::observe;
  CHECK(reason_at(tap, tested + 48h + 1s) == Reason::ok_observe);
}

TEST_CASE("media comes from the binding, else from the key", "[decision][media]") {
  Tap tap = good_tap();
  CHECK(tap.decide().media == Media::card);
  tap.facts.binding->media = Media::phone_card;
  CHECK(tap.decide().media == Media::phone_card);
  tap.facts.binding->media = Media::qr;
  tap.presented.credential = "qr:1234567890";
  CHECK(tap.decide().media == Media::qr);

  tap.facts.binding.reset();  // not upgraded: from the key
  const std::pair<const char*, Media> keys[] = {{"tu:3105170010170907984", Media::card},
                                                {"bj:0123456789abcdef", Media::card},
                                                {"m1:04a1b2c3", Media::m1},
                                                {"qr:1234567890", Media::qr},
                                                {"", Media::none}};
  for (const auto& [key, media] : keys) {
    INFO(key);
    tap.presented.credential = key;
    CHECK(tap.decide().media == media);
  }
  // Decisions made before the lookup keep the media too.
  tap.presented.credential = "m1:04a1b2c3";
  tap.policy.accept_m1 = false;
  CHECK(tap.decide().reason == Reason::unsupported_card);
  CHECK(tap.decide().media == Media::m1);
  tap.presented.credential.clear();
  tap.presented.emergency = true;
  CHECK(tap.decide().media == Media::none);
}

Decision decision_of(Reason reason, HealthSeen health = HealthSeen::not_checked,
                     bool prompt = false) {
  Decision d;
  d.reason = reason;
  d.health = health;
  d.upgrade_prompt = prompt;
  return d;
}

TEST_CASE("display text of ok_observe names the colour", "[decision][display]") {
  const struct {
    HealthSeen health;
    const char* zh;
    const char* en;
  } cases[] = {
      {HealthSeen::green, "请通行（健康码：绿码）", "Please pass (health code: green)"},
      {HealthSeen::yellow, "请通行（健康码：黄码）", "Please pass (health code: yellow)"},
      {HealthSeen::red, "请通行（健康码：红码）", "Please pass (health code: red)"},
      {HealthSeen::unknown, "请通行（健康码：未知）", "Please pass (health code: unknown)"},
  };
  for (const auto& c : cases) {
    FinishedText text = display_text(decision_of(Reason::ok_observe, c.health));
    CHECK(text.zh == c.zh);
    CHECK(text.en == c.en);
  }
}

TEST_CASE("display text of ok_not_upgraded depends on the prompt", "[decision][display]") {
  FinishedText prompt =
      display_text(decision_of(Reason::ok_not_upgraded, HealthSeen::not_checked, true));
  CHECK(prompt.zh == "请尽快升级一卡通");
  CHECK(prompt.en == "Please upgrade your card");
  FinishedText plain = display_text(decision_of(Reason::ok_not_upgraded));
  CHECK(plain.zh == "请通行");
  CHECK(plain.en == "Please pass");
}

TEST_CASE("display text of other reasons is the reason's text", "[decision][display]") {
  FinishedText red = display_text(decision_of(Reason::health_red, HealthSeen::red));
  CHECK(red.zh == "健康码红码");
  CHECK(red.en == "Health code red");
  FinishedText ok = display_text(decision_of(Reason::ok, HealthSeen::green));
  CHECK(ok.zh == "请通行");
  CHECK(ok.en == "Please pass");
  FinishedText lost = display_text(decision_of(Reason::card_lost));
  CHECK(lost.zh == "此卡已挂失");
  CHECK(lost.en == "Card reported lost");
  FinishedText staff = display_text(decision_of(Reason::staff_open));
  CHECK(staff.zh == "工作人员开闸");
  CHECK(staff.en == "Opened by staff");
  for (int i = 0; i < kReasonCount; ++i) {
    FinishedText t = display_text(decision_of(static_cast<Reason>(i), HealthSeen::green));
    INFO(reason_name(static_cast<Reason>(i)));
    CHECK_FALSE(t.zh.empty());
    CHECK_FALSE(t.en.empty());
    CHECK(t.zh.find("%s") == std::string::npos);
    CHECK(t.en.find("%s") == std::string::npos);
  }
}

TEST_CASE("health names as the record has them", "[decision]") {
  CHECK(health_seen_name(HealthSeen::green) == "green");
  CHECK(health_seen_name(HealthSeen::yellow) == "yellow");
  CHECK(health_seen_name(HealthSeen::red) == "red");
  CHECK(health_seen_name(HealthSeen::unknown) == "unknown");
  CHECK(health_seen_name(HealthSeen::not_checked) == "n/a");
}

}  // namespace
}  // namespace gate::core
