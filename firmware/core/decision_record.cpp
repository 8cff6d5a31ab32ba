#include "firmware/core/decision_record.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>

#include "firmware/core/json_text.h"
#include "firmware/core/name_table.h"

namespace gate::core {
namespace {

constexpr std::pair<EventKind, std::string_view> kEventKindNames[] = {
    {EventKind::startup, "startup"},
    {EventKind::staff_confirm, "staff_confirm"},
    {EventKind::staff_check_timeout, "staff_check_timeout"},
    {EventKind::emergency_on, "emergency_on"},
    {EventKind::emergency_off, "emergency_off"},
    {EventKind::tailgating, "tailgating"},
    {EventKind::passage_timeout, "passage_timeout"},
    {EventKind::reader_down, "reader_down"},
    {EventKind::reader_up, "reader_up"},
    {EventKind::sync_success, "sync_success"},
    {EventKind::sync_failure, "sync_failure"},
    {EventKind::journal_full, "journal_full"},
    {EventKind::journal_space_ok, "journal_space_ok"},
    {EventKind::sensor_stuck, "sensor_stuck"},
    {EventKind::sensor_ok, "sensor_ok"},
    {EventKind::barrier_fault, "barrier_fault"},
    {EventKind::barrier_ok, "barrier_ok"},
    {EventKind::clock_jump, "clock_jump"},
    {EventKind::clock_behind, "clock_behind"},
    {EventKind::clock_ok, "clock_ok"},
    {EventKind::journal_recovered, "journal_recovered"},
};

// Appends `"name":"value"` (value escaped), preceded by a comma unless it is the first field.
void append_field(std::string& out, std::string_view name, std::string_view value) {
  if (out.size() > 1) out += ',';
  append_json_string(out, name);
  out += ':';
  append_json_string(out, value);
}

}  // namespace

std::string_view event_kind_name(EventKind kind) {
  return name_of(kEventKindNames, kind);
}
std::optional<EventKind> parse_event_kind(std::string_view name) {
  return value_of(kEventKindNames, name);
}

std::string format_utc_millis(Instant t) {
  using namespace std::chrono;
  // Clamped to the four-digit years of ISO 8601 (this also keeps floor() below from overflowing).
  static constexpr Instant kFirst = sys_days(year(0) / January / 1);
  static constexpr Instant kLast = sys_days(year(10000) / January / 1) - microseconds(1);
  t = std::clamp(t, kFirst, kLast);
  // floor, not truncation toward zero, so that instants before 1970 still get the right date.
  auto ms = floor<milliseconds>(t);
  auto day = floor<days>(ms);
  year_month_day date(day);
  hh_mm_ss<milliseconds> time(ms - day);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<int>(time.hours().count()),
                static_cast<int>(time.minutes().count()), static_cast<int>(time.seconds().count()),
                static_cast<int>(time.subseconds().count()));
  return buf;
}

std::string to_json_line(const DecisionRecord& record, bool include_latency) {
  const Decision& d = record.decision;
  std::string out = "{";
  append_field(out, "ts", format_utc_millis(record.ts));
  append_field(out, "gate", record.gate);
  append_field(out, "direction", direction_name(record.direction));
  append_field(out, "media", media_name(d.media));
  append_field(out, "credential", mask_credential(record.credential));
  append_field(out, "outcome", outcome_name(d.outcome));
  append_field(out, "reason", reason_name(d.reason));
  append_field(out, "health", health_seen_name(d.health));
  append_field(out, "mode", health_mode_name(d.mode));
  if (include_latency) {
    out += ",\"latency_us\":";
    out += std::to_string(record.latency_us);
  }
  out += '}';
  return out;
}

std::string to_json_line(const GateEvent& event) {
  std::string out = "{";
  append_field(out, "ts", format_utc_millis(event.ts));
  append_field(out, "gate", event.gate);
  append_field(out, "direction", direction_name(event.direction));
  append_field(out, "event", event_kind_name(event.kind));
  if (!event.credential.empty()) append_field(out, "credential", mask_credential(event.credential));
  if (event.reason) append_field(out, "reason", reason_name(*event.reason));
  out += '}';
  return out;
}

}  // namespace gate::core
