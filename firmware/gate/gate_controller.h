// The gate state machine: what the relay and the indicator do after a decision, a passage, a staff
// command, the emergency input or a timeout. Pure: every input carries the time, every output is
// returned as Effects for the main loop to carry out (records first, made durable, then the relay,
// then the indicator).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firmware/core/decision_record.h"
#include "firmware/store/journal.h"
#include "hal/indicator.h"
#include "hal/staff_panel.h"
#include "hal/time.h"

namespace gate::control {

struct GateTimings {
  Duration open_timeout = std::chrono::seconds(5);    // open, nobody passes → close
  Duration result_display = std::chrono::seconds(2);  // deny (and any result) shown this long
  Duration staff_timeout = std::chrono::seconds(20);  // staff_check unconfirmed → deny
};

// Why the gate is out of service. Several can hold at once (the journal full and the sensor
// stuck); the gate is back in service when none does. The display's detail line names them all,
// short, for staff (riders read the headline).
enum class OutOfService : std::uint8_t {
  no_cache,         // no usable cache (decisions.md row 2)
  reader_down,      // the card reader down past reader_down_grace
  journal_failing,  // an append failed (a full disk, an I/O error); retried periodically
  journal_full,     // over its disk budget under journal_full_policy = out_of_service
  sensor_stuck,     // the passage sensor blocked past sensor_stuck_after
  barrier_fault,    // the barrier does not follow the relay past relay_confirm_timeout
  clock_behind,     // the wall clock behind the journal's last record
};
// Standing alarms for station staff: the gate decides as before, the detail line says
// "alarm: …" while any holds.
enum class StaffAlarm : std::uint8_t {
  journal_full,  // over the disk budget under journal_full_policy = alarm
  scanner_down,  // the code scanner is gone: codes cannot be read, cards still work
  clock_jumped,  // the wall clock stepped (shown for a while after the step)
};
// The short text of each, for the detail line: "journal full", "passage sensor", …
std::string_view condition_text(OutOfService cause);
std::string_view condition_text(StaffAlarm alarm);

// A set of named conditions of one kind (OutOfService or StaffAlarm).
template <class Condition>
class Conditions {
 public:
  // Sets or clears `c`; whether that changed anything.
  bool set(Condition c, bool on) {
    const std::uint32_t before = bits_;
    bits_ = on ? bits_ | bit(c) : bits_ & ~bit(c);
    return bits_ != before;
  }
  bool has(Condition c) const { return (bits_ & bit(c)) != 0; }
  bool empty() const { return bits_ == 0; }
  bool operator==(const Conditions&) const = default;

 private:
  static std::uint32_t bit(Condition c) { return std::uint32_t{1} << static_cast<unsigned>(c); }
  std::uint32_t bits_ = 0;
};

// The detail line's texts: "journal full, passage sensor" (in declaration order), and
// "alarm: scanner down, clock jumped"; empty for an empty set.
std::string describe(const Conditions<OutOfService>& causes);
std::string describe(const Conditions<StaffAlarm>& alarms);

// A moment as both clocks see it: wall for records, monotonic for timeouts.
struct Now {
  Instant wall{};
  MonoInstant mono{};
};

struct Effects {
  std::vector<store::JournalEntry> records;  // to journal, durably, before anything else
  std::optional<bool> relay;                 // drive the relay open (true) / closed (false)
  std::optional<hal::IndicatorState> show;   // new indicator state
};

enum class GatePhase {
  idle,           // waiting for a tap (or out of service)
  showing,        // a result (deny, or open after passage) is on the display
  open,           // relay open for one passage
  staff_pending,  // amber; waiting for staff to confirm
  emergency,      // relay open for free passage until the input clears
};

class GateController {
 public:
  GateController(core::GateContext gate, GateTimings timings);

  // Shows the idle screen and closes the relay; records a start-up event.
  Effects start(Now now);

  // A decided tap or scan. Open → relay open until one passage or open_timeout; deny → shown for
  // result_display; staff_check → amber until staff confirm or staff_timeout. Only valid while
  // ready_for_taps(); otherwise the record is still journaled and shown, the phase is unchanged.
  Effects on_decision(const core::DecisionRecord& record, Now now);

  // One passage seen by the sensor. Closes an open gate; with no open, a tailgating alarm.
  Effects on_passage(Now now);

  // Staff confirm (resolves a pending staff check) or staff open (a recorded manual open).
  // `mode` is the health mode in force, for the staff_open record.
  Effects on_staff(hal::StaffCommand command, core::HealthMode mode, Now now);

  // The emergency input changed level.
  Effects on_emergency(bool active, Now now);

  // One reason to be out of service starts (on) or ends. The gate is out of service while any
  // holds: an idle screen changes at once (out of service, its detail line naming every reason),
  // a result on the display keeps it until it ends; decisions are then out_of_service (the main
  // loop tells the validator). Setting what already holds changes nothing.
  Effects set_out_of_service(OutOfService cause, bool on, Now now);

  // A standing alarm for station staff starts or ends: "alarm: …" goes on the detail line of
  // every screen (idle, results, out of service) while any holds. The gate decides as before.
  Effects set_alarm(StaffAlarm alarm, bool on, Now now);

  // Timeouts. Call every loop iteration.
  Effects on_tick(Now now);

  // The journal cannot take records: the gate closes and shows out of service (journal_failing;
  // an emergency opening stays open: people's safety does not wait for a disk).
  Effects on_journal_failure(Now now);

  // Whether a new tap or scan may be read and decided now (during an emergency it is decided and
  // recorded as emergency_open; while open or waiting for staff it is held back).
  bool ready_for_taps() const {
    return phase_ == GatePhase::idle || phase_ == GatePhase::showing ||
           phase_ == GatePhase::emergency;
  }
  GatePhase phase() const { return phase_; }
  bool out_of_service() const { return !causes_.empty(); }
  const Conditions<OutOfService>& out_of_service_causes() const { return causes_; }
  const Conditions<StaffAlarm>& alarms() const { return alarms_; }
  const hal::IndicatorState& shown() const { return shown_; }

 private:
  Effects go_idle(Effects effects);
  core::GateEvent event(core::EventKind kind, Now now) const;
  void show(Effects& effects, hal::IndicatorState state);
  hal::IndicatorState idle_screen() const;

  core::GateContext gate_;
  GateTimings timings_;
  GatePhase phase_ = GatePhase::idle;
  Conditions<OutOfService> causes_;
  Conditions<StaffAlarm> alarms_;
  MonoInstant deadline_{};
  core::DecisionRecord pending_;  // the staff check waiting for confirmation
  hal::IndicatorState shown_;
};

// An event of `kind` at this gate, at `at`.
core::GateEvent gate_event(const core::GateContext& gate, core::EventKind kind, Instant at);

// What the indicator shows for a decision: light, buzzer, texts, and the health colour as detail.
hal::IndicatorState indicator_for(const core::Decision& decision);
hal::IndicatorState idle_indicator();
hal::IndicatorState out_of_service_indicator(std::string detail = {});

}  // namespace gate::control
