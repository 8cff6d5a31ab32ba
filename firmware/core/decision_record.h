// The decision record of decisions.md and the gate events beside it: what the journal keeps and
// what the simulator prints as JSON lines.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "firmware/core/decision.h"
#include "firmware/core/gate_context.h"
#include "hal/time.h"

namespace gate::core {

struct DecisionRecord {
  Instant ts{};
  std::string gate;  // "L1-S07-G03"
  Direction direction = Direction::entry;
  std::string credential;  // FULL key (journal only); printed masked; empty for media none
  Decision decision;
  std::int64_t latency_us = 0;
};

// Things that happen at a gate besides decisions. Events that concern a credential (staff
// confirm, staff check timeout) carry its full key and the pending decision's reason.
enum class EventKind {
  startup,
  staff_confirm,        // staff confirmed a pending staff_check: the gate opens
  staff_check_timeout,  // nobody confirmed in time: counts as deny
  emergency_on,
  emergency_off,
  tailgating,       // a passage with no open
  passage_timeout,  // the gate opened but nobody passed before the timeout
  reader_down,
  reader_up,
  sync_success,      // the feed syncer brought the cache up to date (or found it current)
  sync_failure,      // a sync failed or was refused; the gate decides on the cache it has
  journal_full,      // the journal reached its disk budget (journal_max_size)
  journal_space_ok,  // back under the budget once acknowledged records were pruned
  // Standing faults of the gate itself (issue #8), each journaled when it starts and when it
  // clears; the record's ts is the wall clock at that moment.
  sensor_stuck,       // the passage sensor's beam blocked past sensor_stuck_after: out of service
  sensor_ok,          // the beam clear again
  barrier_fault,      // the barrier's position disagrees with the relay past relay_confirm_timeout
  barrier_ok,         // it agrees again
  clock_jump,         // the wall clock stepped (ts: the new time)
  clock_behind,       // the wall clock is behind the journal's last record: out of service
  clock_ok,           // caught up with it again
  journal_recovered,  // an append works again after failures (the periodic retry's record)
};
std::string_view event_kind_name(EventKind kind);
std::optional<EventKind> parse_event_kind(std::string_view name);

struct GateEvent {
  Instant ts{};
  std::string gate;
  Direction direction = Direction::entry;
  EventKind kind = EventKind::startup;
  std::string credential;        // full key or empty
  std::optional<Reason> reason;  // the pending decision's reason, if any
};

// ISO 8601 UTC with milliseconds, "2022-05-23T05:00:01.234Z".
std::string format_utc_millis(Instant t);

// One JSON object on one line, no trailing newline, fields in the order of decisions.md:
// {"ts","gate","direction","media","credential"(masked),"outcome","reason","health","mode",
//  "latency_us"}. With `include_latency` false the latency field is left out (for comparisons).
std::string to_json_line(const DecisionRecord& record, bool include_latency = true);
// {"ts","gate","direction","event","credential"(masked, only if set),"reason"(only if set)}.
std::string to_json_line(const GateEvent& event);

}  // namespace gate::core
