// The back office's facts as the gate holds them (spec/records.md), in typed form. The cache
// stores them, the JSON Lines loader and (later) the feed produce them, the decision engine reads
// them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "firmware/core/credential.h"
#include "hal/time.h"

namespace gate::core {

enum class BindingStatus { active, lost, blocked, unbound };
enum class HealthColour { green, yellow, red };

struct Binding {
  std::string credential;  // key, see credential.h
  std::string identity;    // opaque token, 1-64 printable ASCII
  Media media = Media::card;
  BindingStatus status = BindingStatus::active;
  Instant since{};
};

struct HealthStatus {
  std::string identity;
  HealthColour colour = HealthColour::green;
  bool popup = false;
  std::optional<Instant> last_negative_test;
  Instant as_of{};
};

enum class HealthMode { off, observe, enforce };
enum class NotUpgradedPolicy { allow, allow_with_prompt, staff_check, deny };
enum class ThreeWayPolicy { allow, staff_check, deny };  // health_unknown, stale
enum class PopupPolicy { staff_check, deny };

// The policy fields of decisions.md. The defaults are the "no policy at all" behaviour:
// health_mode off, not_upgraded allow, no staleness check, no anti-passback, MIFARE accepted.
struct Policy {
  HealthMode health_mode = HealthMode::off;
  NotUpgradedPolicy not_upgraded = NotUpgradedPolicy::allow;
  ThreeWayPolicy health_unknown = ThreeWayPolicy::staff_check;
  bool block_yellow = true;
  PopupPolicy popup = PopupPolicy::staff_check;
  int test_max_age_hours = 0;     // 0 = no test required
  int max_cache_age_minutes = 0;  // 0 = staleness not checked
  ThreeWayPolicy stale = ThreeWayPolicy::staff_check;
  int anti_passback_minutes = 0;  // 0 = off
  bool accept_m1 = true;
  bool operator==(const Policy&) const = default;
};

struct PolicyRecord {
  std::string id;
  Instant effective_from{};
  std::vector<std::string> scope_lines;  // both empty = everywhere
  std::vector<std::string> scope_stations;
  Policy policy;
};

struct IssuerKey {
  std::uint16_t issuer_id = 0;
  std::uint8_t key_id = 0;
  std::string public_key_hex;  // SEC1 uncompressed, 130 lowercase hex digits
  Instant valid_from{};
  Instant valid_until{};
  bool revoked = false;
};

struct DenyEntry {
  std::string credential;
  std::string note;  // never shown to riders
};

std::string_view binding_status_name(BindingStatus status);
std::optional<BindingStatus> parse_binding_status(std::string_view name);
std::string_view health_colour_name(HealthColour colour);
std::optional<HealthColour> parse_health_colour(std::string_view name);
std::string_view health_mode_name(HealthMode mode);
std::optional<HealthMode> parse_health_mode(std::string_view name);
std::string_view not_upgraded_policy_name(NotUpgradedPolicy p);
std::optional<NotUpgradedPolicy> parse_not_upgraded_policy(std::string_view name);
std::string_view three_way_policy_name(ThreeWayPolicy p);
std::optional<ThreeWayPolicy> parse_three_way_policy(std::string_view name);
std::string_view popup_policy_name(PopupPolicy p);
std::optional<PopupPolicy> parse_popup_policy(std::string_view name);

}  // namespace gate::core
