// The journal's disk budget (journal_max_size): a gate whose uploads stall keeps journaling, and a
// journal left to grow would end in a full disk, a journal that cannot take a record and a gate
// closed with no warning. The budget says so earlier and loudly. Records not yet acknowledged by
// the back office are never dropped: on reaching the budget the gate logs an error and journals a
// journal_full event, prunes what the back office already holds, and if that is not enough
// applies the configured policy: out of service, or keep deciding with an alarm on the display.
// When pruning after later uploads brings the journal back under the budget, the gate recovers by
// itself (one info line, a journal_space_ok event).
//
// The logic only: the journal's use, the prune, the record count and the events come through
// hooks, and time through the caller's monotonic clock, so the tests drive it with fakes.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "firmware/core/decision_record.h"
#include "hal/result.h"
#include "hal/time.h"

namespace gate::control {

// journal_full_policy: what a gate does while its journal stays over the budget after pruning.
enum class JournalFullPolicy {
  out_of_service,  // close and show out of service (the default)
  alarm,           // keep deciding; the display's detail line shows the alarm
};
std::string_view journal_full_policy_name(JournalFullPolicy policy);
std::optional<JournalFullPolicy> parse_journal_full_policy(std::string_view name);

// What the gate must do about its journal's space now.
enum class JournalSpace {
  ok,              // under the budget (or no budget)
  full_alarm,      // over it under the alarm policy: decide, show the alarm
  out_of_service,  // over it under the out_of_service policy
};

struct JournalBudgetConfig {
  std::uint64_t max_bytes = 0;  // 0: no budget
  JournalFullPolicy policy = JournalFullPolicy::out_of_service;
  // While over the budget, how often to prune and measure again (uploads acknowledge rows on
  // their own thread; the next prune may free them).
  Duration recheck = std::chrono::seconds(5);
};

struct JournalBudgetHooks {
  std::function<Result<std::uint64_t>()> used_bytes;  // what counts against the budget now
  // Frees acknowledged rows (never others); how many it removed.
  std::function<Result<std::uint64_t>()> prune;
  std::function<Result<std::uint64_t>()> unacknowledged;  // records not yet uploaded: a count
  std::function<Status(core::EventKind)> record;          // journals journal_full / _space_ok
};

// "12.5 MiB", "812 B": byte counts for log lines.
std::string format_bytes(std::uint64_t bytes);

class JournalBudget {
 public:
  JournalBudget(JournalBudgetConfig config, JournalBudgetHooks hooks);

  // Call on the loop thread after each iteration; `appended` says whether the journal took a
  // record since the last call. Under the budget the journal's use is measured only after
  // appends; over it, every `recheck` (prune, measure). Returns the state the gate must show.
  JournalSpace check(MonoInstant now, bool appended);

  JournalSpace state() const { return state_; }
  bool enabled() const { return config_.max_bytes > 0; }

 private:
  void reach(std::uint64_t used, MonoInstant now);
  void recover(std::uint64_t used, std::uint64_t pruned);
  std::optional<std::uint64_t> measure();
  std::uint64_t prune();

  JournalBudgetConfig config_;
  JournalBudgetHooks hooks_;
  JournalSpace state_ = JournalSpace::ok;
  MonoInstant next_check_{};
  bool measure_failed_ = false;  // logged once until a measurement works again
  bool prune_failed_ = false;    // logged once until a prune works again
};

}  // namespace gate::control
