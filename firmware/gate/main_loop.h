// The gate's main loop: one iteration reads the inputs (emergency, staff, passages), runs the
// timeouts, reads at most one card or code when the gate is ready for it, decides, journals the
// result durably, then drives the relay and the indicator, and kicks the watchdog. The same loop
// runs on a board (blocking at most `reader_poll` in the reader) and in the simulator (where every
// device answers at once and the scenario moves the clock).
//
// It also watches for standing faults, each a named condition in the GateController (out of
// service, or a staff alarm: both on the display's detail line), logged once when it starts and
// once when it clears, journaled as an event pair where the journal is not itself the fault, and
// cleared by the loop itself when the fault goes: the passage sensor blocked too long, the barrier
// not following the relay, the wall clock stepping or behind the journal, a journal that cannot
// take records (retried every `journal_retry`), the code scanner gone.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "firmware/core/card_profile.h"
#include "firmware/gate/gate_controller.h"
#include "firmware/gate/journal_budget.h"
#include "firmware/gate/validator.h"
#include "firmware/store/journal.h"
#include "hal/card_reader.h"
#include "hal/clock.h"
#include "hal/code_scanner.h"
#include "hal/gate_mechanism.h"
#include "hal/indicator.h"
#include "hal/staff_panel.h"
#include "hal/watchdog.h"

namespace gate::control {

struct Devices {
  const hal::Clock& clock;
  hal::CardReader& reader;
  hal::CodeScanner* scanner;  // optional
  hal::GateMechanism& mechanism;
  hal::Indicator& indicator;
  hal::StaffPanel* staff;  // optional
  hal::Watchdog& watchdog;
};

struct LoopConfig {
  GateTimings timings;
  core::CardProfileOptions card;
  std::chrono::milliseconds reader_poll{100};  // the loop's pace on a board
  std::chrono::milliseconds scanner_poll{0};
  Duration hold_off =
      std::chrono::milliseconds(1500);  // same credential again within this: ignored
  Duration reader_down_grace = std::chrono::seconds(3);  // reader down this long → out of service
  // Asked once per iteration, just before the watchdog kick: false withholds the kick, so the
  // watchdog resets the board (GateRuntime: its worker threads' heartbeats). Null: always healthy.
  std::function<bool()> healthy;
  // The passage sensor's beam blocked this long without a break → out of service ("passage
  // sensor") until it clears. Long, because people do stand in the aisle: a rider waiting for a
  // companion, a wheelchair or a pram, luggage being dragged through take tens of seconds; a
  // sensor that is really stuck (dirt, misaligned, a bag left in the beam) stays so for minutes
  // or hours, and a minute costs little next to that.
  Duration sensor_stuck_after = std::chrono::seconds(60);
  // The barrier's position feedback (where the mechanism has one) must agree with the relay
  // within this after each command; disagreeing longer → out of service ("barrier"). A barrier
  // arm or flap moves in a few hundred milliseconds.
  Duration relay_confirm_timeout = std::chrono::seconds(1);
  // While appends fail, how often the loop tries again on its own (a journal_recovered event),
  // so that the gate comes back without waiting for a rider to tap.
  Duration journal_retry = std::chrono::seconds(5);
  // A change of (wall − monotonic) larger than this between two iterations is a step of the wall
  // clock (NTP stepping, an RTC set), logged and journaled as clock_jump; the same margin is
  // allowed before a wall clock behind the journal's last record puts the gate out of service.
  // Both clocks advance together while the loop runs (and while it stalls), and NTP slews at
  // most 0.5 ms per second, so nothing but a step moves their difference by seconds; 2 s is
  // also far below anything a decision depends on (ride codes 60 s, code_skew 30 s, cache ages
  // in minutes), so a smaller step is no fault.
  Duration clock_tolerance = std::chrono::seconds(2);
  // How long the "clock jumped" alarm stays on the display after a step (the log and the journal
  // keep it for good).
  Duration clock_jump_shown = std::chrono::minutes(5);
};

// Called after each entry is durable in the journal (the simulator prints them).
using EntryObserver = std::function<void(std::uint64_t seq, const store::JournalEntry&)>;

class MainLoop {
 public:
  MainLoop(Devices devices, Validator& validator, store::Journal& journal, core::GateContext gate,
           LoopConfig config, EntryObserver observer = {});

  // Closes the relay, shows the idle (or out-of-service) screen and journals the start-up.
  Status start();

  // One iteration. Failures of devices become gate states (out of service, reader down) and log
  // lines (a failing code scanner: one line when it fails, one when it is back, and the staff
  // alarm "scanner down" meanwhile; cards still work, so the gate stays in service and nothing is
  // journaled); the returned Status is an error only when the journal cannot take a record (the
  // relay is then left closed, except during an emergency). The watchdog is kicked at the end
  // while LoopConfig::healthy holds.
  Status run_once();

  // Journals a gate event that comes from outside the loop's devices (GateRuntime's sync
  // outcomes and journal-space changes), on the loop thread, like any other record: durable
  // before anything else happens, seen by the observer. An error when the journal cannot take it
  // (the gate is then out of service, as for any record).
  Status journal_event(core::EventKind kind);

  // The journal's standing against its disk budget (JournalBudget decides, and logs): out_of_
  // service puts the gate out of service with "journal full" on the detail line; full_alarm keeps
  // it deciding with the alarm "journal full" on the detail line; ok clears either.
  void set_journal_space(JournalSpace space);

  const GateController& controller() const { return controller_; }

 private:
  Status apply(Effects effects);
  void read_inputs(Now now);
  void poll_reader(Now now);
  void read_held_card(Now now);
  void poll_scanner(Now now);
  void present(core::Presentation presented, Now now,
               std::chrono::steady_clock::time_point read_at);
  bool held_off(const std::string& credential, MonoInstant now);
  void update_service_state(Now now);
  void check_sensor(Now now);
  void check_barrier(Now now);
  void check_clock(Now now);
  void retry_journal(Now now);
  Now now() const;

  Devices dev_;
  Validator& validator_;
  store::Journal& journal_;
  core::GateContext gate_;
  LoopConfig config_;
  EntryObserver observer_;
  GateController controller_;
  Status last_status_;
  bool emergency_ = false;
  bool journal_failed_ = false;
  JournalSpace journal_space_ = JournalSpace::ok;
  std::optional<MonoInstant> reader_down_since_;
  bool scanner_down_ = false;         // its last read_line failed (logged once)
  bool watchdog_failing_ = false;     // its last kick failed (logged once)
  MonoInstant next_journal_retry_{};  // while journal_failed_
  // The passage sensor: blocked without a break since, and whether that made it "stuck".
  std::optional<MonoInstant> blocked_since_;
  bool sensor_stuck_ = false;
  // The barrier: the relay's last command, since when the feedback disagrees with it, and
  // whether that lasted past relay_confirm_timeout.
  std::optional<bool> relay_commanded_;
  std::optional<MonoInstant> barrier_disagrees_since_;
  bool barrier_fault_ = false;
  // The clocks: (wall − mono) at the previous iteration, the latest ts journaled (from the
  // journal at start-up), whether the wall clock is behind it, and until when a step is shown.
  std::optional<Duration> clock_offset_;
  std::optional<Instant> latest_record_;
  bool clock_behind_ = false;
  std::optional<MonoInstant> clock_jump_shown_until_;
  std::string last_credential_;
  MonoInstant last_credential_at_{};
  std::optional<hal::CardPresence> held_presence_;  // a card that came while the gate was busy
  std::optional<hal::ScannedLine> held_line_;       // a code scanned while the gate was busy
};

}  // namespace gate::control
