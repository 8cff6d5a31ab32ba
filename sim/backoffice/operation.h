// The reference back office's input: upgrade operations as JSON Lines, one per line (README,
// "gate-backoffice"). Parsing checks every field as the record loader checks records; the rules
// that need the registry's state (S5, S6, S8, S11) are checked when the registry applies them.
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firmware/core/credential.h"
#include "firmware/store/cache.h"
#include "hal/result.h"
#include "hal/time.h"

namespace gate::backoffice {

enum class OpKind {
  bind,
  unbind,
  report_lost,
  refund,
  health,
  issuer_key_add,
  issuer_key_revoke,
  deny,
  undeny,
  policy
};

std::string_view op_kind_name(OpKind kind);

struct Operation {
  std::size_t line = 0;  // 1-based line of the operations file, for messages
  OpKind kind = OpKind::bind;
  std::string credential;  // bind, unbind, report_lost, refund, undeny
  std::string identity;    // bind
  std::string by;          // bind: who does the upgrade
  core::Media media = core::Media::card;
  Instant at{};                              // bind, unbind, report_lost, refund
  std::uint16_t issuer_id = 0;               // issuer_key_revoke
  std::uint8_t key_id = 0;                   // issuer_key_revoke
  std::optional<store::CacheChange> record;  // health, issuer_key_add, deny, policy: the record
};

// Parses one line (1-based `line_no`). Errors are Errc::malformed "line N: field F: what" (or
// "line N: what"), as the record loader words them; a credential whose prefix does not fit `media`
// is refused here.
Result<Operation> parse_operation_line(std::string_view text, std::size_t line_no);

// Parses a whole stream (blank lines skipped); stops at the first bad line.
Result<std::vector<Operation>> parse_operations(std::istream& in);

}  // namespace gate::backoffice
