// The decision engine: spec/decisions.md as a pure function of (what was presented, what the cache
// says about it, the policy in force, the gate, the time). No I/O, no clock reads, no allocation
// beyond the Decision it returns.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "firmware/core/credential.h"
#include "firmware/core/gate_context.h"
#include "firmware/core/reason.h"
#include "firmware/core/records.h"
#include "hal/time.h"

namespace gate::core {

// What the reader or scanner handed up for one tap or scan.
struct Presentation {
  bool emergency = false;       // row 1: emergency input active
  bool out_of_service = false;  // row 2: no usable cache, reader down
  // Row 3: the card read or the code check failed with this reason (read_error, multiple_cards,
  // unsupported_card, code_*). When set, `credential` may be empty.
  std::optional<Reason> read_failure;
  std::string credential;  // full key (credential.h)
  // Card application's last valid day (cards.md), compared with the gate's local date. Not set
  // for ride codes and MIFARE Classic cards.
  std::optional<std::chrono::year_month_day> valid_until;
};

// What the cache and the gate's own memory know about the presented credential.
struct CacheFacts {
  std::optional<Binding> binding;          // absent: never upgraded
  bool denied = false;                     // on the deny list
  std::optional<HealthStatus> health;      // of the binding's identity
  std::optional<Instant> last_good_sync;   // absent: never synced (counts as stale when checked)
  std::optional<Instant> last_entry_here;  // last open entry of this credential at this station
};

// What the health check saw, as the record's `health` field has it.
enum class HealthSeen { green, yellow, red, unknown, not_checked };
std::string_view health_seen_name(HealthSeen health);  // "green" … "unknown", "n/a"

struct Decision {
  Outcome outcome = Outcome::deny;
  Reason reason = Reason::read_error;
  Media media = Media::none;
  HealthSeen health = HealthSeen::not_checked;
  HealthMode mode = HealthMode::off;  // health_mode of the policy in force
  bool upgrade_prompt = false;        // ok_not_upgraded under allow_with_prompt
};

// Applies the decision table of decisions.md top to bottom. `policy` is the one in force (see
// policy.h). Media: from the binding when there is one, else from the key (`m1:` → m1, `qr:` → qr,
// else card), `none` without a credential.
Decision decide(const Presentation& presented, const CacheFacts& facts, const Policy& policy,
                const GateContext& gate, Instant now);

// The display text for a decision (zh, en): the reason's text, with the health colour filled in
// for ok_observe, and 请通行 / Please pass for ok_not_upgraded without the upgrade prompt.
struct FinishedText {
  std::string zh;
  std::string en;
};
FinishedText display_text(const Decision& decision);

}  // namespace gate::core
