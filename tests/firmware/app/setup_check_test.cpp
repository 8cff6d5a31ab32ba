// check_setup: what --check-config reports for the cache and the journal, from real files.
#include "firmware/app/setup_check.h"

#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
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
  c.journal_secret_file = dir.file("journal-secret");
  c.journal_secret = simulator_journal_secret();
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
    auto j = store::Journal::open(c.journal_path, {c.journal_secret, c.gate.gate_id()});
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
  CHECK(
      has_line(r.found, "journal: 2 row(s) not yet uploaded (the collector acknowledged up to 0)"));
  {
    auto j = store::Journal::open(c.journal_path, {c.journal_secret, c.gate.gate_id()});
    REQUIRE(j.ok());
    REQUIRE(j->acknowledge(1).ok());
  }
  CHECK(has_line(check_setup(c, kFirstTrain).found,
                 "journal: 1 row(s) not yet uploaded (the collector acknowledged up to 1)"));
}

TEST_CASE("the journal secret: its file and length reported, its absence a problem") {
  test::TempDir dir;
  Config c = config_in(dir);
  write_cache(c.cache_path);
  SetupReport with = check_setup(c, kFirstTrain);
  CHECK(with.ok());
  CHECK(has_line(with.found, "journal_secret: " + c.journal_secret_file + ", 32 bytes"));
  c.journal_secret.clear();
  c.journal_secret_file.clear();
  SetupReport without = check_setup(c, kFirstTrain);
  CHECK_FALSE(without.ok());
  CHECK(has_line(without.problems, "journal_secret: missing"));
}

TEST_CASE("a schema 2 journal is reported as migrated at start-up, not as a problem") {
  test::TempDir dir;
  Config c = config_in(dir);
  write_cache(c.cache_path);
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(c.journal_path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "CREATE TABLE journal (seq INTEGER PRIMARY KEY); PRAGMA user_version = 2",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  SetupReport r = check_setup(c, kFirstTrain);
  CHECK(r.ok());
  CHECK(has_line(r.found, "last sequence number 0 (schema 2, migrated to 4 at start-up)"));
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

namespace gate::app {
namespace {

// Made with openssl for this test: a self-signed CA certificate and a P-256 public key.
constexpr const char* kCaPem = R"(-----BEGIN CERTIFICATE-----
MIIBlDCCATmgAwIBAgIUcs59dGFrtmacvp1jv2+A6pJ3BFcwCgYIKoZIzj0EAwIw
HjEcMBoGA1UEAwwTU2V0dXAgQ2hlY2sgVGVzdCBDQTAgFw0yNjExMjYwMzI5MDJa
GA8yMTI2MTEwMjAzMjkwMlowHjEcMBoGA1UEAwwTU2V0dXAgQ2hlY2sgVGVzdCBD
QTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABJnF5Fnw1l25eINj0GuzVPOdXU1h
3FSeqH6sY37h6z6MPq48kpy9jPPzO42Z0PmrhHjl8A2aybytguNIgtWHpPWjUzBR
MB0GA1UdDgQWBBTIlHPXWjZQ/UNVbOMucRfQqDAQ0zAfBgNVHSMEGDAWgBTIlHPX
WjZQ/UNVbOMucRfQqDAQ0zAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0kA
MEYCIQC+QTeuSBaDFEiX4DzzWsGl2ILgfkoFsBlY6rFtSGlaWQIhAOdLOknNjBr7
5oRPO6Ty8eBcGnKiThbB4jNUjCHOi8lU
-----END CERTIFICATE-----
)";
constexpr const char* kKeyPem = R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEfk7dJEELglDBjMjjJMavTsEvq2iB
NlCqAIlOdQiYCzkYqW6tDPDbAeBjV7jYx74Cu6xVOxI7QYxFT6LU4av1Pw==
-----END PUBLIC KEY-----
)";

Config feed_config_in(const test::TempDir& dir) {
  Config c = config_in(dir);
  write_cache(c.cache_path);
  c.feed.url = "https://feed.example.net/line1/";
  c.feed.ca_file = dir.file("ca.pem");
  c.feed.key_file = dir.file("feed-key.pem");
  std::ofstream(c.feed.ca_file) << kCaPem;
  std::ofstream(c.feed.key_file) << kKeyPem;
  return c;
}

}  // namespace

TEST_CASE("the feed's CA and key files are read and parsed, nothing fetched") {
  test::TempDir dir;
  Config c = feed_config_in(dir);
  SetupReport r = check_setup(c, kFirstTrain);
  CHECK(r.ok());
  CHECK(has_line(r.found, "feed: https://feed.example.net/line1/, CA " + c.feed.ca_file));
  CHECK(has_line(r.found, "feed: key " + c.feed.key_file + " (P-256)"));

  Config without = config_in(dir);
  CHECK(has_line(check_setup(without, kFirstTrain).found, "feed: no feed_url"));
}

TEST_CASE("with a feed, a missing cache is what the first sync makes, not a problem") {
  test::TempDir dir;
  Config c = feed_config_in(dir);
  std::filesystem::remove(c.cache_path);
  SetupReport r = check_setup(c, kFirstTrain);
  CHECK(r.ok());
  CHECK(has_line(
      r.found, "cache: " + c.cache_path + " does not exist yet; the first feed sync will make it"));
}

TEST_CASE("an unreadable or unparseable feed CA or key is a problem naming the file") {
  test::TempDir dir;
  Config c = feed_config_in(dir);
  std::ofstream(c.feed.ca_file) << "not a certificate\n";
  std::filesystem::remove(c.feed.key_file);
  SetupReport r = check_setup(c, kFirstTrain);
  CHECK_FALSE(r.ok());
  CHECK(has_line(r.problems, "feed: tls: CA file " + c.feed.ca_file));
  CHECK(has_line(r.problems, "feed: feed key " + c.feed.key_file));

  Config half = feed_config_in(dir);
  std::ofstream(half.feed.key_file) << kCaPem;  // a certificate is not a public key file
  SetupReport r2 = check_setup(half, kFirstTrain);
  CHECK(has_line(r2.problems, "not a PEM public key"));
}

}  // namespace gate::app

namespace gate::app {

TEST_CASE("the collector's CA is read like the feed's, and what upload will do is reported") {
  test::TempDir dir;
  Config c = feed_config_in(dir);
  CHECK(has_line(check_setup(c, kFirstTrain).found,
                 "collector: no collector_url, the journal keeps every row"));
  c.collector.url = "https://collector.example.net/gates/";
  c.collector.ca_file = c.feed.ca_file;
  c.collector.journal_retention = hours(36);
  SetupReport r = check_setup(c, kFirstTrain);
  CHECK(r.ok());
  CHECK(has_line(r.found, "collector: https://collector.example.net/gates/, CA " + c.feed.ca_file));
  CHECK(has_line(r.found,
                 "collector: batches of 500 rows, every 10s when caught up; uploaded "
                 "rows kept 36h"));

  c.collector.ca_file = dir.file("missing-ca.pem");
  SetupReport bad = check_setup(c, kFirstTrain);
  CHECK_FALSE(bad.ok());
  CHECK(has_line(bad.problems, "collector: tls: CA file " + c.collector.ca_file));
}

}  // namespace gate::app
