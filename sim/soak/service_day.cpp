#include "sim/soak/service_day.h"

#include <charconv>
#include <cmath>
#include <deque>
#include <iterator>

#include "firmware/core/decision_record.h"
#include "sim/populate/keyed_permutation.h"
#include "sim/populate/record_lines.h"
#include "sim/soak/rider_pools.h"

namespace gate::sim {
namespace {

using namespace soak;  // the riders' mix and pools (rider_pools.h)

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kHourMs = 60 * kMinuteMs;
constexpr std::int64_t kDayMs = 18 * kHourMs;  // 05:00 to 23:00
constexpr std::int64_t kTapMs = 200;           // SimGate::kTapDwell: a plain tap takes this long
constexpr std::int64_t kWalkMs = 800;          // from the gate opening to the rider through it
// The policy the population carries (default_population_policy): 48-hour test rule, 20-minute
// anti-passback, a staff check answered within 20 s. Riders meant to pass keep well clear of the
// test rule's edge; riders meant to be refused for it well past it.
constexpr std::int64_t kTestRuleMs = 48 * kHourMs;
constexpr std::int64_t kTestMarginMs = 10 * kMinuteMs;
constexpr std::int64_t kPassbackMs = 20 * kMinuteMs;
constexpr std::int64_t kStaffTimeoutMs = 20'000;

// Arrivals a minute, by local hour from 05:00, as a fraction of the rush-hour rate.
constexpr double kRateByHour[18] = {
    0.13, 0.45,              // 05, 06
    1.0,  1.0,               // 07-09: morning rush
    0.55, 0.22, 0.22, 0.22,  // 09, 10-13
    0.22, 0.22, 0.22, 0.55,  // 13-16, 16
    1.0,  1.0,               // 17-19: evening rush
    0.45, 0.13, 0.13, 0.13,  // 19, 20-23
};

std::string date_text(std::chrono::year_month_day ymd) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

// One day's writer: the scenario's time cursor, the riders' memory and the lines.
class DayWriter {
 public:
  DayWriter(std::ostream& out, const ServiceDayOptions& options, SoakCodeIssuer& codes)
      : out_(out),
        options_(options),
        codes_(codes),
        rng_(hash3(options.seed, 0x50a4, static_cast<std::uint64_t>(options.day))),
        start_(service_day_start(options)),
        pools_(build_pools(population_for_day(options))) {}

  Result<ServiceDayStats> write() {
    std::chrono::year_month_day date(
        std::chrono::floor<std::chrono::days>(start_ + minutes(options_.utc_offset_minutes)));
    out_ << "# Soak service day " << options_.day + 1 << " (" << date_text(date) << ", seed "
         << options_.seed << "): riders from 05:00 to 23:00, " << options_.peak_per_minute
         << " a minute in the rush hours\n";
    out_ << "clock " << iso_local(start_) << "\n";
    // One emergency a day, off-peak (a fire alarm test or a real one), lasting a minute; in a day
    // cut short by max_transactions, somewhere in its middle.
    const std::int64_t emergency_at =
        5 * kHourMs +
        static_cast<std::int64_t>(rng_.below(static_cast<std::uint64_t>(5 * kHourMs)));
    const std::size_t emergency_after = options_.max_transactions * (30 + rng_.below(40)) / 100;
    bool emergency_done = false;
    std::int64_t arrival = 0;
    while (true) {
      arrival += next_gap(arrival);
      if (arrival >= kDayMs) break;
      if (options_.max_transactions && stats_.transactions >= options_.max_transactions) break;
      const std::int64_t t = std::max(arrival, cursor_);
      if (!emergency_done && (options_.max_transactions ? stats_.transactions >= emergency_after
                                                        : t >= emergency_at)) {
        emergency_done = true;
        GATE_TRY(emergency(t));
        arrival = cursor_;
        continue;
      }
      GATE_TRY(rider(t));
      // Now and then a refused rider, or somebody without a ticket, walks through anyway.
      if (rng_.chance_ppm(2'000)) {
        line("pass");
        count("tailgating", 0);
      }
    }
    if (!out_) return make_error(Errc::io_error, "scenario: write failed");
    return stats_;
  }

 private:
  std::string iso_local(Instant t) const {
    std::string s;
    append_iso_time(s, t, options_.utc_offset_minutes);
    return s;
  }

  std::int64_t next_gap(std::int64_t t) {
    const double per_minute =
        options_.peak_per_minute * kRateByHour[std::min<std::int64_t>(t / kHourMs, 17)];
    const double u = (static_cast<double>(rng_.below(1'000'000)) + 1.0) / 1'000'001.0;
    return std::max<std::int64_t>(
        1, static_cast<std::int64_t>(-std::log(u) / per_minute * static_cast<double>(kMinuteMs)));
  }

  void line(const std::string& text) { out_ << text << '\n'; }

  // Every `wait` goes through here, so the cursor stays the gate's own clock.
  void wait_for(std::int64_t ms) {
    line("wait " + std::to_string(ms) + "ms");
    cursor_ += ms;
  }
  void wait_until(std::int64_t t) {
    if (t > cursor_) wait_for(t - cursor_);
  }

  void count(const char* intent, std::size_t transactions) {
    ++stats_.intents[intent];
    stats_.transactions += transactions;
  }

  Instant at(std::int64_t t) const { return start_ + milliseconds(t); }

  // A card tap at t (the decision is made when the card arrives; the card stays 200 ms).
  void tap(std::int64_t t, const Rider& rider, const std::string& options = {}) {
    wait_until(t);
    line("tap " + rider.key + (rider.media == core::Media::phone_card ? " phone" : "") + options);
    cursor_ += kTapMs;
    remember(rider.key);
  }

  void scan(std::int64_t t, const std::string& text) {
    wait_until(t);
    line("scan " + text);
    remember(text);  // the gate's 1.5 s hold-off compares the scanned text
  }

  // The last credential presented: the gate ignores the same one again within 1.5 s (one tap read
  // twice), so a rider never follows themself that fast.
  void remember(const std::string& credential) { last_key_ = credential; }

  void walk_through() {
    wait_for(kWalkMs);
    line("pass");
  }

  bool fresh_test(const Rider& r, std::int64_t t) const {
    return r.test && at(t) - *r.test <= milliseconds(kTestRuleMs - kTestMarginMs);
  }
  bool stale_test(const Rider& r, std::int64_t t) const {
    return !r.test || at(t) - *r.test > milliseconds(kTestRuleMs + kTestMarginMs);
  }

  const Rider* pick(const std::vector<Rider>& pool) {
    if (pool.empty()) return nullptr;
    return &pool[rng_.below(pool.size())];
  }

  // A rider from `pool` who may pass at t: test fresh, not inside already, not just presented.
  const Rider* pick_passing(const std::vector<Rider>& pool, std::int64_t t) {
    for (int tries = 0; tries < 50; ++tries) {
      const Rider* r = pick(pool);
      if (r == nullptr) return nullptr;
      if (!fresh_test(*r, t) || r->key == last_key_) continue;
      auto inside = opened_.find(r->key);
      if (inside != opened_.end() && t - inside->second < kPassbackMs + kMinuteMs) continue;
      return r;
    }
    return nullptr;
  }

  // `bound`: the credential has a current binding, so the anti-passback row applies to it (row 8,
  // not upgraded, comes before it: such a card opens again and again).
  void opened(const std::string& key, std::int64_t t, bool bound = true) {
    opened_[key] = t;
    if (!bound) return;
    recent_opens_.push_back({key, t});
    while (!recent_opens_.empty() && t - recent_opens_.front().second > kPassbackMs) {
      recent_opens_.pop_front();
    }
  }

  Intent draw_intent() {
    std::uint64_t r = rng_.below(10'000);
    for (const Weighted& w : kMix) {
      if (r < w.per_10k) return w.intent;
      r -= w.per_10k;
    }
    return Intent::ok_card;
  }

  static std::uint64_t account_of(const std::string& key) {
    std::uint64_t id = 0;
    std::from_chars(key.data() + 3, key.data() + key.size(), id);
    return id;
  }

  Result<std::string> code_text(const Rider& r, std::int64_t t, std::int64_t age_s) {
    auto now_s = std::chrono::duration_cast<seconds>(at(t).time_since_epoch()).count();
    GATE_TRY_ASSIGN(Trc1Body body,
                    codes_.mint(account_of(r.key), static_cast<std::uint32_t>(now_s - age_s)));
    last_body_ = body;
    return trc1_text(body);
  }

  Status ok_card(std::int64_t t) {
    const Rider* r = pick_passing(pools_.clean_cards, t);
    if (r == nullptr) return make_error(Errc::not_found, "soak: no rider may pass");
    tap(t, *r);
    opened(r->key, t);
    walk_through();
    count(r->media == core::Media::phone_card ? "ok_phone_card"
          : r->media == core::Media::m1       ? "ok_m1"
          : r->key.starts_with("bj:")         ? "ok_beijing"
                                              : "ok_tunion",
          1);
    return ok_status();
  }

  Status ok_code(std::int64_t t) {
    const Rider* r = pick_passing(pools_.clean_codes, t);
    if (r == nullptr) return ok_card(t);
    GATE_TRY_ASSIGN(std::string text, code_text(*r, t, static_cast<std::int64_t>(rng_.below(6))));
    scan(t, text);
    recent_codes_.push_back({text, t});
    opened(r->key, t);
    walk_through();
    count("ok_code", 1);
    return ok_status();
  }

  // A refused card rider from `pool` (an ok rider when the pool is empty: a small population).
  Status refused(std::int64_t t, const std::vector<Rider>& pool, const char* intent,
                 const std::string& options = {}) {
    const Rider* r = nullptr;
    for (int tries = 0; tries < 50 && r == nullptr; ++tries) {
      r = pick(pool);
      if (r != nullptr && r->key == last_key_) r = nullptr;
    }
    if (r == nullptr) return ok_card(t);
    tap(t, *r, options);
    count(intent, 1);
    return ok_status();
  }

  Status staff_check(std::int64_t t, const std::vector<Rider>& pool, const char* intent) {
    // Health is only looked at for a rider not inside already and with a current binding.
    const Rider* r = nullptr;
    for (int tries = 0; tries < 50 && r == nullptr; ++tries) {
      r = pick(pool);
      if (r == nullptr) break;
      auto inside = opened_.find(r->key);
      if (r->key == last_key_ ||
          (inside != opened_.end() && t - inside->second < kPassbackMs + kMinuteMs)) {
        r = nullptr;
      }
    }
    if (r == nullptr) return ok_card(t);
    tap(t, *r);
    if (rng_.chance_ppm(650'000)) {
      wait_for(2000 + static_cast<std::int64_t>(rng_.below(6000)));
      line("staff confirm");
      opened(r->key, t);
      walk_through();
      count(intent, 1);
      ++stats_.intents["staff_confirmed"];
    } else {
      wait_for(kStaffTimeoutMs + 1000);
      count(intent, 1);
      ++stats_.intents["staff_timed_out"];
    }
    return ok_status();
  }

  Status rider(std::int64_t t) {
    const Intent intent = draw_intent();
    switch (intent) {
      case Intent::ok_card:
        return ok_card(t);
      case Intent::ok_code:
        return ok_code(t);
      case Intent::test_overdue:
        for (int tries = 0; tries < 200; ++tries) {
          const Rider* r = pick(pools_.clean_cards);
          if (r == nullptr || r->key == last_key_ || !stale_test(*r, t) || opened_.count(r->key)) {
            continue;
          }
          tap(t, *r);
          count("health_test_overdue", 1);
          return ok_status();
        }
        return ok_card(t);
      case Intent::not_upgraded: {
        // Half a card replaced by another (unbound), half a card never upgraded (unknown key).
        Rider r;
        if (rng_.chance_ppm(500'000) && !pools_.unbound.empty()) {
          r = *pick(pools_.unbound);
        } else {
          r.key = absent_credential_key(rng_.below(100'000'000'000ULL));
        }
        auto inside = opened_.find(r.key);
        if (r.key == last_key_ ||
            (inside != opened_.end() && t - inside->second < kPassbackMs + kMinuteMs)) {
          return ok_card(t);
        }
        tap(t, r);
        opened(r.key, t, false);
        walk_through();
        count("ok_not_upgraded", 1);
        return ok_status();
      }
      case Intent::lost:
        return refused(t, pools_.lost, "card_lost");
      case Intent::blocked:
        return refused(t, pools_.blocked, "card_blocked");
      case Intent::expired: {
        // A T-Union card whose application ran out between 1 and 400 days ago.
        std::vector<Rider> one;
        for (int tries = 0; tries < 50 && one.empty(); ++tries) {
          const Rider* r = pick(pools_.clean_cards);
          if (r && r->key.starts_with("tu:") && r->media == core::Media::card) one.push_back(*r);
        }
        auto local =
            std::chrono::floor<std::chrono::days>(at(t) + minutes(options_.utc_offset_minutes));
        std::chrono::year_month_day until(local - std::chrono::days(1 + rng_.below(400)));
        return refused(t, one, "card_expired", " expires " + date_text(until));
      }
      case Intent::yellow:
        return refused(t, pools_.yellow, "health_yellow");
      case Intent::red:
        return refused(t, pools_.red, "health_red");
      case Intent::unknown:
        return staff_check(t, pools_.unknown, "health_unknown");
      case Intent::popup:
        return staff_check(t, pools_.popup, "health_popup");
      case Intent::already_inside: {
        // Somebody who went in a few minutes ago tries again (a card handed back over the gate).
        for (const auto& [key, when] : recent_opens_) {
          if (t - when >= kMinuteMs && t - when < kPassbackMs - kMinuteMs && key != last_key_ &&
              opened_[key] == when && !key.starts_with("qr:")) {
            Rider r{key, core::Media::card, std::nullopt};
            tap(t, r);
            count("already_inside", 1);
            return ok_status();
          }
        }
        return ok_card(t);
      }
      case Intent::tap_bad:
        wait_until(t);
        line("tap-bad");
        cursor_ += kTapMs;
        count("read_error", 1);
        return ok_status();
      case Intent::tap_many: {
        const Rider* a = pick(pools_.clean_cards);
        const Rider* b = pick(pools_.clean_cards);
        if (a == nullptr || b == nullptr || a == b) return ok_card(t);
        wait_until(t);
        line("tap-many " + a->key + " " + b->key);
        cursor_ += kTapMs;
        count("multiple_cards", 1);
        return ok_status();
      }
      case Intent::code_forged:
      case Intent::code_expired: {
        const Rider* r = pick(pools_.clean_codes);
        if (r == nullptr || r->key == last_key_) return ok_card(t);
        return odd_code(t, *r, intent == Intent::code_forged);
      }
      case Intent::code_replayed: {
        // A screenshot of a code somebody used a few seconds ago.
        while (!recent_codes_.empty() && t - recent_codes_.front().second > 30'000) {
          recent_codes_.pop_front();
        }
        for (const auto& [text, when] : recent_codes_) {
          if (t - when >= 3'000 && text != last_key_) {
            scan(t, text);
            count("code_replayed", 1);
            return ok_status();
          }
        }
        return ok_card(t);
      }
      case Intent::code_malformed: {
        static constexpr const char* kGarbage[] = {"TRC1:NOT-A-RIDE-CODE",
                                                   "https://example.com/pay?order=20220523",
                                                   "trc1:0000", "TRC1:%%%%%%%%%%%%%%%%%%%%%%%%"};
        const std::string text = kGarbage[rng_.below(std::size(kGarbage))];
        if (text == last_key_) return ok_card(t);
        scan(t, text);
        count("code_malformed", 1);
        return ok_status();
      }
      case Intent::staff_open:
        wait_until(t);
        line("staff open");
        walk_through();
        count("staff_open", 1);
        return ok_status();
    }
    return ok_status();
  }

  // A forged code (a byte of the device's signature changed) or one generated minutes ago.
  Status odd_code(std::int64_t t, const Rider& r, bool forged) {
    if (forged) {
      GATE_TRY(code_text(r, t, 0).status());
      Trc1Body body = last_body_;
      body[core::kTrc1BodySize - 1 - rng_.below(32)] ^=
          static_cast<std::uint8_t>(1 + rng_.below(255));
      scan(t, trc1_text(body));
      count("code_bad_signature", 1);
    } else {
      GATE_TRY_ASSIGN(std::string text,
                      code_text(r, t, 150 + static_cast<std::int64_t>(rng_.below(600))));
      scan(t, text);
      count("code_expired", 1);
    }
    return ok_status();
  }

  // The fire alarm: the gate opens for free passage for a minute; riders keep tapping (recorded as
  // emergency_open) and walk through.
  Status emergency(std::int64_t t) {
    wait_until(t);
    line("emergency on");
    count("emergency", 0);
    const std::int64_t end = t + kMinuteMs;
    std::int64_t arrival = t;
    while (true) {
      arrival += next_gap(arrival);
      if (arrival >= end) break;
      const std::int64_t when = std::max(arrival, cursor_);
      const Rider* r = pick(pools_.clean_cards);
      if (r == nullptr || r->key == last_key_) continue;
      tap(when, *r);
      line("pass");
      count("emergency_open", 1);
    }
    wait_until(end);
    line("emergency off");
    return ok_status();
  }

  std::ostream& out_;
  const ServiceDayOptions& options_;
  SoakCodeIssuer& codes_;
  SplitMix64 rng_;
  Instant start_;
  Pools pools_;
  ServiceDayStats stats_;
  std::int64_t cursor_ = 0;                     // the scenario's time so far, ms since 05:00
  std::string last_key_;                        // the last credential or code text presented
  std::map<std::string, std::int64_t> opened_;  // when each credential last went in
  std::deque<std::pair<std::string, std::int64_t>> recent_opens_;
  std::deque<std::pair<std::string, std::int64_t>> recent_codes_;
  Trc1Body last_body_{};
};

}  // namespace

PopulateOptions population_for_day(const ServiceDayOptions& o) {
  PopulateOptions p = o.population;
  p.utc_offset_minutes = o.utc_offset_minutes;
  p.as_of = service_day_start(o) - hours(1);
  return p;
}

Instant service_day_start(const ServiceDayOptions& o) {
  return Instant(o.first_day + std::chrono::days(o.day)) + hours(5) - minutes(o.utc_offset_minutes);
}

Instant service_day_end(const ServiceDayOptions& o) {
  return service_day_start(o) + milliseconds(kDayMs);
}

Result<ServiceDayStats> write_service_day(std::ostream& out, const ServiceDayOptions& options,
                                          SoakCodeIssuer& codes) {
  GATE_TRY(validate(population_for_day(options)));
  DayWriter writer(out, options, codes);
  return writer.write();
}

}  // namespace gate::sim
