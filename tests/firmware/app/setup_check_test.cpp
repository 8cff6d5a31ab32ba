// check_setup: what --check-config reports for the cache and the journal, from real files.
#include "firmware/app/setup_check.h"

#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>

#include "firmware/store/cache.h"
#include "firmware/store/journal.h"
#include "tests/support/temp_dir.h"

namespace gate::app {
namespace {

using namespace std::chrono;

bool has_line(const std::vector<std::string>& lines, const std::string& needle) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& l) { return l.find(needle) != std::string::npos; });
}

Config config_in(const test::TempDir& dir) {
  Config c;
  c.gate = *core::parse_gate_spec("L1:S07:G03:entry");
  c.cache_path = dir.file("cache.db");
  c.journal_path = dir.file("journal.db");
  return c;
}

// 2022-05-23T05:00:00+08:00
const Instant kFirstTrain = Instant(seconds(1653253200));

void write_cache(const std::string& path) {
  auto w = store::CacheWriter::open(path);
  REQUIRE(w.ok());
  core::PolicyRecord line1{"p-line1", kFirstTrain, {"L1"}, {}, {}};
  line1.policy.health_mode = core::HealthMode::enforce;
  core::PolicyRecord later{"p-later", kFirstTrain + hours(24), {"L1"}, {}, {}};
  core::PolicyRecord other_line{"p-line2", kFirstTrain - hours(1), {"L2"}, {}, {}};
  REQUIRE(w->apply({core::Binding{"tu:3105170010170907984", "id-1", core::Media::card,
                                  core::BindingStatus::active, kFirstTrain - hours(100)},
                    core::Binding{"bj:0123456789abcdef", "id-2", core::Media::card,
                                  core::BindingStatus::lost, kFirstTrain - hours(100)},
                    line1, later, other_line})
              .ok());
  REQUIRE(w->mark_synced(kFirstTrain - minutes(30), 42).ok());
}

TEST_CASE("a good cache: counts, last sync and the policy in force for this gate now") {
  test::TempDir dir;
  Config c = config_in(dir);
  write_cache(c.cache_path);
  SetupReport r = check_setup(c, kFirstTrain + minutes(1));
  INFO(r.found.size());
  CHECK(r.ok());
  CHECK(has_line(r.found, "gate: L1-S07-G03 entry"));
  CHECK(has_line(r.found, "2 binding, 0 health, 0 deny, 0 issuer_key, 3 policy"));
  CHECK(has_line(r.found, "last good sync 2022-05-22T20:30:00.000Z, feed sequence 42"));
  CHECK(has_line(r.found, "policy in force now: p-line1 (health_mode enforce)"));
  CHECK(has_line(r.found, "journal: " + c.journal_path + " will be created"));
  // Before the first train, no record covering L1 is in force yet.
  SetupReport before = check_setup(c, kFirstTrain - minutes(1));
  CHECK(has_line(before.found, "policy in force now: none"));
}

TEST_CASE("a missing cache is a problem that says the gate has not synced") {
  test::TempDir dir;
  Config c = config_in(dir);
  SetupReport r = check_setup(c, kFirstTrain);
  CHECK_FALSE(r.ok());
  CHECK(
      has_line(r.problems, "cache: " + c.cache_path + " does not exist (the gate has not synced"));
}

TEST_CASE("a file that is not a cache is a problem naming it, and is left unchanged") {
  test::TempDir dir;
  Config c = config_in(dir);
  std::ofstream(c.cache_path) << "not a database, just text\n";
  SetupReport r = check_setup(c, kFirstTrain);
  CHECK_FALSE(r.ok());
  CHECK(has_line(r.problems, c.cache_path));
  std::ifstream in(c.cache_path);
  std::string text;
  std::getline(in, text);
  CHECK(text == "not a database, just text");
}

TEST_CASE("an existing journal is opened read-only and its last sequence reported") {
  test::TempDir dir;
  Config c = config_in(dir);
  write_cache(c.cache_path);
  {
    auto j = store::Journal::open(c.journal_path);
    REQUIRE(j.ok());
    core::GateEvent ev;
    ev.ts = kFirstTrain;
    ev.gate = c.gate.gate_id();
    ev.kind = core::EventKind::startup;
    REQUIRE(j->append(ev).ok());
    REQUIRE(j->append(ev).ok());
  }
  SetupReport r = check_setup(c, kFirstTrain);
  CHECK(r.ok());
  CHECK(has_line(r.found, "journal: " + c.journal_path + ", last sequence number 2"));
}

TEST_CASE("a journal directory that is missing or not writable is a problem") {
  test::TempDir dir;
  Config c = config_in(dir);
  write_cache(c.cache_path);
  c.journal_path = dir.file("no-such-dir/journal.db");
  CHECK(has_line(check_setup(c, kFirstTrain).problems, "does not exist"));
  if (::geteuid() != 0) {  // root writes anywhere: the mode check means nothing there
    std::string ro = dir.file("ro");
    REQUIRE(::mkdir(ro.c_str(), 0555) == 0);
    c.journal_path = ro + "/journal.db";
    CHECK(has_line(check_setup(c, kFirstTrain).problems, "is not writable"));
  }
}

}  // namespace
}  // namespace gate::app
