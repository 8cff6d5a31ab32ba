// The gate state machine: what the relay and the indicator do after a decision, a passage, a staff
// command, the emergency input or a timeout. Pure: every input carries the time, every output is
// returned as Effects for the main loop to carry out (records first, made durable, then the relay,
// then the indicator).
#pragma once

#include <optional>
#include <string>
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

  // The gate became (un)usable: no usable cache, reader down past its grace, journal failing or
  // over its disk budget. `detail` goes on the out-of-service screen's second line when it says
  // more than the headline (the journal full), empty otherwise.
  Effects on_out_of_service(bool out, Now now, std::string detail = {});

  // A standing alarm for station staff (the journal over its budget under journal_full_policy =
  // alarm): its text goes on the detail line of the idle screen and of every result while it is
  // set; empty clears it. The gate decides as before.
  Effects set_alarm(std::string alarm, Now now);

  // Timeouts. Call every loop iteration.
  Effects on_tick(Now now);

  // The journal cannot take records: the gate closes and shows out of service (an emergency
  // opening stays open: people's safety does not wait for a disk).
  Effects on_journal_failure(Now now);

  // Whether a new tap or scan may be read and decided now (during an emergency it is decided and
  // recorded as emergency_open; while open or waiting for staff it is held back).
  bool ready_for_taps() const {
    return phase_ == GatePhase::idle || phase_ == GatePhase::showing ||
           phase_ == GatePhase::emergency;
  }
  GatePhase phase() const { return phase_; }
  bool out_of_service() const { return out_of_service_; }
  const hal::IndicatorState& shown() const { return shown_; }

 private:
  Effects go_idle(Effects effects);
  core::GateEvent event(core::EventKind kind, Now now) const;
  void show(Effects& effects, hal::IndicatorState state);

  core::GateContext gate_;
  GateTimings timings_;
  GatePhase phase_ = GatePhase::idle;
  bool out_of_service_ = false;
  std::string out_of_service_detail_;
  std::string alarm_;
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
