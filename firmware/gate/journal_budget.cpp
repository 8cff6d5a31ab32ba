#include "firmware/gate/journal_budget.h"

#include <cstdio>
#include <utility>

#include "firmware/core/name_table.h"
#include "hal/log.h"

namespace gate::control {
namespace {

constexpr std::string_view kTag = "journal";

constexpr std::pair<JournalFullPolicy, std::string_view> kPolicyNames[] = {
    {JournalFullPolicy::out_of_service, "out_of_service"},
    {JournalFullPolicy::alarm, "alarm"},
};

std::string budget_text(std::uint64_t used, std::uint64_t budget) {
  return format_bytes(used) + " used, budget " + format_bytes(budget);
}

}  // namespace

std::string_view journal_full_policy_name(JournalFullPolicy policy) {
  return core::name_of(kPolicyNames, policy);
}
std::optional<JournalFullPolicy> parse_journal_full_policy(std::string_view name) {
  return core::value_of(kPolicyNames, name);
}

std::string format_bytes(std::uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024.0;
  std::size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < std::size(units)) {
    value /= 1024.0;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", value, units[unit]);
  return buf;
}

JournalBudget::JournalBudget(JournalBudgetConfig config, JournalBudgetHooks hooks)
    : config_(config), hooks_(std::move(hooks)) {}

std::optional<std::uint64_t> JournalBudget::measure() {
  Result<std::uint64_t> used = hooks_.used_bytes();
  if (!used.ok()) {
    // Not knowing the use changes nothing: the gate keeps its state, and a journal that really
    // fails shows at the next append.
    if (!measure_failed_) {
      log(LogLevel::warning, kTag, "journal size unknown: " + used.error().message);
    }
    measure_failed_ = true;
    return std::nullopt;
  }
  measure_failed_ = false;
  return *used;
}

std::uint64_t JournalBudget::prune() {
  Result<std::uint64_t> pruned = hooks_.prune();
  if (!pruned.ok()) {
    if (!prune_failed_)
      log(LogLevel::error, kTag, "journal prune failed: " + pruned.error().message);
    prune_failed_ = true;
    return 0;
  }
  prune_failed_ = false;
  return *pruned;
}

void JournalBudget::reach(std::uint64_t used, MonoInstant now) {
  // A count, never contents: the records hold full credential keys.
  Result<std::uint64_t> waiting = hooks_.unacknowledged();
  std::string count = waiting.ok() ? std::to_string(*waiting) : "an unknown number of";
  log(LogLevel::error, kTag,
      "journal full: " + budget_text(used, config_.max_bytes) + ", " + count +
          " records not yet uploaded (all kept); pruning acknowledged records");
  (void)hooks_.record(core::EventKind::journal_full);
  std::uint64_t pruned = prune();
  std::optional<std::uint64_t> after = measure();
  if (after && *after < config_.max_bytes) {
    recover(*after, pruned);
    return;
  }
  state_ = config_.policy == JournalFullPolicy::alarm ? JournalSpace::full_alarm
                                                      : JournalSpace::out_of_service;
  next_check_ = now + config_.recheck;
  log(LogLevel::error, kTag,
      "journal still full after pruning " + std::to_string(pruned) + " acknowledged records (" +
          budget_text(after.value_or(used), config_.max_bytes) + "): " +
          (state_ == JournalSpace::full_alarm ? "deciding on with the alarm shown"
                                              : "gate out of service") +
          " (journal_full_policy = " + std::string(journal_full_policy_name(config_.policy)) + ")");
}

void JournalBudget::recover(std::uint64_t used, std::uint64_t pruned) {
  state_ = JournalSpace::ok;
  log(LogLevel::info, kTag,
      "journal back under its budget (" + budget_text(used, config_.max_bytes) +
          ") after pruning " + std::to_string(pruned) + " acknowledged records");
  (void)hooks_.record(core::EventKind::journal_space_ok);
}

JournalSpace JournalBudget::check(MonoInstant now, bool appended) {
  if (!enabled()) return state_;
  if (state_ == JournalSpace::ok) {
    if (!appended) return state_;
    std::optional<std::uint64_t> used = measure();
    if (used && *used >= config_.max_bytes) reach(*used, now);
    return state_;
  }
  // Over the budget: appends go on (nothing is dropped), so they do not trigger anything; the
  // periodic prune is what can bring the journal back.
  if (now < next_check_) return state_;
  next_check_ = now + config_.recheck;
  std::uint64_t pruned = prune();
  std::optional<std::uint64_t> used = measure();
  if (used && *used < config_.max_bytes) recover(*used, pruned);
  return state_;
}

}  // namespace gate::control
