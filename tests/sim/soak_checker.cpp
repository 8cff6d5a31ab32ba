#include "tests/sim/soak_checker.h"

#include <array>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>

#include "firmware/app/config.h"
#include "firmware/core/decision.h"
#include "firmware/core/decision_record.h"
#include "firmware/store/journal.h"
#include "sim/scenario/scenario.h"
#include "tests/sim/soak_codes.h"
#include "tests/sim/soak_records.h"

namespace gate::test::soak {
namespace {

using json = nlohmann::json;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// ---- the decision table, spec/decisions.md ----

struct Expected {
  Time ts{};
  std::string credential;
  std::string outcome, reason, media, health = "n/a", mode;
  std::size_t line = 0;  // in the day's scenario
  int day = 0;
};

const PolicyFacts* policy_in_force(const Records& r, const std::string& line,
                                   const std::string& station, Time now) {
  const PolicyFacts* best = nullptr;
  for (const PolicyFacts& p : r.policies) {
    bool everywhere = p.lines.empty() && p.stations.empty();
    bool here = everywhere || std::count(p.lines.begin(), p.lines.end(), line) ||
                std::count(p.stations.begin(), p.stations.end(), station);
    if (!here || p.from > now) continue;
    if (!best || p.from >= best->from) best = &p;
  }
  return best;
}

std::string outcome_of_three_way(const std::string& p) {
  return p == "allow" ? "open" : p == "staff_check" ? "staff_check" : "deny";
}

std::string media_of_key(const std::string& key) {
  if (key.empty()) return "none";
  if (key.rfind("m1:", 0) == 0) return "m1";
  if (key.rfind("qr:", 0) == 0) return "qr";
  return "card";
}

struct GateModel {
  std::string line = "L1", station = "L1-S07";  // from the manifest's gate
  int utc_offset_minutes = 480;
  PolicyFacts none;                        // no policy at all: health off, not_upgraded allow
  std::map<std::string, Time> last_entry;  // anti-passback, from recomputed opens

  Expected decide(const std::string& credential, std::optional<std::chrono::year_month_day> until,
                  Time now, Time synced_at, const Records& r) {
    const PolicyFacts& p = [&]() -> const PolicyFacts& {
      const PolicyFacts* in_force = policy_in_force(r, line, station, now);
      return in_force ? *in_force : none;
    }();
    Expected e;
    e.ts = now;
    e.credential = credential;
    e.mode = p.health_mode;
    auto binding = r.bindings.find(credential);
    const bool bound = binding != r.bindings.end();
    e.media = bound ? binding->second.media : media_of_key(credential);
    auto finish = [&e](std::string outcome, std::string reason) {
      e.outcome = std::move(outcome);
      e.reason = std::move(reason);
      return e;
    };
    if (!p.accept_m1 && credential.rfind("m1:", 0) == 0) return finish("deny", "unsupported_card");
    if (until) {
      auto local = std::chrono::floor<std::chrono::days>(now + minutes(utc_offset_minutes));
      if (*until < std::chrono::year_month_day(local)) return finish("deny", "card_expired");
    }
    if (p.max_cache_age_minutes > 0 && p.stale != "allow" &&
        now - synced_at > minutes(p.max_cache_age_minutes)) {
      return finish(outcome_of_three_way(p.stale), "cache_stale");
    }
    if (r.denied.count(credential) || (bound && binding->second.status == "blocked")) {
      return finish("deny", "card_blocked");
    }
    if (bound && binding->second.status == "lost") return finish("deny", "card_lost");
    if (!bound || binding->second.status == "unbound") {
      if (p.not_upgraded == "allow" || p.not_upgraded == "allow_with_prompt") {
        return finish("open", "ok_not_upgraded");
      }
      return finish(p.not_upgraded == "staff_check" ? "staff_check" : "deny", "not_upgraded");
    }
    auto last = last_entry.find(credential);
    if (p.anti_passback_minutes > 0 && last != last_entry.end() &&
        now - last->second < minutes(p.anti_passback_minutes)) {
      return finish("deny", "already_inside");
    }
    if (p.health_mode == "off") return finish("open", "ok");
    auto h = r.health.find(binding->second.identity);
    if (p.health_mode == "observe") {
      e.health = h == r.health.end() ? "unknown" : h->second.colour;
      return finish("open", "ok_observe");
    }
    if (h == r.health.end()) {
      e.health = "unknown";
      return finish(outcome_of_three_way(p.health_unknown), "health_unknown");
    }
    e.health = h->second.colour;
    if (h->second.colour == "red") return finish("deny", "health_red");
    if (h->second.colour == "yellow" && p.block_yellow) return finish("deny", "health_yellow");
    if (h->second.popup) {
      return finish(p.popup == "staff_check" ? "staff_check" : "deny", "health_popup");
    }
    if (p.test_max_age_hours > 0 &&
        (!h->second.last_test || now - *h->second.last_test > hours(p.test_max_age_hours))) {
      return finish("deny", "health_test_overdue");
    }
    return finish("open", "ok");
  }
};

// ---- what the gate wrote ----

std::string health_text(core::HealthSeen h) {
  switch (h) {
    case core::HealthSeen::green:
      return "green";
    case core::HealthSeen::yellow:
      return "yellow";
    case core::HealthSeen::red:
      return "red";
    case core::HealthSeen::unknown:
      return "unknown";
    case core::HealthSeen::not_checked:
      return "n/a";
  }
  return "?";
}

struct Actual {
  Time ts{};
  std::string credential, outcome, reason, media, health, mode;
};

std::string describe(const Time& t) {
  return core::format_utc_millis(
      Instant(std::chrono::duration_cast<Duration>(t.time_since_epoch())));
}

// ---- the walk through the scenarios ----

class Walk {
 public:
  Walk(CheckReport& report, std::size_t max_listed) : report_(report), max_listed_(max_listed) {}

  void problem(const std::string& what) {
    ++report_.mismatches;
    if (report_.listed.size() < max_listed_) report_.listed.push_back(what);
  }

  void day(int n, const std::string& scenario_path, const Records& records, Time synced_at) {
    records_ = &records;
    synced_at_ = synced_at;
    day_ = n;
    std::ifstream in(scenario_path);
    if (!in) return problem("cannot read " + scenario_path);
    std::string text;
    for (std::size_t line = 1; std::getline(in, text); ++line) {
      auto ev = sim::parse_scenario_line(text, line);
      if (!ev.ok()) return problem(scenario_path + ": " + ev.error().message);
      if (*ev) event(**ev, line);
    }
  }

  std::vector<Expected> expected;

 private:
  using K = sim::ScenarioEvent::Kind;
  enum class Phase { idle, open, staff_pending, emergency };

  // The gate's timeouts at `now` (the loop runs every 10 ms; the scenario keeps clear of edges).
  void tick() {
    if (phase_ == Phase::open && now_ >= deadline_) phase_ = Phase::idle;
    if (phase_ == Phase::staff_pending && now_ >= deadline_) phase_ = Phase::idle;
  }

  void advance(Ms d) {
    now_ += d;
    tick();
  }

  bool ready(std::size_t line) {
    tick();
    if (phase_ == Phase::open || phase_ == Phase::staff_pending) {
      problem("day " + std::to_string(day_) + " line " + std::to_string(line) +
              ": a tap or scan while the gate is busy (held back: not modelled)");
      return false;
    }
    return true;
  }

  // The same card or code text again within 1.5 s is one presentation: no decision.
  bool held_off(const std::string& what) {
    bool same = what == last_presented_ && now_ - last_presented_at_ < Ms(1500);
    last_presented_ = what;
    last_presented_at_ = now_;
    return same;
  }

  void decided(Expected e, std::size_t line) {
    e.line = line;
    e.day = day_;
    if (phase_ == Phase::emergency) {
      expected.push_back(std::move(e));
      return;
    }
    if (e.outcome == "open") {
      if (!e.credential.empty()) model_.last_entry[e.credential] = now_;
      phase_ = Phase::open;
      deadline_ = now_ + seconds(5);
    } else if (e.outcome == "staff_check") {
      phase_ = Phase::staff_pending;
      deadline_ = now_ + seconds(20);
      pending_ = e.credential;
    }
    expected.push_back(std::move(e));
  }

  Expected emergency_open(const std::string& credential) {
    Expected e;
    e.ts = now_;
    e.credential = credential;
    e.outcome = "open";
    e.reason = "emergency_open";
    e.media = media_of_key(credential);  // no lookup in an emergency: the key's own medium
    e.mode = mode_now();
    return e;
  }

  Expected refused(const std::string& reason) {
    Expected e;
    e.ts = now_;
    e.outcome = "deny";
    e.reason = reason;
    e.media = "none";
    e.mode = mode_now();
    return e;
  }

  std::string mode_now() {
    const PolicyFacts* p = policy_in_force(*records_, model_.line, model_.station, now_);
    return p ? p->health_mode : "off";
  }

  void event(const sim::ScenarioEvent& ev, std::size_t line) {
    switch (ev.kind) {
      case K::clock:
        // A day starts: the gate starts afresh (idle, nothing held off), its memory carries over.
        now_ = Time(std::chrono::duration_cast<Ms>(ev.at.time_since_epoch()));
        phase_ = Phase::idle;
        last_presented_.clear();
        return;
      case K::wait:
        advance(std::chrono::duration_cast<Ms>(ev.duration));
        return;
      case K::tap:
      case K::tap_many:
      case K::tap_bad: {
        if (ready(line)) {
          if (ev.kind == K::tap_bad) {
            decided(phase_ == Phase::emergency ? emergency_open("") : refused("read_error"), line);
          } else if (ev.kind == K::tap_many) {
            decided(phase_ == Phase::emergency ? emergency_open("") : refused("multiple_cards"),
                    line);
          } else if (!held_off(ev.keys[0])) {
            if (phase_ == Phase::emergency) {
              decided(emergency_open(ev.keys[0]), line);
            } else {
              // The emulated cards' validity: a T-Union or Beijing card to 2040-12-31 unless the
              // scenario says `expires`; a MIFARE Classic card carries no dates.
              std::optional<std::chrono::year_month_day> until;
              if (ev.keys[0].rfind("m1:", 0) != 0) {
                until = ev.expires.value_or(std::chrono::year(2040) / 12 / 31);
              }
              decided(model_.decide(ev.keys[0], until, now_, synced_at_, *records_), line);
            }
          }
        }
        advance(std::chrono::duration_cast<Ms>(
            ev.duration > Duration::zero() ? ev.duration : Duration(milliseconds(200))));
        return;
      }
      case K::scan:
        if (ready(line) && !held_off(ev.text)) {
          if (phase_ == Phase::emergency) {
            decided(emergency_open(""), line);  // an emergency does not check the code
          } else {
            CodeVerdict v = codes_.check(ev.text, now_, *records_);
            decided(v.reason.empty()
                        ? model_.decide(v.credential, std::nullopt, now_, synced_at_, *records_)
                        : refused(v.reason),
                    line);
          }
        }
        return;
      case K::pass:
        tick();
        if (phase_ == Phase::open) phase_ = Phase::idle;
        return;
      case K::staff_confirm:
        tick();
        if (phase_ == Phase::staff_pending) {
          if (!pending_.empty()) model_.last_entry[pending_] = now_;
          phase_ = Phase::open;
          deadline_ = now_ + seconds(5);
        }
        return;
      case K::staff_open:
        tick();
        if (phase_ != Phase::emergency) {
          Expected e;
          e.ts = now_;
          e.outcome = "open";
          e.reason = "staff_open";
          e.media = "none";
          e.mode = mode_now();
          e.line = line;
          e.day = day_;
          expected.push_back(e);
          phase_ = Phase::open;
          deadline_ = now_ + seconds(5);
        }
        return;
      case K::emergency_on:
        phase_ = Phase::emergency;
        return;
      case K::emergency_off:
        phase_ = Phase::idle;
        return;
      case K::fault:
      case K::stall:
        problem("day " + std::to_string(day_) + " line " + std::to_string(line) +
                ": faults and stalls are not part of a soak");
        return;
    }
  }

  CheckReport& report_;
  std::size_t max_listed_;
  const Records* records_ = nullptr;
  Time synced_at_{};
  int day_ = 0;
  Time now_{};
  Phase phase_ = Phase::idle;
  Time deadline_{};
  std::string pending_;
  std::string last_presented_;
  Time last_presented_at_{};
  GateModel model_;
  CodeChecker codes_;
};

}  // namespace

CheckReport check_soak(const std::string& dir, std::size_t max_listed) {
  CheckReport report;
  Walk walk(report, max_listed);
  core::GateContext gate_context;
  try {
    std::ifstream manifest_in(dir + "/soak.json");
    json manifest = json::parse(manifest_in);
    int n = 0;
    for (const json& day : manifest.at("days")) {
      ++n;
      Records records = read_records(dir + "/" + day.at("records").get<std::string>());
      walk.day(n, dir + "/" + day.at("scenario").get<std::string>(), records,
               must_parse_time(day.at("synced_at").get<std::string>()));
    }
    auto gate = manifest.at("gate").get<std::string>();  // "L1:S07:G03:entry"
    app::Config config;
    if (!app::set_config_value(config, "gate", gate).ok()) throw std::runtime_error("bad gate");
    gate_context = config.gate;
  } catch (const std::exception& e) {
    walk.problem(std::string("soak files: ") + e.what());
    return report;
  }

  std::vector<Actual> actual;
  auto journal = store::Journal::open(dir + "/journal.db",
                                      {app::simulator_journal_secret(), gate_context.gate_id()});
  if (!journal.ok()) {
    walk.problem("journal: " + journal.error().message);
    return report;
  }
  auto rows = journal->read();
  if (!rows.ok()) {
    walk.problem("journal: " + rows.error().message);
    return report;
  }
  for (const store::JournalRow& row : *rows) {
    if (const auto* d = std::get_if<core::DecisionRecord>(&row.entry)) {
      actual.push_back(
          {std::chrono::floor<Ms>(Time(std::chrono::duration_cast<Ms>(d->ts.time_since_epoch()))),
           d->credential, std::string(core::outcome_name(d->decision.outcome)),
           std::string(core::reason_name(d->decision.reason)),
           std::string(core::media_name(d->decision.media)), health_text(d->decision.health),
           std::string(core::health_mode_name(d->decision.mode))});
    } else {
      auto kind = std::get<core::GateEvent>(row.entry).kind;
      report.staff_confirms += kind == core::EventKind::staff_confirm;
      report.staff_timeouts += kind == core::EventKind::staff_check_timeout;
      report.tailgating += kind == core::EventKind::tailgating;
    }
  }

  report.expected = walk.expected.size();
  report.journaled = actual.size();
  for (const Expected& e : walk.expected) ++report.reasons[e.outcome + "/" + e.reason];
  const std::size_t n = std::min(walk.expected.size(), actual.size());
  for (std::size_t i = 0; i < n; ++i) {
    const Expected& e = walk.expected[i];
    const Actual& a = actual[i];
    ++report.compared;
    std::ostringstream diff;
    auto field = [&diff](const char* name, const std::string& want, const std::string& got) {
      if (want != got) diff << " " << name << ": want " << want << ", got " << got << ";";
    };
    field("ts", describe(e.ts), describe(a.ts));
    field("credential", e.credential, a.credential);
    field("outcome", e.outcome, a.outcome);
    field("reason", e.reason, a.reason);
    field("media", e.media, a.media);
    field("health", e.health, a.health);
    field("mode", e.mode, a.mode);
    if (!diff.str().empty()) {
      walk.problem("decision " + std::to_string(i + 1) + " (day " + std::to_string(e.day) +
                   ", scenario line " + std::to_string(e.line) + "):" + diff.str());
      // Past a missing or extra record every later pair differs: the first says enough.
      if (e.ts != a.ts) break;
    }
  }
  if (walk.expected.size() != actual.size()) {
    walk.problem(std::to_string(walk.expected.size()) + " decisions expected, " +
                 std::to_string(actual.size()) + " journaled");
  }
  return report;
}

}  // namespace gate::test::soak
