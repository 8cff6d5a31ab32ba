// The gate's main loop: one iteration reads the inputs (emergency, staff, passages), runs the
// timeouts, reads at most one card or code when the gate is ready for it, decides, journals the
// result durably, then drives the relay and the indicator, and kicks the watchdog. The same loop
// runs on a board (blocking at most `reader_poll` in the reader) and in the simulator (where every
// device answers at once and the scenario moves the clock).
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
  // lines (a failing code scanner: one line when it fails, one when it is back; cards still
  // work, so the gate stays in service and nothing is journaled); the returned Status is an error
  // only when the journal cannot take a record (the relay is then left closed, except during an
  // emergency). The watchdog is kicked at the end while LoopConfig::healthy holds.
  Status run_once();

  // Journals a gate event that comes from outside the loop's devices (GateRuntime's sync
  // outcomes and journal-space changes), on the loop thread, like any other record: durable
  // before anything else happens, seen by the observer. An error when the journal cannot take it
  // (the gate is then out of service, as for any record).
  Status journal_event(core::EventKind kind);

  // The journal's standing against its disk budget (JournalBudget decides): out_of_service puts
  // the gate out of service with "journal full" on the detail line; full_alarm keeps it deciding
  // with the alarm on the display's detail line; ok clears either.
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
  bool scanner_down_ = false;      // its last read_line failed (logged once)
  bool watchdog_failing_ = false;  // its last kick failed (logged once)
  std::string last_credential_;
  MonoInstant last_credential_at_{};
  std::optional<hal::CardPresence> held_presence_;  // a card that came while the gate was busy
  std::optional<hal::ScannedLine> held_line_;       // a code scanned while the gate was busy
};

}  // namespace gate::control
