#include "sim/populate/record_lines.h"

#include <charconv>
#include <chrono>
#include <string_view>

#include "firmware/core/json_text.h"

namespace gate::sim {
namespace {

using core::append_json_string;

// Appends `value` in decimal, zero-padded to at least `width` digits.
void append_number(std::string& out, long long value, int width = 1) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value < 0 ? -value : value);
  (void)ec;  // 24 characters always hold a long long
  if (value < 0) out += '-';
  for (auto digits = end - buf; digits < width; ++digits) out += '0';
  out.append(buf, end);
}

// Appends `,"name":` (no comma for the first field of an object, right after '{').
void append_key(std::string& out, std::string_view name) {
  if (out.back() != '{') out += ',';
  append_json_string(out, name);
  out += ':';
}

void append_string_field(std::string& out, std::string_view name, std::string_view value) {
  append_key(out, name);
  append_json_string(out, value);
}

void append_time_field(std::string& out, std::string_view name, Instant t, int offset) {
  append_key(out, name);
  out += '"';
  append_iso_time(out, t, offset);
  out += '"';
}

void append_bool_field(std::string& out, std::string_view name, bool value) {
  append_key(out, name);
  out += value ? "true" : "false";
}

void append_int_field(std::string& out, std::string_view name, long long value) {
  append_key(out, name);
  append_number(out, value);
}

void append_string_array(std::string& out, const std::vector<std::string>& items) {
  out += '[';
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    append_json_string(out, items[i]);
  }
  out += ']';
}

}  // namespace

void append_iso_time(std::string& out, Instant t, int utc_offset_minutes) {
  using namespace std::chrono;
  Instant local = t + minutes(utc_offset_minutes);
  auto day = floor<days>(local);
  year_month_day date(day);
  hh_mm_ss<microseconds> time(local - day);
  append_number(out, static_cast<int>(date.year()), 4);
  out += '-';
  append_number(out, static_cast<unsigned>(date.month()), 2);
  out += '-';
  append_number(out, static_cast<unsigned>(date.day()), 2);
  out += 'T';
  append_number(out, time.hours().count(), 2);
  out += ':';
  append_number(out, time.minutes().count(), 2);
  out += ':';
  append_number(out, time.seconds().count(), 2);
  if (time.subseconds().count() != 0) {
    out += '.';
    append_number(out, time.subseconds().count(), 6);
  }
  if (utc_offset_minutes == 0) {
    out += 'Z';
    return;
  }
  int magnitude = utc_offset_minutes < 0 ? -utc_offset_minutes : utc_offset_minutes;
  out += utc_offset_minutes < 0 ? '-' : '+';
  append_number(out, magnitude / 60, 2);
  out += ':';
  append_number(out, magnitude % 60, 2);
}

void append_binding_line(std::string& out, const core::Binding& b, int offset) {
  out += '{';
  append_string_field(out, "type", "binding");
  append_string_field(out, "credential", b.credential);
  append_string_field(out, "identity", b.identity);
  append_string_field(out, "media", core::media_name(b.media));
  append_string_field(out, "status", core::binding_status_name(b.status));
  append_time_field(out, "since", b.since, offset);
  out += "}\n";
}

void append_health_line(std::string& out, const core::HealthStatus& h, int offset) {
  out += '{';
  append_string_field(out, "type", "health");
  append_string_field(out, "identity", h.identity);
  append_string_field(out, "colour", core::health_colour_name(h.colour));
  append_bool_field(out, "popup", h.popup);
  if (h.last_negative_test) {
    append_time_field(out, "last_negative_test", *h.last_negative_test, offset);
  } else {
    append_key(out, "last_negative_test");
    out += "null";
  }
  append_time_field(out, "as_of", h.as_of, offset);
  out += "}\n";
}

void append_deny_line(std::string& out, const core::DenyEntry& d) {
  out += '{';
  append_string_field(out, "type", "deny");
  append_string_field(out, "credential", d.credential);
  append_string_field(out, "note", d.note);
  out += "}\n";
}

void append_policy_line(std::string& out, const core::PolicyRecord& r, int offset) {
  const core::Policy& p = r.policy;
  out += '{';
  append_string_field(out, "type", "policy");
  append_string_field(out, "id", r.id);
  append_time_field(out, "effective_from", r.effective_from, offset);
  append_key(out, "scope");
  out += "{\"lines\":";
  append_string_array(out, r.scope_lines);
  out += ",\"stations\":";
  append_string_array(out, r.scope_stations);
  out += '}';
  append_string_field(out, "health_mode", core::health_mode_name(p.health_mode));
  append_string_field(out, "not_upgraded", core::not_upgraded_policy_name(p.not_upgraded));
  append_string_field(out, "health_unknown", core::three_way_policy_name(p.health_unknown));
  append_bool_field(out, "block_yellow", p.block_yellow);
  append_string_field(out, "popup", core::popup_policy_name(p.popup));
  append_int_field(out, "test_max_age_hours", p.test_max_age_hours);
  append_int_field(out, "max_cache_age_minutes", p.max_cache_age_minutes);
  append_string_field(out, "stale", core::three_way_policy_name(p.stale));
  append_int_field(out, "anti_passback_minutes", p.anti_passback_minutes);
  append_bool_field(out, "accept_m1", p.accept_m1);
  out += "}\n";
}

void append_issuer_key_line(std::string& out, const core::IssuerKey& k, int offset) {
  out += '{';
  append_string_field(out, "type", "issuer_key");
  append_int_field(out, "issuer_id", k.issuer_id);
  append_int_field(out, "key_id", k.key_id);
  append_string_field(out, "public_key_hex", k.public_key_hex);
  append_time_field(out, "valid_from", k.valid_from, offset);
  append_time_field(out, "valid_until", k.valid_until, offset);
  append_bool_field(out, "revoked", k.revoked);
  out += "}\n";
}

}  // namespace gate::sim
