#include "firmware/core/decision.h"

#include <utility>

#include "firmware/core/name_table.h"

namespace gate::core {
namespace {

constexpr std::pair<HealthSeen, std::string_view> kHealthSeenNames[] = {
    {HealthSeen::green, "green"},     {HealthSeen::yellow, "yellow"},   {HealthSeen::red, "red"},
    {HealthSeen::unknown, "unknown"}, {HealthSeen::not_checked, "n/a"},
};

// The colour words that fill the `%s` of ok_observe's display text.
constexpr std::pair<HealthSeen, DisplayText> kColourTexts[] = {
    {HealthSeen::green, {"绿码", "green"}},
    {HealthSeen::yellow, {"黄码", "yellow"}},
    {HealthSeen::red, {"红码", "red"}},
    {HealthSeen::unknown, {"未知", "unknown"}},
    {HealthSeen::not_checked, {"未知", "unknown"}},
};

DisplayText colour_text(HealthSeen health) {
  for (const auto& [seen, text] : kColourTexts) {
    if (seen == health) return text;
  }
  return {"未知", "unknown"};
}

// Replaces the `%s` of a display text with `value`.
void fill_placeholder(std::string& text, std::string_view value) {
  std::size_t at = text.find("%s");
  if (at != std::string::npos) text.replace(at, 2, value);
}

Outcome outcome_of(ThreeWayPolicy p) {
  switch (p) {
    case ThreeWayPolicy::allow:
      return Outcome::open;
    case ThreeWayPolicy::staff_check:
      return Outcome::staff_check;
    case ThreeWayPolicy::deny:
      return Outcome::deny;
  }
  return Outcome::deny;
}

Outcome outcome_of(PopupPolicy p) {
  return p == PopupPolicy::staff_check ? Outcome::staff_check : Outcome::deny;
}

HealthSeen seen_of(HealthColour colour) {
  switch (colour) {
    case HealthColour::green:
      return HealthSeen::green;
    case HealthColour::yellow:
      return HealthSeen::yellow;
    case HealthColour::red:
      return HealthSeen::red;
  }
  return HealthSeen::unknown;
}

bool is_m1_key(std::string_view key) {
  return key.starts_with("m1:");
}

// Media without a binding: from the key's prefix (tu:, bj: and anything else read from a card →
// card), none without a credential.
Media media_of_key(std::string_view key) {
  if (key.empty()) return Media::none;
  if (is_m1_key(key)) return Media::m1;
  if (key.starts_with("qr:")) return Media::qr;
  return Media::card;
}

// The gate's local calendar date at `now` (card validity dates are local dates, cards.md).
std::chrono::year_month_day local_date(Instant now, int utc_offset_minutes) {
  auto local = now + std::chrono::minutes(utc_offset_minutes);
  return std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(local));
}

// Rows 10-15 under enforce.
void decide_health_enforce(const CacheFacts& facts, const Policy& policy, Instant now,
                           Decision& d) {
  if (!facts.health) {  // row 10
    d.health = HealthSeen::unknown;
    d.reason = Reason::health_unknown;
    d.outcome = outcome_of(policy.health_unknown);
    return;
  }
  const HealthStatus& h = *facts.health;
  d.health = seen_of(h.colour);
  d.outcome = Outcome::deny;
  if (h.colour == HealthColour::red) {  // row 11
    d.reason = Reason::health_red;
  } else if (h.colour == HealthColour::yellow && policy.block_yellow) {  // row 12
    d.reason = Reason::health_yellow;
  } else if (h.popup) {  // row 13
    d.reason = Reason::health_popup;
    d.outcome = outcome_of(policy.popup);
  } else if (policy.test_max_age_hours > 0 &&
             (!h.last_negative_test ||
              now - *h.last_negative_test > std::chrono::hours(policy.test_max_age_hours))) {
    d.reason = Reason::health_test_overdue;  // row 14; no test at all counts as overdue
  } else {                                   // row 15
    d.reason = Reason::ok;
    d.outcome = Outcome::open;
  }
}

}  // namespace

std::string_view health_seen_name(HealthSeen health) {
  return name_of(kHealthSeenNames, health);
}

Decision decide(const Presentation& presented, const CacheFacts& facts, const Policy& policy,
                const GateContext& gate, Instant now) {
  Decision d;
  d.mode = policy.health_mode;
  // Media follows the credential even for decisions before the lookup (an emergency tap with a
  // card says card); decisions.md's "none (emergency, staff)" is the case without a credential.
  d.media = facts.binding ? facts.binding->media : media_of_key(presented.credential);
  auto finish = [&d](Reason reason, Outcome outcome) {
    d.reason = reason;
    d.outcome = outcome;
    return d;
  };

  if (presented.emergency) return finish(Reason::emergency_open, Outcome::open);       // row 1
  if (presented.out_of_service) return finish(Reason::out_of_service, Outcome::deny);  // row 2
  // Row 3. A MIFARE Classic key where the policy refuses them is an "unknown card type" for this
  // gate: unsupported_card (our reading of accept_m1; the table does not name a reason for it).
  if (presented.read_failure) return finish(*presented.read_failure, Outcome::deny);
  if (!policy.accept_m1 && is_m1_key(presented.credential)) {
    return finish(Reason::unsupported_card, Outcome::deny);
  }
  // Row 4: the last valid day is a local date, so the card expires at the gate's local midnight.
  if (presented.valid_until && *presented.valid_until < local_date(now, gate.utc_offset_minutes)) {
    return finish(Reason::card_expired, Outcome::deny);
  }
  // Row 5: never synced counts as stale. Exactly max age old is not yet "older than".
  if (policy.max_cache_age_minutes > 0 && policy.stale != ThreeWayPolicy::allow &&
      (!facts.last_good_sync ||
       now - *facts.last_good_sync > std::chrono::minutes(policy.max_cache_age_minutes))) {
    return finish(Reason::cache_stale, outcome_of(policy.stale));
  }
  const std::optional<Binding>& binding = facts.binding;
  if (facts.denied || (binding && binding->status == BindingStatus::blocked)) {  // row 6
    return finish(Reason::card_blocked, Outcome::deny);
  }
  if (binding && binding->status == BindingStatus::lost) {  // row 7
    return finish(Reason::card_lost, Outcome::deny);
  }
  if (!binding || binding->status == BindingStatus::unbound) {  // row 8
    switch (policy.not_upgraded) {
      case NotUpgradedPolicy::allow:
        return finish(Reason::ok_not_upgraded, Outcome::open);
      case NotUpgradedPolicy::allow_with_prompt:
        d.upgrade_prompt = true;
        return finish(Reason::ok_not_upgraded, Outcome::open);
      case NotUpgradedPolicy::staff_check:
        return finish(Reason::not_upgraded, Outcome::staff_check);
      case NotUpgradedPolicy::deny:
        return finish(Reason::not_upgraded, Outcome::deny);
    }
  }
  // Row 9, applied at entry gates only (the spec speaks of "entering again"); a second entry
  // exactly one window after the first is let through.
  if (gate.direction == Direction::entry && policy.anti_passback_minutes > 0 &&
      facts.last_entry_here &&
      now - *facts.last_entry_here < std::chrono::minutes(policy.anti_passback_minutes)) {
    return finish(Reason::already_inside, Outcome::deny);
  }
  switch (policy.health_mode) {
    case HealthMode::off:
      return finish(Reason::ok, Outcome::open);  // rows 10-14 skipped
    case HealthMode::observe:
      // The spec names rows 10-14; we give ok_observe for row 15 too, so that every rider is
      // shown their colour ("show and record, never block", SEED S3). The record keeps what was
      // found; an identity without status shows `unknown`.
      d.health = facts.health ? seen_of(facts.health->colour) : HealthSeen::unknown;
      return finish(Reason::ok_observe, Outcome::open);
    case HealthMode::enforce:
      decide_health_enforce(facts, policy, now, d);
      return d;
  }
  return d;
}

FinishedText display_text(const Decision& decision) {
  if (decision.reason == Reason::ok_not_upgraded && !decision.upgrade_prompt) {
    DisplayText ok = reason_text(Reason::ok);
    return {std::string(ok.zh), std::string(ok.en)};
  }
  DisplayText text = reason_text(decision.reason);
  FinishedText out{std::string(text.zh), std::string(text.en)};
  if (decision.reason == Reason::ok_observe) {
    DisplayText colour = colour_text(decision.health);
    fill_placeholder(out.zh, colour.zh);
    fill_placeholder(out.en, colour.en);
  }
  return out;
}

}  // namespace gate::core
