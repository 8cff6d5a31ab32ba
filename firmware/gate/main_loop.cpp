#include "firmware/gate/main_loop.h"

#include <utility>

#include "hal/log.h"

namespace gate::control {
namespace {

constexpr std::string_view kTag = "gate";
// The display's detail lines for a journal over its disk budget (for staff; riders read the
// headline).
constexpr std::string_view kJournalFullDetail = "journal full";
constexpr std::string_view kJournalFullAlarm = "alarm: journal full";

bool opens_entry(const store::JournalEntry& entry, core::Direction direction) {
  if (direction != core::Direction::entry) return false;
  if (const auto* d = std::get_if<core::DecisionRecord>(&entry)) {
    return d->decision.outcome == core::Outcome::open && !d->credential.empty() &&
           d->decision.reason != core::Reason::emergency_open;
  }
  const auto& e = std::get<core::GateEvent>(entry);
  return e.kind == core::EventKind::staff_confirm && !e.credential.empty();
}

const std::string& entry_credential(const store::JournalEntry& entry) {
  if (const auto* d = std::get_if<core::DecisionRecord>(&entry)) return d->credential;
  return std::get<core::GateEvent>(entry).credential;
}

Instant entry_time(const store::JournalEntry& entry) {
  return std::visit([](const auto& e) { return e.ts; }, entry);
}

}  // namespace

MainLoop::MainLoop(Devices devices, Validator& validator, store::Journal& journal,
                   core::GateContext gate, LoopConfig config, EntryObserver observer)
    : dev_(devices),
      validator_(validator),
      journal_(journal),
      gate_(std::move(gate)),
      config_(config),
      observer_(std::move(observer)),
      controller_(gate_, config.timings) {}

Now MainLoop::now() const {
  return Now{dev_.clock.wall_now(), dev_.clock.mono_now()};
}

Status MainLoop::start() {
  Now t = now();
  update_service_state(t);
  return apply(controller_.start(t));
}

Status MainLoop::apply(Effects effects) {
  for (const store::JournalEntry& entry : effects.records) {
    Result<std::uint64_t> seq = journal_.append(entry);
    if (!seq.ok()) {
      if (!journal_failed_)
        log(LogLevel::error, kTag, "journal append failed: " + seq.error().message);
      journal_failed_ = true;
      Effects closed = controller_.on_journal_failure(now());
      if (!closed.relay && effects.relay == true && controller_.phase() == GatePhase::emergency) {
        closed.relay = true;  // an emergency opening never waits for the journal
      }
      effects = std::move(closed);
      effects.records.clear();
      last_status_ = seq.status();
      break;
    }
    if (journal_failed_) log(LogLevel::info, kTag, "journal writable again");
    journal_failed_ = false;
    if (opens_entry(entry, gate_.direction)) {
      validator_.record_entry(entry_credential(entry), entry_time(entry));
    }
    if (observer_) observer_(*seq, entry);
  }
  if (effects.relay) {
    Status s = dev_.mechanism.set_open(*effects.relay);
    if (!s.ok()) log(LogLevel::error, kTag, "relay: " + s.error().message);
  }
  if (effects.show) {
    Status s = dev_.indicator.show(*effects.show);
    if (!s.ok()) log(LogLevel::warning, kTag, "indicator: " + s.error().message);
  }
  return ok_status();
}

void MainLoop::read_inputs(Now t) {
  Result<bool> emergency = dev_.mechanism.active();
  if (emergency.ok() && *emergency != emergency_) {
    emergency_ = *emergency;
    (void)apply(controller_.on_emergency(emergency_, t));
  }
  if (dev_.staff) {
    Result<hal::StaffCommand> cmd = dev_.staff->take_command();
    if (cmd.ok() && *cmd != hal::StaffCommand::none) {
      (void)apply(controller_.on_staff(*cmd, validator_.policy_now(t.wall).health_mode, t));
    }
  }
  Result<std::uint32_t> passages = dev_.mechanism.take_passages();
  if (passages.ok()) {
    for (std::uint32_t i = 0; i < *passages; ++i) (void)apply(controller_.on_passage(t));
  }
}

void MainLoop::update_service_state(Now t) {
  bool reader_out = reader_down_since_ && t.mono - *reader_down_since_ >= config_.reader_down_grace;
  bool journal_full = journal_space_ == JournalSpace::out_of_service;
  bool out = !validator_.cache_usable() || reader_out || journal_failed_ || journal_full;
  (void)apply(controller_.on_out_of_service(
      out, t, journal_full ? std::string(kJournalFullDetail) : std::string()));
}

Status MainLoop::journal_event(core::EventKind kind) {
  last_status_ = ok_status();
  (void)apply(Effects{{gate_event(gate_, kind, dev_.clock.wall_now())}, {}, {}});
  return last_status_;
}

void MainLoop::set_journal_space(JournalSpace space) {
  if (space == journal_space_) return;
  journal_space_ = space;
  Now t = now();
  (void)apply(controller_.set_alarm(
      space == JournalSpace::full_alarm ? std::string(kJournalFullAlarm) : std::string(), t));
  update_service_state(t);
}

bool MainLoop::held_off(const std::string& credential, MonoInstant t) {
  bool same = credential == last_credential_ && t - last_credential_at_ < config_.hold_off;
  last_credential_ = credential;
  last_credential_at_ = t;
  return same;
}

void MainLoop::present(core::Presentation presented, Now t,
                       std::chrono::steady_clock::time_point read_at) {
  presented.emergency = emergency_;
  presented.out_of_service = controller_.out_of_service();
  core::DecisionRecord record;
  record.ts = t.wall;
  record.gate = gate_.gate_id();
  record.direction = gate_.direction;
  record.credential = presented.credential;
  record.decision = validator_.decide(std::move(presented), t.wall);
  record.latency_us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - read_at)
                          .count();
  (void)apply(controller_.on_decision(record, t));
}

void MainLoop::poll_reader(Now t) {
  Result<hal::CardPresence> presence = dev_.reader.poll(config_.reader_poll);
  if (!presence.ok()) {
    if (!reader_down_since_) {
      log(LogLevel::error, kTag, "card reader down: " + presence.error().message);
      reader_down_since_ = t.mono;
      held_presence_.reset();
      (void)apply(Effects{{gate_event(gate_, core::EventKind::reader_down, t.wall)}, {}, {}});
    }
    return;
  }
  if (reader_down_since_) {
    log(LogLevel::info, kTag, "card reader back");
    reader_down_since_.reset();
    (void)apply(Effects{{gate_event(gate_, core::EventKind::reader_up, t.wall)}, {}, {}});
  }
  if (presence->kind != hal::CardPresence::Kind::none) held_presence_ = std::move(*presence);
}

void MainLoop::read_held_card(Now t) {
  if (!held_presence_ || !controller_.ready_for_taps()) return;
  hal::CardPresence presence = std::move(*held_presence_);
  held_presence_.reset();
  core::Presentation presented;
  if (presence.kind == hal::CardPresence::Kind::multiple) {
    presented.read_failure = core::Reason::multiple_cards;
    present(std::move(presented), t, std::chrono::steady_clock::now());
    return;
  }
  auto read = core::read_card(presence.target, dev_.reader, config_.card);
  auto read_at = std::chrono::steady_clock::now();
  if (const auto* reason = std::get_if<core::Reason>(&read)) {
    presented.read_failure = *reason;
  } else {
    const auto& card = std::get<core::CardData>(read);
    if (held_off(card.credential, t.mono)) return;
    presented.credential = card.credential;
    presented.valid_until = card.valid_until;
  }
  present(std::move(presented), t, read_at);
}

void MainLoop::poll_scanner(Now t) {
  if (!dev_.scanner) return;
  if (!held_line_) {
    Result<std::optional<hal::ScannedLine>> line = dev_.scanner->read_line(config_.scanner_poll);
    if (!line.ok()) {
      // Cards still work, so the gate stays in service; the loss is logged once, not journaled.
      if (!scanner_down_) log(LogLevel::error, kTag, "code scanner down: " + line.error().message);
      scanner_down_ = true;
      return;
    }
    if (scanner_down_) log(LogLevel::info, kTag, "code scanner back");
    scanner_down_ = false;
    if (!*line) return;
    held_line_ = std::move(**line);
  }
  if (!controller_.ready_for_taps()) return;  // keep it until the gate is ready
  hal::ScannedLine line = std::move(*held_line_);
  held_line_.reset();
  // A scanner reading the same code twice in a row is one scan, not a replay.
  if (held_off(line.text, t.mono)) return;
  // The code is "read" once the gate takes the line: its check (two signature verifications for
  // a new install) is part of the decision's latency, as a card's APDUs are not.
  auto read_at = std::chrono::steady_clock::now();
  core::Presentation presented;
  if (!emergency_) {
    auto checked = validator_.check_code(line.text, t.wall);
    if (const auto* reason = std::get_if<core::Reason>(&checked)) {
      presented.read_failure = *reason;
    } else {
      presented.credential = std::get<core::RideCodeOk>(checked).credential;
    }
  }
  present(std::move(presented), t, read_at);
}

Status MainLoop::run_once() {
  last_status_ = ok_status();
  Now t = now();
  read_inputs(t);
  // The reader poll paces the loop on a board. While the gate is open or waiting for staff, a new
  // card or code is held and read once the gate is ready (a card gone by then reads as
  // read_error: "tap again").
  poll_reader(t);
  (void)apply(controller_.on_tick(t));
  update_service_state(t);
  read_held_card(t);
  poll_scanner(t);
  // The one kick site, reached only while healthy: this iteration completed (a stalled loop never
  // gets here), and the composition root's check holds (GateRuntime: no worker thread stuck). A
  // journal that cannot take records is NOT unhealthy: it is a defined state (out of service,
  // shown and logged), which a reset would not cure.
  if (!config_.healthy || config_.healthy()) {
    Status kicked = dev_.watchdog.kick();
    if (!kicked.ok() && !watchdog_failing_) {
      log(LogLevel::warning, kTag, "watchdog: " + kicked.error().message);
    } else if (kicked.ok() && watchdog_failing_) {
      log(LogLevel::info, kTag, "watchdog kicks go through again");
    }
    watchdog_failing_ = !kicked.ok();
  }
  return last_status_;
}

}  // namespace gate::control
