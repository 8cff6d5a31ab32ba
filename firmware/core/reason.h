// Outcomes and reasons of spec/decisions.md: stable names (logs, journal, simulator output, tests)
// and the display texts in Chinese and English.
#pragma once

#include <optional>
#include <string_view>

namespace gate::core {

enum class Outcome { open, deny, staff_check };

enum class Reason {
  ok,
  ok_observe,
  ok_not_upgraded,
  not_upgraded,
  card_lost,
  card_blocked,
  card_expired,
  health_red,
  health_yellow,
  health_popup,
  health_test_overdue,
  health_unknown,
  code_malformed,
  code_unknown_key,
  code_key_revoked,
  code_bad_signature,
  code_cert_expired,
  code_expired,
  code_not_yet_valid,
  code_replayed,
  already_inside,
  multiple_cards,
  read_error,
  unsupported_card,
  cache_stale,
  emergency_open,
  out_of_service,
  staff_open,
};
inline constexpr int kReasonCount = static_cast<int>(Reason::staff_open) + 1;

std::string_view outcome_name(Outcome outcome);
std::optional<Outcome> parse_outcome(std::string_view name);
std::string_view reason_name(Reason reason);
std::optional<Reason> parse_reason(std::string_view name);

// The display text of decisions.md for `reason`. For ok_observe the text has a `%s` where the
// health colour goes (see display_text in decision.h for the finished text).
struct DisplayText {
  std::string_view zh;
  std::string_view en;
};
DisplayText reason_text(Reason reason);

}  // namespace gate::core
