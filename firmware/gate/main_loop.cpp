#include "firmware/gate/main_loop.h"

#include <cstdio>
#include <utility>

#include "hal/log.h"

namespace gate::control {
namespace {

constexpr std::string_view kTag = "gate";

// "1.500 s", for the clock's log lines.
std::string seconds_text(Duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f s",
                std::chrono::duration_cast<std::chrono::duration<double>>(d).count());
  return buf;
}

std::string_view barrier_text(bool open) {
  return open ? "open" : "closed";
}

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

bool is_recovery(const store::JournalEntry& entry) {
  const auto* e = std::get_if<core::GateEvent>(&entry);
  return e && e->kind == core::EventKind::journal_recovered;
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
  // The records already written say how late it is at least (a wall clock behind them is wrong).
  Result<std::optional<Instant>> latest = journal_.latest_ts();
  if (latest.ok()) {
    latest_record_ = *latest;
  } else {
    log(LogLevel::warning, kTag, "journal's latest time unknown: " + latest.error().message);
  }
  update_service_state(t);
  Status started = apply(controller_.start(t));
  check_clock(t);
  update_service_state(t);
  return started;
}

Status MainLoop::apply(Effects effects) {
  // A journal that failed is tried again with a journal_recovered event before anything else:
  // whichever record comes first after a failure (the periodic retry's, a tap's) says when the
  // journal came back, in the journal itself. (Effects without records do not touch the journal.)
  if (journal_failed_ && !effects.records.empty() && !is_recovery(effects.records.front())) {
    effects.records.insert(
        effects.records.begin(),
        gate_event(gate_, core::EventKind::journal_recovered, dev_.clock.wall_now()));
  }
  for (const store::JournalEntry& entry : effects.records) {
    Result<std::uint64_t> seq = journal_.append(entry);
    if (!seq.ok()) {
      if (!journal_failed_) {
        log(LogLevel::error, kTag, "journal append failed: " + seq.error().message);
        next_journal_retry_ = dev_.clock.mono_now() + config_.journal_retry;
      }
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
    if (!latest_record_ || entry_time(entry) > *latest_record_) latest_record_ = entry_time(entry);
    if (opens_entry(entry, gate_.direction)) {
      validator_.record_entry(entry_credential(entry), entry_time(entry));
    }
    if (observer_) observer_(*seq, entry);
  }
  if (effects.relay) {
    // The barrier's feedback is checked against the command from now on (check_barrier).
    if (relay_commanded_ != effects.relay) barrier_disagrees_since_.reset();
    relay_commanded_ = effects.relay;
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
  check_sensor(t);
}

void MainLoop::check_sensor(Now t) {
  // An unreadable level changes nothing: a sensor that fails outright shows in take_passages.
  Result<bool> blocked = dev_.mechanism.blocked();
  if (!blocked.ok()) return;
  if (!*blocked) {
    blocked_since_.reset();
    if (sensor_stuck_) {
      sensor_stuck_ = false;
      log(LogLevel::info, kTag, "passage sensor clear again");
      (void)apply(Effects{{gate_event(gate_, core::EventKind::sensor_ok, t.wall)}, {}, {}});
    }
    return;
  }
  if (!blocked_since_) blocked_since_ = t.mono;
  if (sensor_stuck_ || t.mono - *blocked_since_ < config_.sensor_stuck_after) return;
  sensor_stuck_ = true;
  log(LogLevel::error, kTag,
      "passage sensor blocked for " + seconds_text(t.mono - *blocked_since_) +
          " without a break (stuck or obstructed): out of service until it clears");
  (void)apply(Effects{{gate_event(gate_, core::EventKind::sensor_stuck, t.wall)}, {}, {}});
}

void MainLoop::check_barrier(Now t) {
  Result<std::optional<bool>> position = dev_.mechanism.barrier_open();
  // No feedback on this mechanism (or none readable now, or no command yet): nothing to check.
  if (!position.ok() || !*position || !relay_commanded_) return;
  if (**position == *relay_commanded_) {
    barrier_disagrees_since_.reset();
    if (barrier_fault_) {
      barrier_fault_ = false;
      log(LogLevel::info, kTag,
          "barrier follows the relay again (" + std::string(barrier_text(**position)) + ")");
      (void)apply(Effects{{gate_event(gate_, core::EventKind::barrier_ok, t.wall)}, {}, {}});
    }
    return;
  }
  if (!barrier_disagrees_since_) barrier_disagrees_since_ = t.mono;
  if (!barrier_fault_ && t.mono - *barrier_disagrees_since_ > config_.relay_confirm_timeout) {
    barrier_fault_ = true;
    log(LogLevel::error, kTag,
        "barrier does not follow the relay: driven " +
            std::string(barrier_text(*relay_commanded_)) + ", reads " +
            std::string(barrier_text(**position)) + " after " +
            seconds_text(t.mono - *barrier_disagrees_since_) + ": out of service");
    (void)apply(Effects{{gate_event(gate_, core::EventKind::barrier_fault, t.wall)}, {}, {}});
  }
  if (barrier_fault_) {
    // The safe state, commanded again at every iteration while the fault lasts: closed, or open
    // during an emergency (people's safety first). Errors were logged when the relay failed.
    const bool safe = controller_.phase() == GatePhase::emergency;
    if (relay_commanded_ != safe) barrier_disagrees_since_ = t.mono;
    relay_commanded_ = safe;
    (void)dev_.mechanism.set_open(safe);
  }
}

void MainLoop::check_clock(Now t) {
  const Duration offset = t.wall.time_since_epoch() - t.mono.time_since_epoch();
  if (clock_offset_) {
    const Duration step = offset - *clock_offset_;
    if (step > config_.clock_tolerance || -step > config_.clock_tolerance) {
      // Decisions go on with the new time (code validity, cache age and anti-passback follow it);
      // the record is the trace of the step, at the new time.
      log(LogLevel::warning, kTag,
          std::string("wall clock stepped ") + (step > Duration::zero() ? "forward" : "back") +
              " by " + seconds_text(step > Duration::zero() ? step : -step) + ", now " +
              core::format_utc_millis(t.wall));
      (void)apply(Effects{{gate_event(gate_, core::EventKind::clock_jump, t.wall)}, {}, {}});
      clock_jump_shown_until_ = t.mono + config_.clock_jump_shown;
    }
  }
  clock_offset_ = offset;
  const bool shown = clock_jump_shown_until_ && t.mono < *clock_jump_shown_until_;
  if (!shown) clock_jump_shown_until_.reset();
  (void)apply(controller_.set_alarm(StaffAlarm::clock_jumped, shown, t));

  // Behind the latest record by more than the tolerance: records would go back in time, and a
  // clock that wrong would judge code validity and anti-passback against the wrong day. Back in
  // service once the wall clock reaches that record's time (corrected, or caught up).
  if (!latest_record_) return;
  const bool behind =
      clock_behind_ ? t.wall < *latest_record_ : t.wall + config_.clock_tolerance < *latest_record_;
  if (behind == clock_behind_) return;
  clock_behind_ = behind;
  if (behind) {
    log(LogLevel::error, kTag,
        "wall clock " + core::format_utc_millis(t.wall) +
            " is behind the journal's latest record (" + core::format_utc_millis(*latest_record_) +
            "): out of service until it is past it");
  } else {
    log(LogLevel::info, kTag,
        "wall clock " + core::format_utc_millis(t.wall) +
            " past the journal's latest record again");
  }
  (void)apply(
      Effects{{gate_event(gate_, behind ? core::EventKind::clock_behind : core::EventKind::clock_ok,
                          t.wall)},
              {},
              {}});
}

void MainLoop::retry_journal(Now t) {
  if (!journal_failed_ || t.mono < next_journal_retry_) return;
  next_journal_retry_ = t.mono + config_.journal_retry;
  // A probe, not a record anyone waits for: its failure leaves run_once's status alone (the
  // gate's state already says the journal is failing), so only a lost decision or event is an
  // error there.
  const Status kept = last_status_;
  (void)apply(Effects{{gate_event(gate_, core::EventKind::journal_recovered, t.wall)}, {}, {}});
  last_status_ = kept;
}

void MainLoop::update_service_state(Now t) {
  const bool reader_out =
      reader_down_since_ && t.mono - *reader_down_since_ >= config_.reader_down_grace;
  const std::pair<OutOfService, bool> causes[] = {
      {OutOfService::no_cache, !validator_.cache_usable()},
      {OutOfService::reader_down, reader_out},
      {OutOfService::journal_failing, journal_failed_},
      {OutOfService::journal_full, journal_space_ == JournalSpace::out_of_service},
      {OutOfService::sensor_stuck, sensor_stuck_},
      {OutOfService::barrier_fault, barrier_fault_},
      {OutOfService::clock_behind, clock_behind_},
  };
  for (const auto& [cause, on] : causes) (void)apply(controller_.set_out_of_service(cause, on, t));
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
  (void)apply(
      controller_.set_alarm(StaffAlarm::journal_full, space == JournalSpace::full_alarm, t));
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
      // Staff are shown it (the alarm "scanner down") until it is back.
      if (!scanner_down_) log(LogLevel::error, kTag, "code scanner down: " + line.error().message);
      scanner_down_ = true;
      (void)apply(controller_.set_alarm(StaffAlarm::scanner_down, true, t));
      return;
    }
    if (scanner_down_) log(LogLevel::info, kTag, "code scanner back");
    scanner_down_ = false;
    (void)apply(controller_.set_alarm(StaffAlarm::scanner_down, false, t));
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
  check_clock(t);
  retry_journal(t);
  read_inputs(t);
  // The reader poll paces the loop on a board. While the gate is open or waiting for staff, a new
  // card or code is held and read once the gate is ready (a card gone by then reads as
  // read_error: "tap again").
  poll_reader(t);
  (void)apply(controller_.on_tick(t));
  check_barrier(t);
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
