// Writes typed cache records (firmware/core/records.h) as spec/records.md JSON lines, fields in the
// order of records.md, times as local time with an explicit offset ("2022-05-23T05:00:00+08:00").
// Built for speed: each function appends to a caller's buffer, which can be reused line after line.
#pragma once

#include <string>

#include "firmware/core/records.h"
#include "hal/time.h"

namespace gate::sim {

// Appends `t` as ISO 8601 in the zone `utc_offset_minutes` east of UTC (|offset| < 24 h), with a
// fraction of 6 digits only when `t` is not a whole second.
void append_iso_time(std::string& out, Instant t, int utc_offset_minutes);

// Each appends one record line, ending in '\n'.
void append_binding_line(std::string& out, const core::Binding& binding, int utc_offset_minutes);
void append_health_line(std::string& out, const core::HealthStatus& health, int utc_offset_minutes);
void append_deny_line(std::string& out, const core::DenyEntry& deny);
void append_policy_line(std::string& out, const core::PolicyRecord& policy, int utc_offset_minutes);
void append_issuer_key_line(std::string& out, const core::IssuerKey& key, int utc_offset_minutes);

}  // namespace gate::sim
