#include "firmware/store/journal.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "tests/firmware/store/journal_fixture.h"

using namespace std::chrono;
using namespace gate::store::testing;
using gate::Instant;
using gate::core::DecisionRecord;
using gate::core::Direction;
using gate::core::EventKind;
using gate::core::GateEvent;
using gate::core::HealthMode;
using gate::core::HealthSeen;
using gate::core::Media;
using gate::core::Outcome;
using gate::core::Reason;
using gate::store::Journal;
using gate::store::JournalRow;

namespace {

const Instant kT0 = sys_days{2022y / May / 23} + 5h + 1234ms;  // 13:00:01.234 Beijing time

// Runs `sql` on the file with a plain connection and returns the first column of the first row.
std::string query_text(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  const unsigned char* text = sqlite3_column_text(stmt, 0);
  std::string out = text ? reinterpret_cast<const char*>(text) : "NULL";
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

}  // namespace

TEST_CASE("a new journal is a WAL file at the current schema version", "[journal]") {
  TempDir dir;
  std::string path = dir.file("journal.db");
  {
    Journal journal = open_journal(path);
    CHECK(append(journal, decision("tu:3105170010170907984", kT0)) == 1);
  }
  CHECK(query_text(path, "PRAGMA journal_mode") == "wal");
  CHECK(query_text(path, "PRAGMA user_version") ==
        std::to_string(gate::store::kJournalSchemaVersion));
}

TEST_CASE("the journal stores the stable names, readable without the firmware", "[journal]") {
  TempDir dir;
  std::string path = dir.file("journal.db");
  {
    Journal journal = open_journal(path);
    DecisionRecord r = decision("tu:3105170010170907984", kT0, Outcome::staff_check,
                                Reason::health_popup, Direction::entry);
    r.decision.media = Media::phone_card;
    append(journal, r);
    GateEvent e = event(EventKind::staff_confirm, "tu:3105170010170907984", kT0 + 5s);
    e.reason = Reason::health_popup;
    append(journal, e);
  }
  CHECK(query_text(path,
                   "SELECT kind || '|' || direction || '|' || credential || '|' || media || '|' || "
                   "outcome || '|' || reason || '|' || health || '|' || mode || '|' || latency_us "
                   "FROM journal WHERE seq = 1") ==
        "decision|entry|tu:3105170010170907984|phone_card|staff_check|health_popup|green|enforce|"
        "412");
  CHECK(
      query_text(path, "SELECT kind || '|' || event || '|' || reason FROM journal WHERE seq = 2") ==
      "event|staff_confirm|health_popup");
  // 2022-05-23T05:00:01.234Z in microseconds since the epoch.
  CHECK(query_text(path, "SELECT ts_us FROM journal WHERE seq = 1") == "1653282001234000");
}

TEST_CASE("read rebuilds the typed entries", "[journal]") {
  TempDir dir;
  Journal journal = open_journal(dir.file("journal.db"));
  DecisionRecord d =
      decision("qr:12345678901", kT0, Outcome::deny, Reason::health_test_overdue, Direction::exit);
  d.decision.media = Media::qr;
  d.decision.health = HealthSeen::not_checked;
  d.decision.mode = HealthMode::observe;
  d.decision.upgrade_prompt = true;
  d.latency_us = 98765;
  append(journal, d);
  DecisionRecord emergency = decision("", kT0 + 1s, Outcome::open, Reason::emergency_open);
  emergency.decision.media = Media::none;
  append(journal, emergency);
  append(journal, event(EventKind::reader_down, "", kT0 + 2s));

  std::vector<JournalRow> rows = read_all(journal);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].seq == 1);
  const auto* r0 = std::get_if<DecisionRecord>(&rows[0].entry);
  REQUIRE(r0 != nullptr);
  CHECK(r0->ts == d.ts);
  CHECK(r0->gate == "L1-S07-G03");
  CHECK(r0->direction == Direction::exit);
  CHECK(r0->credential == "qr:12345678901");
  CHECK(r0->decision.outcome == Outcome::deny);
  CHECK(r0->decision.reason == Reason::health_test_overdue);
  CHECK(r0->decision.media == Media::qr);
  CHECK(r0->decision.health == HealthSeen::not_checked);
  CHECK(r0->decision.mode == HealthMode::observe);
  CHECK(r0->decision.upgrade_prompt);
  CHECK(r0->latency_us == 98765);

  const auto* r1 = std::get_if<DecisionRecord>(&rows[1].entry);
  REQUIRE(r1 != nullptr);
  CHECK(r1->credential.empty());
  CHECK(r1->decision.media == Media::none);
  CHECK(r1->decision.reason == Reason::emergency_open);

  const auto* r2 = std::get_if<GateEvent>(&rows[2].entry);
  REQUIRE(r2 != nullptr);
  CHECK(rows[2].seq == 3);
  CHECK(r2->kind == EventKind::reader_down);
  CHECK(r2->ts == kT0 + 2s);
  CHECK(r2->credential.empty());
  CHECK(!r2->reason.has_value());
}

TEST_CASE("read pages by sequence number", "[journal]") {
  TempDir dir;
  Journal journal = open_journal(dir.file("journal.db"));
  for (int i = 0; i < 10; ++i)
    append(journal, decision("tu:000000000000000000" + std::to_string(i), kT0 + seconds(i)));
  auto page = journal.read(4, 3);
  REQUIRE(page.ok());
  REQUIRE(page->size() == 3);
  CHECK((*page)[0].seq == 5);
  CHECK((*page)[2].seq == 7);
  CHECK(credential_of((*page)[0]) == "tu:0000000000000000004");
  auto tail = journal.read(8);
  REQUIRE(tail.ok());
  CHECK(tail->size() == 2);
  auto none = journal.read(10);
  REQUIRE(none.ok());
  CHECK(none->empty());
}

TEST_CASE("reopening keeps every row and continues the sequence without a gap", "[journal]") {
  TempDir dir;
  std::string path = dir.file("journal.db");
  constexpr int kN = 7;
  {
    Journal journal = open_journal(path);
    for (int i = 1; i <= kN; ++i) {
      CHECK(append(journal, decision("tu:310517001017090798" + std::to_string(i),
                                     kT0 + seconds(i))) == static_cast<std::uint64_t>(i));
    }
  }
  Journal journal = open_journal(path);
  CHECK(append(journal, event(EventKind::startup, "", kT0 + 1h)) == kN + 1);
  std::vector<JournalRow> rows = read_all(journal);
  REQUIRE(rows.size() == kN + 1);
  for (std::size_t i = 0; i < rows.size(); ++i) CHECK(rows[i].seq == i + 1);
  CHECK(credential_of(rows[0]) == "tu:3105170010170907981");
  CHECK(std::holds_alternative<GateEvent>(rows[kN].entry));
}

TEST_CASE("a journal from a newer build is refused and left untouched", "[journal]") {
  TempDir dir;
  std::string path = dir.file("journal.db");
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "CREATE TABLE future (x); PRAGMA user_version = 99", nullptr, nullptr,
                         nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  auto journal = Journal::open(path, test_key());
  REQUIRE_FALSE(journal.ok());
  CHECK(journal.error().code == gate::Errc::unsupported);
  CHECK(query_text(path, "PRAGMA user_version") == "99");
  CHECK(query_text(path, "SELECT count(*) FROM sqlite_master WHERE name = 'journal'") == "0");
}

TEST_CASE("a file that is not a database is an error, not a crash", "[journal]") {
  TempDir dir;
  std::string path = dir.file("journal.db");
  std::ofstream(path) << "this is not a SQLite database, just some text long enough to matter\n";
  auto journal = Journal::open(path, test_key());
  REQUIRE_FALSE(journal.ok());
  CHECK(journal.error().code == gate::Errc::storage_error);
}

TEST_CASE("recent entries: latest open entry per credential since an instant", "[journal]") {
  TempDir dir;
  Journal journal = open_journal(dir.file("journal.db"));
  const std::string a = "tu:1000000000000000001";
  const std::string b = "tu:1000000000000000002";
  const std::string c = "qr:3";
  const std::string d = "bj:00112233445566ff";
  const std::string e = "m1:0a0b0c0d";
  append(journal, decision(a, kT0 - 30min));  // before `since`
  append(journal, decision(a, kT0 + 1min));   // counts
  append(journal, decision(a, kT0 + 3min));   // a's latest
  append(journal, decision(a, kT0 + 4min, Outcome::deny, Reason::already_inside));
  append(journal, decision(b, kT0 + 2min, Outcome::open, Reason::ok, Direction::exit));
  append(journal, decision(c, kT0 + 2min, Outcome::staff_check, Reason::health_popup));
  append(journal, event(EventKind::staff_confirm, c, kT0 + 2min + 10s));  // confirmed: entered
  append(journal, decision(d, kT0 + 5min, Outcome::staff_check, Reason::health_popup));
  append(journal, event(EventKind::staff_check_timeout, d, kT0 + 5min + 20s));  // not entered
  append(journal, decision(e, kT0, Outcome::open, Reason::ok_not_upgraded));    // exactly at since
  append(journal, decision("", kT0 + 6min, Outcome::open, Reason::emergency_open));

  std::map<std::string, Instant> seen;
  REQUIRE(journal
              .recent_entries(kT0,
                              [&](std::string_view cred, Instant at) {
                                CHECK(seen.emplace(std::string(cred), at).second);
                              })
              .ok());
  std::map<std::string, Instant> expected{{a, kT0 + 3min}, {c, kT0 + 2min + 10s}, {e, kT0}};
  CHECK(seen == expected);
}

TEST_CASE("used_bytes: the pages in use, a prune counted as soon as it commits", "[journal]") {
  TempDir dir;
  std::string path = dir.file("journal.db");
  Journal journal = open_journal(path);
  auto used = [&] {
    auto u = journal.used_bytes();
    REQUIRE(u.ok());
    return *u;
  };
  auto file_size = [](const std::string& p) {
    std::error_code ec;
    auto n = std::filesystem::file_size(p, ec);
    return ec ? std::uintmax_t{0} : n;
  };
  // A checkpoint by another connection: the WAL's pages written into the file, the WAL emptied.
  auto checkpoint = [&] {
    sqlite3* other = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &other) == SQLITE_OK);
    REQUIRE(sqlite3_exec(other, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr) ==
            SQLITE_OK);
    sqlite3_close(other);
    REQUIRE(file_size(path + "-wal") == 0);
  };
  const std::uint64_t page = std::stoull(query_text(path, "PRAGMA page_size"));

  for (int i = 0; i < 300; ++i) append(journal, decision("tu:3105170010170907984", kT0 + i * 1s));
  REQUIRE(file_size(path + "-wal") > 0);
  // Committed pages count whether they are still in the WAL or already in the file; the WAL
  // itself does not.
  const std::uint64_t before_checkpoint = used();
  checkpoint();
  CHECK(used() == before_checkpoint);
  CHECK(query_text(path, "PRAGMA freelist_count") == "0");
  CHECK(used() == file_size(path));
  const std::uint64_t full = used();

  // Pruning (deleting rows, as upload's prune does) frees pages into the free list: the use falls
  // by the free pages at once, before any checkpoint, and the file keeps its size.
  REQUIRE(sqlite3_exec(journal.db(), "DELETE FROM journal WHERE seq <= 290", nullptr, nullptr,
                       nullptr) == SQLITE_OK);
  const std::uint64_t free_pages = std::stoull(query_text(path, "PRAGMA freelist_count"));
  CHECK(free_pages > 0);
  CHECK(used() == full - free_pages * page);
  checkpoint();
  CHECK(file_size(path) == full);
  CHECK(query_text(path, "SELECT COUNT(*) FROM journal") == "10");

  // Later appends reuse the free pages instead of growing the file.
  for (int i = 0; i < 50; ++i)
    append(journal, decision("tu:3105170010170907984", kT0 + 1h + i * 1s));
  checkpoint();
  CHECK(file_size(path) == full);
  CHECK(used() < full);
}

TEST_CASE("the sync and journal-space events round-trip through the journal", "[journal]") {
  TempDir dir;
  Journal journal = open_journal(dir.file("journal.db"));
  const EventKind kinds[] = {EventKind::sync_success, EventKind::sync_failure,
                             EventKind::journal_full, EventKind::journal_space_ok};
  for (EventKind kind : kinds) append(journal, event(kind, "", kT0));
  std::vector<JournalRow> rows = read_all(journal);
  REQUIRE(rows.size() == 4);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto* e = std::get_if<GateEvent>(&rows[i].entry);
    REQUIRE(e != nullptr);
    CHECK(e->kind == kinds[i]);
  }
  auto chain = journal.read_chain();
  REQUIRE(chain.ok());
  CHECK(chain->at(0).body ==
        R"({"kind":"event","ts_us":1653282001234000,"gate":"L1-S07-G03","direction":"entry",)"
        R"("event":"sync_success"})");
}
