#include "firmware/gate/gate_controller.h"

#include <utility>

#include "firmware/core/name_table.h"

namespace gate::control {
namespace {

using core::EventKind;
using core::Outcome;

hal::IndicatorState text_state(hal::Light light, bool buzzer, std::string zh, std::string en) {
  hal::IndicatorState s;
  s.light = light;
  s.buzzer = buzzer;
  s.text_zh = std::move(zh);
  s.text_en = std::move(en);
  return s;
}

constexpr std::pair<OutOfService, std::string_view> kOutOfServiceTexts[] = {
    {OutOfService::no_cache, "no cache"},
    {OutOfService::reader_down, "reader down"},
    {OutOfService::journal_failing, "journal failing"},
    {OutOfService::journal_full, "journal full"},
    {OutOfService::sensor_stuck, "passage sensor"},
    {OutOfService::barrier_fault, "barrier"},
    {OutOfService::clock_behind, "clock behind"},
};
constexpr std::pair<StaffAlarm, std::string_view> kStaffAlarmTexts[] = {
    {StaffAlarm::journal_full, "journal full"},
    {StaffAlarm::scanner_down, "scanner down"},
    {StaffAlarm::clock_jumped, "clock jumped"},
};

template <class Condition, std::size_t N>
std::string join(const Conditions<Condition>& set,
                 const std::pair<Condition, std::string_view> (&texts)[N]) {
  std::string out;
  for (const auto& [c, text] : texts) {
    if (!set.has(c)) continue;
    if (!out.empty()) out += ", ";
    out += text;
  }
  return out;
}

}  // namespace

std::string_view condition_text(OutOfService cause) {
  return core::name_of(kOutOfServiceTexts, cause);
}
std::string_view condition_text(StaffAlarm alarm) {
  return core::name_of(kStaffAlarmTexts, alarm);
}

std::string describe(const Conditions<OutOfService>& causes) {
  return join(causes, kOutOfServiceTexts);
}
std::string describe(const Conditions<StaffAlarm>& alarms) {
  std::string text = join(alarms, kStaffAlarmTexts);
  return text.empty() ? text : "alarm: " + text;
}

hal::IndicatorState indicator_for(const core::Decision& decision) {
  core::FinishedText text = core::display_text(decision);
  hal::Light light = decision.outcome == Outcome::open          ? hal::Light::green
                     : decision.outcome == Outcome::staff_check ? hal::Light::amber
                                                                : hal::Light::red;
  hal::IndicatorState s =
      text_state(light, decision.outcome == Outcome::deny, std::move(text.zh), std::move(text.en));
  if (decision.health != core::HealthSeen::not_checked) {
    s.detail = "health: " + std::string(core::health_seen_name(decision.health));
  }
  return s;
}

hal::IndicatorState idle_indicator() {
  return text_state(hal::Light::off, false, "请刷卡或扫码", "Tap card or scan code");
}

hal::IndicatorState out_of_service_indicator(std::string detail) {
  core::DisplayText t = core::reason_text(core::Reason::out_of_service);
  hal::IndicatorState s = text_state(hal::Light::red, false, std::string(t.zh), std::string(t.en));
  s.detail = std::move(detail);
  return s;
}

GateController::GateController(core::GateContext gate, GateTimings timings)
    : gate_(std::move(gate)), timings_(timings) {}

core::GateEvent gate_event(const core::GateContext& gate, core::EventKind kind, Instant at) {
  core::GateEvent e;
  e.ts = at;
  e.gate = gate.gate_id();
  e.direction = gate.direction;
  e.kind = kind;
  return e;
}

core::GateEvent GateController::event(EventKind kind, Now now) const {
  return gate_event(gate_, kind, now.wall);
}

void GateController::show(Effects& effects, hal::IndicatorState state) {
  // Staff must see the alarms whatever the rider sees, out of service included.
  if (!alarms_.empty()) {
    std::string alarms = describe(alarms_);
    state.detail = state.detail.empty() ? alarms : state.detail + "; " + alarms;
  }
  shown_ = state;
  effects.show = std::move(state);
}

hal::IndicatorState GateController::idle_screen() const {
  return out_of_service() ? out_of_service_indicator(describe(causes_)) : idle_indicator();
}

Effects GateController::go_idle(Effects effects) {
  phase_ = GatePhase::idle;
  effects.relay = false;
  show(effects, idle_screen());
  return effects;
}

Effects GateController::start(Now now) {
  Effects effects;
  effects.records.emplace_back(event(EventKind::startup, now));
  return go_idle(std::move(effects));
}

Effects GateController::on_decision(const core::DecisionRecord& record, Now now) {
  Effects effects;
  effects.records.emplace_back(record);
  if (!ready_for_taps() || phase_ == GatePhase::emergency) return effects;
  show(effects, indicator_for(record.decision));
  switch (record.decision.outcome) {
    case Outcome::open:
      phase_ = GatePhase::open;
      deadline_ = now.mono + timings_.open_timeout;
      effects.relay = true;
      break;
    case Outcome::deny:
      phase_ = GatePhase::showing;
      deadline_ = now.mono + timings_.result_display;
      effects.relay = false;
      break;
    case Outcome::staff_check:
      phase_ = GatePhase::staff_pending;
      deadline_ = now.mono + timings_.staff_timeout;
      pending_ = record;
      effects.relay = false;
      break;
  }
  return effects;
}

Effects GateController::on_passage(Now now) {
  if (phase_ == GatePhase::emergency) return {};
  if (phase_ == GatePhase::open) return go_idle({});
  Effects effects;
  effects.records.emplace_back(event(EventKind::tailgating, now));
  if (phase_ == GatePhase::idle || phase_ == GatePhase::showing) {
    phase_ = GatePhase::showing;
    deadline_ = now.mono + timings_.result_display;
    show(effects, text_state(hal::Light::red, true, "请先刷卡", "Please tap first"));
  }
  return effects;
}

Effects GateController::on_staff(hal::StaffCommand command, core::HealthMode mode, Now now) {
  Effects effects;
  if (phase_ == GatePhase::emergency || command == hal::StaffCommand::none) return effects;
  if (command == hal::StaffCommand::confirm) {
    if (phase_ != GatePhase::staff_pending) return effects;
    core::GateEvent e = event(EventKind::staff_confirm, now);
    e.credential = pending_.credential;
    e.reason = pending_.decision.reason;
    effects.records.emplace_back(std::move(e));
    core::DisplayText t = core::reason_text(core::Reason::ok);
    show(effects, text_state(hal::Light::green, false, std::string(t.zh), std::string(t.en)));
  } else {
    core::DecisionRecord r;
    r.ts = now.wall;
    r.gate = gate_.gate_id();
    r.direction = gate_.direction;
    r.decision.outcome = Outcome::open;
    r.decision.reason = core::Reason::staff_open;
    r.decision.media = core::Media::none;
    r.decision.mode = mode;
    effects.records.emplace_back(r);
    show(effects, indicator_for(r.decision));
  }
  phase_ = GatePhase::open;
  deadline_ = now.mono + timings_.open_timeout;
  effects.relay = true;
  return effects;
}

Effects GateController::on_emergency(bool active, Now now) {
  Effects effects;
  if (active == (phase_ == GatePhase::emergency)) return effects;
  if (!active) {
    effects.records.emplace_back(event(EventKind::emergency_off, now));
    return go_idle(std::move(effects));
  }
  effects.records.emplace_back(event(EventKind::emergency_on, now));
  phase_ = GatePhase::emergency;
  effects.relay = true;
  core::DisplayText t = core::reason_text(core::Reason::emergency_open);
  show(effects, text_state(hal::Light::green, false, std::string(t.zh), std::string(t.en)));
  return effects;
}

Effects GateController::set_out_of_service(OutOfService cause, bool on, Now) {
  Effects effects;
  if (!causes_.set(cause, on)) return effects;
  // A result on the display keeps its text until it ends; the idle screen changes at once.
  if (phase_ == GatePhase::idle) show(effects, idle_screen());
  return effects;
}

Effects GateController::set_alarm(StaffAlarm alarm, bool on, Now) {
  Effects effects;
  if (!alarms_.set(alarm, on)) return effects;
  if (phase_ == GatePhase::idle) show(effects, idle_screen());
  return effects;
}

Effects GateController::on_journal_failure(Now) {
  causes_.set(OutOfService::journal_failing, true);
  if (phase_ == GatePhase::emergency) return {};
  return go_idle({});
}

Effects GateController::on_tick(Now now) {
  if (now.mono < deadline_) return {};
  switch (phase_) {
    case GatePhase::open: {
      Effects effects;
      effects.records.emplace_back(event(EventKind::passage_timeout, now));
      return go_idle(std::move(effects));
    }
    case GatePhase::showing:
      return go_idle({});
    case GatePhase::staff_pending: {
      Effects effects;
      core::GateEvent e = event(EventKind::staff_check_timeout, now);
      e.credential = pending_.credential;
      e.reason = pending_.decision.reason;
      effects.records.emplace_back(std::move(e));
      core::Decision denied = pending_.decision;
      denied.outcome = Outcome::deny;
      show(effects, indicator_for(denied));
      phase_ = GatePhase::showing;
      deadline_ = now.mono + timings_.result_display;
      return effects;
    }
    case GatePhase::idle:
    case GatePhase::emergency:
      return {};
  }
  return {};
}

}  // namespace gate::control
