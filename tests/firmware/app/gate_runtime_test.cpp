// GateRuntime with the real journal on disk and the simulated devices: the journal's disk budget
// (a budget of 96 KiB reached by tailgating events, each one append), both policies and
// the recovery once a prune frees space; a real disk full (SQLite's max_page_count) still closing
// the gate; and a board configuration without a journal secret refused at start.
#include "firmware/app/gate_runtime.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "firmware/store/record_loader.h"
#include "sim/cards/card_factory.h"
#include "sim/gate_sim/sim_gate.h"
#include "tests/support/log_capture.h"
#include "tests/support/temp_dir.h"

using namespace gate;
using namespace std::chrono_literals;

namespace {

// 05:00 on 23 May 2022 in Beijing.
const Instant kFirstTrain = Instant(std::chrono::seconds(1653253200));

// A card reported lost: every tap is decided (card_lost, a deny) and journaled.
constexpr const char* kLostCard = "tu:3105170010170907984";
constexpr const char* kRecords = R"(
{"type":"binding","credential":"tu:3105170010170907984","identity":"id-1","media":"card","status":"lost","since":"2022-05-17T09:12:00+08:00"}
)";

// Well above what a new journal uses (its schema: a few 4 KiB pages), reached after a few hundred
// tailgating events (a few hundred bytes each, with the index).
constexpr std::uint64_t kBudget = 96 * 1024;

struct BudgetGate {
  test::TempDir dir;
  app::Config config;
  std::vector<store::JournalEntry> entries;  // as the observer saw them, in order
  std::unique_ptr<sim::SimGate> gate;

  explicit BudgetGate(control::JournalFullPolicy policy, std::uint64_t budget = kBudget) {
    config.gate = *core::parse_gate_spec("L1:S07:G03:entry");
    config.cache_path = dir.file("cache.db");
    config.journal_path = dir.file("journal.db");
    config.journal_budget.max_bytes = budget;
    config.journal_budget.policy = policy;
    std::ofstream(dir.file("records.jsonl")) << kRecords;
    REQUIRE(
        store::load_records_file(dir.file("records.jsonl"), config.cache_path, kFirstTrain).ok());
    start();
  }

  // Starts the gate (again, after a restart: the same journal file, the time where the last run
  // left it, as a clock that is right would be) and runs one iteration.
  void start() {
    const Instant at = gate ? gate->clock().wall_now() : kFirstTrain;
    gate.reset();
    auto made = sim::SimGate::create(
        config, at, [this](std::uint64_t, const store::JournalEntry& e) { entries.push_back(e); });
    REQUIRE(made.ok());
    gate = std::move(*made);
    REQUIRE(gate->step().ok());
  }

  app::GateRuntime& runtime() { return gate->runtime(); }
  hal::IndicatorState shown() { return gate->indicator().current(); }

  // One passage with no open: a tailgating event, one append; then the alarm's display time.
  void tailgate() {
    gate->mechanism().add_passages(1);
    REQUIRE(gate->advance(2100ms).ok());
  }
  // Tailgates until the journal is over its budget (at most `limit` times).
  void fill(int limit = 2000) {
    for (int i = 0; i < limit && runtime().journal_space() == control::JournalSpace::ok; ++i) {
      tailgate();
    }
    REQUIRE(runtime().journal_space() != control::JournalSpace::ok);
  }
  // The lost card tapped: a decision, shown for result_display.
  core::DecisionRecord tap() {
    std::size_t before = entries.size();
    gate->field().place_many({sim::make_card_for_key(kLostCard)});
    REQUIRE(gate->advance(200ms).ok());
    gate->field().remove_all();
    REQUIRE(entries.size() > before);
    const auto* d = std::get_if<core::DecisionRecord>(&entries.back());
    REQUIRE(d != nullptr);
    return *d;
  }

  std::size_t count(core::EventKind kind) const {
    std::size_t n = 0;
    for (const auto& e : entries) {
      const auto* ev = std::get_if<core::GateEvent>(&e);
      n += ev && ev->kind == kind;
    }
    return n;
  }

  // Every row the journal holds, by sequence number.
  std::vector<store::JournalRow> rows() {
    auto read = runtime().journal().read();
    REQUIRE(read.ok());
    return std::move(read).value();
  }

  // The collector acknowledged every row up to `seq` (as the uploader records it).
  void acknowledge(std::uint64_t seq) { REQUIRE(runtime().journal().acknowledge(seq).ok()); }
};

// Rows 1..n, each the entry the observer saw at that place: nothing dropped, nothing reordered.
void check_all_kept(BudgetGate& g) {
  auto rows = g.rows();
  REQUIRE(rows.size() == g.entries.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    CHECK(rows[i].seq == i + 1);
    CHECK(store::canonical_json(rows[i].entry) == store::canonical_json(g.entries[i]));
  }
}

bool any_contains(const std::vector<std::string>& lines, std::string_view needle) {
  for (const auto& l : lines) {
    if (l.find(needle) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE(
    "journal budget, out_of_service: the gate closes, keeps every record, and comes back "
    "once acknowledged rows are pruned",
    "[gate_runtime][journal_budget]") {
  test::LogCapture logs;
  BudgetGate g(control::JournalFullPolicy::out_of_service);
  CHECK(g.shown() == control::idle_indicator());
  CHECK(g.tap().decision.reason == core::Reason::card_lost);  // a full key in the journal
  REQUIRE(g.gate->advance(2s).ok());

  g.fill();
  CHECK(g.runtime().journal_space() == control::JournalSpace::out_of_service);
  CHECK(g.shown() == control::out_of_service_indicator("journal full"));
  CHECK(g.shown().text_en == "Out of service");
  CHECK(g.shown().text_zh == "暂停服务");
  CHECK(g.count(core::EventKind::journal_full) == 1);
  auto errors = logs.messages(LogLevel::error, "journal");
  REQUIRE(errors.size() == 2);
  // The count of records not uploaded (nothing is acknowledged yet: all of them), never contents.
  const std::size_t held = g.rows().size() - 1;  // journal_full is appended after the line
  CHECK(errors[0].rfind("journal full: ", 0) == 0);
  CHECK(any_contains(errors, std::to_string(held) + " records not yet uploaded"));
  CHECK(errors[1].find("gate out of service (journal_full_policy = out_of_service)") !=
        std::string::npos);
  CHECK_FALSE(any_contains(errors, "3105170010170907984"));
  CHECK_FALSE(any_contains(errors, "7984"));
  check_all_kept(g);

  // Out of service, the gate still decides and journals every tap: nothing is dropped, and the
  // relay stays closed.
  CHECK(g.tap().decision.reason == core::Reason::out_of_service);
  CHECK_FALSE(g.gate->mechanism().relay_open());
  REQUIRE(g.gate->advance(10s).ok());  // rechecks: nothing pruned yet, still out
  CHECK(g.runtime().journal_space() == control::JournalSpace::out_of_service);
  CHECK(logs.messages(LogLevel::error, "journal").size() == 2);  // said once an episode
  check_all_kept(g);

  // The collector acknowledged all but the last two rows: the next recheck prunes them (retention
  // or not) and the gate is back by itself.
  const std::uint64_t acked = g.rows().back().seq - 2;
  g.acknowledge(acked);
  REQUIRE(g.gate->advance(5s).ok());
  CHECK(g.runtime().journal_space() == control::JournalSpace::ok);
  CHECK(g.shown() == control::idle_indicator());
  CHECK(g.count(core::EventKind::journal_space_ok) == 1);
  auto infos = logs.messages(LogLevel::info, "journal");
  REQUIRE(infos.size() == 1);
  CHECK(infos[0].rfind("journal back under its budget", 0) == 0);
  CHECK(infos[0].find("after pruning " + std::to_string(acked) + " acknowledged records") !=
        std::string::npos);
  // Exactly the unacknowledged rows are left, and the journal goes on after them.
  auto rows = g.rows();
  REQUIRE(rows.size() == g.entries.size() - acked);
  CHECK(rows.front().seq == acked + 1);
  CHECK(rows.back().seq == g.entries.size());
  CHECK(g.tap().decision.reason == core::Reason::card_lost);
}

TEST_CASE("journal budget, alarm: the gate keeps deciding with the alarm on the display",
          "[gate_runtime][journal_budget]") {
  test::LogCapture logs;
  BudgetGate g(control::JournalFullPolicy::alarm);
  g.fill();
  CHECK(g.runtime().journal_space() == control::JournalSpace::full_alarm);
  REQUIRE(g.gate->advance(3s).ok());
  // Idle: the idle screen with the alarm on its detail line.
  hal::IndicatorState idle_alarm = control::idle_indicator();
  idle_alarm.detail = "alarm: journal full";
  CHECK(g.shown() == idle_alarm);
  // A result: the decision's own screen, the alarm on its detail line too.
  core::DecisionRecord d = g.tap();
  CHECK(d.decision.reason == core::Reason::card_lost);
  hal::IndicatorState result = control::indicator_for(d.decision);
  CHECK(g.shown().text_en == result.text_en);
  CHECK(g.shown().light == hal::Light::red);
  CHECK(g.shown().detail.find("alarm: journal full") != std::string::npos);
  auto errors = logs.messages(LogLevel::error, "journal");
  REQUIRE(errors.size() == 2);
  CHECK(errors[1].find("deciding on with the alarm shown (journal_full_policy = alarm)") !=
        std::string::npos);
  check_all_kept(g);

  g.acknowledge(g.rows().back().seq);
  REQUIRE(g.gate->advance(5s).ok());
  CHECK(g.runtime().journal_space() == control::JournalSpace::ok);
  CHECK(g.shown() == control::idle_indicator());
  CHECK(g.count(core::EventKind::journal_space_ok) == 1);
  CHECK(logs.messages(LogLevel::info, "journal").size() == 1);
}

TEST_CASE("a gate restarted over its budget says so and closes at its first iteration",
          "[gate_runtime][journal_budget]") {
  test::LogCapture logs;
  BudgetGate g(control::JournalFullPolicy::out_of_service);
  g.fill();
  g.start();  // a restart: the journal is as full as it was
  CHECK(g.runtime().journal_space() == control::JournalSpace::out_of_service);
  CHECK(g.shown() == control::out_of_service_indicator("journal full"));
  CHECK(g.count(core::EventKind::journal_full) == 2);  // the first episode's, the restart's
  CHECK(logs.messages(LogLevel::error, "journal").size() == 4);
  check_all_kept(g);
}

TEST_CASE("a real disk full (SQLITE_FULL) still closes the gate, even under the alarm policy",
          "[gate_runtime][journal_budget]") {
  test::LogCapture logs;
  BudgetGate g(control::JournalFullPolicy::alarm, std::uint64_t{1} << 30);
  // SQLite's own limit on the file stands in for a full disk: the append that needs a new page
  // fails with SQLITE_FULL, as on a full file system.
  sqlite3* db = g.runtime().journal().db();
  REQUIRE(sqlite3_exec(db, "PRAGMA max_page_count = 1", nullptr, nullptr, nullptr) == SQLITE_OK);
  Status failed = ok_status();
  for (int i = 0; i < 500 && failed.ok(); ++i) {
    g.gate->mechanism().add_passages(1);
    failed = g.gate->step();
    if (failed.ok()) REQUIRE(g.gate->advance(2100ms).ok());
  }
  REQUIRE_FALSE(failed.ok());
  CHECK(g.shown() == control::out_of_service_indicator("journal failing"));
  CHECK_FALSE(g.gate->mechanism().relay_open());
  CHECK(any_contains(logs.messages(LogLevel::error, "gate"), "journal append failed"));
  check_all_kept(g);  // the failed append left nothing half-written

  // Room again: the next record goes in and the gate is back.
  REQUIRE(sqlite3_exec(db, "PRAGMA max_page_count = 1000000", nullptr, nullptr, nullptr) ==
          SQLITE_OK);
  CHECK(g.tap().decision.reason == core::Reason::out_of_service);  // decided while still out
  REQUIRE(g.gate->advance(3s).ok());
  CHECK(g.shown() == control::idle_indicator());
  CHECK(any_contains(logs.messages(LogLevel::info, "gate"), "journal writable again"));
}

TEST_CASE("a board configuration without a journal secret does not start", "[gate_runtime]") {
  test::TempDir dir;
  app::Config config;
  config.gate = *core::parse_gate_spec("L1:S07:G03:entry");
  config.cache_path = dir.file("cache.db");
  config.journal_path = dir.file("journal.db");
  sim::SimClock clock(kFirstTrain);
  sim::SimCardReader reader(clock);
  sim::SimGateMechanism mechanism(clock);
  sim::SimIndicator indicator(clock);
  sim::SimWatchdog watchdog(clock, 10s);
  control::Devices devices{clock, reader, nullptr, mechanism, indicator, nullptr, watchdog};
  auto started = app::GateRuntime::start(config, devices, config.loop, kFirstTrain);
  REQUIRE_FALSE(started.ok());
  CHECK(started.error().code == Errc::invalid_argument);
  CHECK(started.error().message == app::missing_journal_secret());
  // Refused before anything was opened: no journal made under no key.
  CHECK_FALSE(std::filesystem::exists(config.journal_path));
}
