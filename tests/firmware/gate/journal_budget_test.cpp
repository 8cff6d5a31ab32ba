// The journal's disk budget as logic alone: a fake journal size, a fake prune that frees what the
// test says, the events it journals and the log lines it writes, on a monotonic time the test
// moves by hand.
#include "firmware/gate/journal_budget.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/support/log_capture.h"

using namespace gate;
using namespace std::chrono_literals;
using control::JournalBudget;
using control::JournalBudgetConfig;
using control::JournalFullPolicy;
using control::JournalSpace;

namespace {

constexpr std::uint64_t kBudget = 100 * 1024;

// A journal as the budget sees it: its size, what a prune frees, and everything that happened in
// order ("measure", "prune", "event journal_full", ...).
struct FakeJournal {
  std::uint64_t used = 0;
  std::uint64_t prunable_bytes = 0;  // what the next prune frees
  std::uint64_t prunable_rows = 0;
  std::uint64_t unacknowledged = 0;
  bool measure_fails = false;
  std::vector<std::string> calls;
  std::vector<core::EventKind> events;

  control::JournalBudgetHooks hooks() {
    control::JournalBudgetHooks h;
    h.used_bytes = [this]() -> Result<std::uint64_t> {
      calls.push_back("measure");
      if (measure_fails) return make_error(Errc::storage_error, "disk I/O error");
      return used;
    };
    h.prune = [this]() -> Result<std::uint64_t> {
      calls.push_back("prune");
      used -= prunable_bytes;
      std::uint64_t rows = prunable_rows;
      prunable_bytes = prunable_rows = 0;
      return rows;
    };
    h.unacknowledged = [this]() -> Result<std::uint64_t> { return unacknowledged; };
    h.record = [this](core::EventKind kind) -> Status {
      calls.push_back("event " + std::string(core::event_kind_name(kind)));
      events.push_back(kind);
      return ok_status();
    };
    return h;
  }
};

JournalBudgetConfig budget(JournalFullPolicy policy = JournalFullPolicy::out_of_service) {
  JournalBudgetConfig c;
  c.max_bytes = kBudget;
  c.policy = policy;
  c.recheck = 5s;
  return c;
}

const MonoInstant kT0 = MonoInstant(1000s);

}  // namespace

TEST_CASE("journal_full_policy names", "[journal_budget]") {
  CHECK(control::journal_full_policy_name(JournalFullPolicy::out_of_service) == "out_of_service");
  CHECK(control::journal_full_policy_name(JournalFullPolicy::alarm) == "alarm");
  CHECK(control::parse_journal_full_policy("alarm") == JournalFullPolicy::alarm);
  CHECK(control::parse_journal_full_policy("out_of_service") == JournalFullPolicy::out_of_service);
  CHECK_FALSE(control::parse_journal_full_policy("Alarm").has_value());
  CHECK_FALSE(control::parse_journal_full_policy("").has_value());
}

TEST_CASE("byte counts in log lines", "[journal_budget]") {
  CHECK(control::format_bytes(0) == "0 B");
  CHECK(control::format_bytes(1023) == "1023 B");
  CHECK(control::format_bytes(1024) == "1.0 KiB");
  CHECK(control::format_bytes(1536) == "1.5 KiB");
  CHECK(control::format_bytes(64ull << 20) == "64.0 MiB");
  CHECK(control::format_bytes(3ull << 30) == "3.0 GiB");
}

TEST_CASE("no budget: the journal is never measured", "[journal_budget]") {
  FakeJournal j;
  j.used = 1ull << 40;
  JournalBudgetConfig c;  // max_bytes 0
  JournalBudget b(c, j.hooks());
  CHECK_FALSE(b.enabled());
  CHECK(b.check(kT0, true) == JournalSpace::ok);
  CHECK(j.calls.empty());
}

TEST_CASE("under the budget: measured after appends only, nothing said", "[journal_budget]") {
  test::LogCapture logs;
  FakeJournal j;
  j.used = kBudget - 1;
  JournalBudget b(budget(), j.hooks());
  CHECK(b.check(kT0, false) == JournalSpace::ok);
  CHECK(j.calls.empty());
  CHECK(b.check(kT0 + 1s, true) == JournalSpace::ok);
  CHECK(j.calls == std::vector<std::string>{"measure"});
  CHECK(j.events.empty());
  CHECK(logs.messages(LogLevel::error, "journal").empty());
}

TEST_CASE("reaching the budget: said loudly, pruned, then out of service until space is freed",
          "[journal_budget]") {
  test::LogCapture logs;
  FakeJournal j;
  j.used = kBudget;  // reaching it is enough
  j.unacknowledged = 1234;
  JournalBudget b(budget(), j.hooks());

  CHECK(b.check(kT0, true) == JournalSpace::out_of_service);
  // In the order: say it, journal it, prune, measure again, then the policy.
  CHECK(j.calls == std::vector<std::string>{"measure", "event journal_full", "prune", "measure"});
  auto errors = logs.messages(LogLevel::error, "journal");
  REQUIRE(errors.size() == 2);
  CHECK(errors[0] ==
        "journal full: 100.0 KiB used, budget 100.0 KiB, 1234 records not yet uploaded (all "
        "kept); pruning acknowledged records");
  CHECK(errors[1] ==
        "journal still full after pruning 0 acknowledged records (100.0 KiB used, budget 100.0 "
        "KiB): gate out of service (journal_full_policy = out_of_service)");

  // More appends while full: nothing more said or journaled, no prune before the recheck.
  j.calls.clear();
  j.used += 4096;
  CHECK(b.check(kT0 + 1s, true) == JournalSpace::out_of_service);
  CHECK(b.check(kT0 + 4999ms, true) == JournalSpace::out_of_service);
  CHECK(j.calls.empty());
  // The recheck: a prune that frees too little keeps the gate out.
  j.prunable_bytes = 2048;
  j.prunable_rows = 3;
  CHECK(b.check(kT0 + 5s, false) == JournalSpace::out_of_service);
  CHECK(j.calls == std::vector<std::string>{"prune", "measure"});
  CHECK(logs.messages(LogLevel::error, "journal").size() == 2);
  CHECK(logs.messages(LogLevel::info, "journal").empty());

  // Uploads acknowledged more; the next recheck frees enough: back, said once, journaled once.
  j.calls.clear();
  j.prunable_bytes = 60 * 1024;  // 100 + 4 - 2 - 60 = 42 KiB left
  j.prunable_rows = 400;
  CHECK(b.check(kT0 + 9s, false) == JournalSpace::out_of_service);  // not yet time
  CHECK(b.check(kT0 + 10s, false) == JournalSpace::ok);
  CHECK(j.calls == std::vector<std::string>{"prune", "measure", "event journal_space_ok"});
  CHECK(j.events == std::vector<core::EventKind>{core::EventKind::journal_full,
                                                 core::EventKind::journal_space_ok});
  auto infos = logs.messages(LogLevel::info, "journal");
  REQUIRE(infos.size() == 1);
  CHECK(infos[0] ==
        "journal back under its budget (42.0 KiB used, budget 100.0 KiB) after pruning 400 "
        "acknowledged records");

  // A new episode is said again.
  j.used = kBudget + 1;
  CHECK(b.check(kT0 + 11s, true) == JournalSpace::out_of_service);
  CHECK(logs.messages(LogLevel::error, "journal").size() == 4);
}

TEST_CASE("the alarm policy keeps deciding while full", "[journal_budget]") {
  test::LogCapture logs;
  FakeJournal j;
  j.used = kBudget + 10;
  JournalBudget b(budget(JournalFullPolicy::alarm), j.hooks());
  CHECK(b.check(kT0, true) == JournalSpace::full_alarm);
  auto errors = logs.messages(LogLevel::error, "journal");
  REQUIRE(errors.size() == 2);
  CHECK(errors[1].find("deciding on with the alarm shown (journal_full_policy = alarm)") !=
        std::string::npos);
  j.prunable_bytes = 20;
  j.prunable_rows = 1;
  CHECK(b.check(kT0 + 5s, false) == JournalSpace::ok);
  CHECK(j.events.back() == core::EventKind::journal_space_ok);
}

TEST_CASE("a prune that frees enough at once ends the episode at once", "[journal_budget]") {
  test::LogCapture logs;
  FakeJournal j;
  j.used = kBudget + 1;
  j.prunable_bytes = 50 * 1024;
  j.prunable_rows = 99;
  JournalBudget b(budget(), j.hooks());
  CHECK(b.check(kT0, true) == JournalSpace::ok);
  CHECK(j.events == std::vector<core::EventKind>{core::EventKind::journal_full,
                                                 core::EventKind::journal_space_ok});
  CHECK(logs.messages(LogLevel::error, "journal").size() == 1);
  CHECK(logs.messages(LogLevel::info, "journal").size() == 1);
}

TEST_CASE("a journal that cannot be measured changes nothing and is said once",
          "[journal_budget]") {
  test::LogCapture logs;
  FakeJournal j;
  j.measure_fails = true;
  JournalBudget b(budget(), j.hooks());
  CHECK(b.check(kT0, true) == JournalSpace::ok);
  CHECK(b.check(kT0 + 1s, true) == JournalSpace::ok);
  CHECK(j.events.empty());
  CHECK(logs.messages(LogLevel::warning, "journal") ==
        std::vector<std::string>{"journal size unknown: disk I/O error"});
  // Measurable again and over: the episode starts as usual.
  j.measure_fails = false;
  j.used = kBudget;
  CHECK(b.check(kT0 + 2s, true) == JournalSpace::out_of_service);
}

TEST_CASE("a failing prune is said and the gate stays out", "[journal_budget]") {
  test::LogCapture logs;
  FakeJournal j;
  j.used = kBudget;
  auto hooks = j.hooks();
  hooks.prune = []() -> Result<std::uint64_t> {
    return make_error(Errc::storage_error, "database is locked");
  };
  JournalBudget b(budget(), std::move(hooks));
  CHECK(b.check(kT0, true) == JournalSpace::out_of_service);
  auto errors = logs.messages(LogLevel::error, "journal");
  REQUIRE(errors.size() == 3);
  CHECK(errors[1] == "journal prune failed: database is locked");
  // Said once an episode, not at every recheck.
  CHECK(b.check(kT0 + 5s, false) == JournalSpace::out_of_service);
  CHECK(b.check(kT0 + 10s, false) == JournalSpace::out_of_service);
  CHECK(logs.messages(LogLevel::error, "journal").size() == 3);
}
