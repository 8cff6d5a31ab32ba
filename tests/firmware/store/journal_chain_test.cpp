// The journal's hash chain: the HMAC helper against RFC 4231, the chain's macs against values
// computed independently with the openssl command line, the verifier against each kind of
// tampering, and the schema 2 -> 3 migration (and what upload makes of the unchained rows).
#include "firmware/store/journal_chain.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "firmware/store/journal.h"
#include "tests/firmware/store/journal_fixture.h"

using namespace std::chrono;
using namespace gate::store::testing;
using gate::Instant;
using gate::core::EventKind;
using gate::store::ChainAnchor;
using gate::store::ChainKey;
using gate::store::ChainProblem;
using gate::store::ChainRow;
using gate::store::ChainVerdict;
using gate::store::Journal;
using gate::store::Mac;

namespace {

const Instant kT0 = sys_days{2022y / May / 23} + 5h + 1234ms;  // 13:00:01.234 Beijing time
const std::string kCard = "tu:3105170010170907984";

std::string hex(const Mac& mac) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : mac) {
    out += digits[b >> 4];
    out += digits[b & 0xf];
  }
  return out;
}

void exec_sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  INFO("sql: " << sql << ": " << (error ? error : ""));
  sqlite3_free(error);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

long long count_rows(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  long long n = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return n;
}

// A journal of `n` rows for gate `gate` (decisions for odd seq, staff confirms for even), each
// row's body naming `gate`, chained under `key`.
void write_journal(const std::string& path, int n, const ChainKey& key = test_key()) {
  Journal journal = open_journal(path, key);
  for (int i = 1; i <= n; ++i) {
    if (i % 2 == 1) {
      auto d = decision("tu:310517001017090" + std::to_string(1000 + i), kT0 + seconds(i));
      d.gate = key.gate;
      append(journal, d);
    } else {
      auto e = event(EventKind::staff_confirm, kCard, kT0 + seconds(i));
      e.gate = key.gate;
      append(journal, e);
    }
  }
}

std::vector<ChainRow> chain_of(const std::string& path, const ChainKey& key = test_key()) {
  Journal journal = open_journal(path, key);
  auto rows = journal.read_chain();
  REQUIRE(rows.ok());
  return std::move(rows).value();
}

ChainVerdict verify(const std::vector<ChainRow>& rows, const ChainKey& key = test_key(),
                    std::uint64_t chain_start = 1) {
  auto anchor = gate::store::chain_start_anchor(key, chain_start);
  REQUIRE(anchor.ok());
  auto verdict = gate::store::verify_chain(key, *anchor, rows);
  REQUIRE(verdict.ok());
  INFO("problem " << gate::store::chain_problem_name(verdict->problem) << " at " << verdict->seq);
  return *verdict;
}

void check_problem(const ChainVerdict& v, ChainProblem problem, std::uint64_t seq) {
  INFO("got " << gate::store::chain_problem_name(v.problem) << " at " << v.seq);
  CHECK(v.problem == problem);
  CHECK(v.seq == seq);
}

}  // namespace

TEST_CASE("HMAC-SHA-256 gives the RFC 4231 test vectors", "[journal][chain]") {
  // RFC 4231 test case 1: key 0x0b x 20, "Hi There".
  auto one = gate::store::hmac_sha256(std::string(20, '\x0b'), "Hi There");
  REQUIRE(one.ok());
  CHECK(hex(*one) == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Test case 2: key "Jefe".
  auto two = gate::store::hmac_sha256("Jefe", "what do ya want for nothing?");
  REQUIRE(two.ok());
  CHECK(hex(*two) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("the journal stores canonical JSON and the macs openssl computes", "[journal][chain]") {
  // Expected values, with K = 000102…1f (test_key's secret):
  //   printf 'GJC1L1-S07-G03' | openssl dgst -sha256 -mac HMAC -macopt hexkey:$K
  //   { genesis bytes; 00 00 00 00 00 00 00 01; body 1 } | openssl dgst … (and so on for row 2)
  const std::string genesis = "6a679edcf88b7bb72d0503115729767bccd00d4ef809a3dad4578018fd03641d";
  const std::string body1 =
      R"({"kind":"decision","ts_us":1653282001234000,"gate":"L1-S07-G03","direction":"entry",)"
      R"("credential":"tu:3105170010170907984","media":"card","outcome":"open","reason":"ok",)"
      R"("health":"green","mode":"enforce","upgrade_prompt":false,"latency_us":412})";
  const std::string body2 =
      R"({"kind":"event","ts_us":1653282002234000,"gate":"L1-S07-G03","direction":"entry",)"
      R"("event":"staff_confirm","credential":"tu:3105170010170907984"})";

  auto g = gate::store::chain_genesis(test_key());
  REQUIRE(g.ok());
  CHECK(hex(*g) == genesis);

  TempDir dir;
  std::string path = dir.file("journal.db");
  {
    Journal journal = open_journal(path);
    CHECK(journal.chain_start() == 1);
    CHECK(append(journal, decision(kCard, kT0)) == 1);
    CHECK(append(journal, event(EventKind::staff_confirm, kCard, kT0 + 1s)) == 2);
  }
  std::vector<ChainRow> rows = chain_of(path);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].seq == 1);
  CHECK(rows[0].body == body1);
  CHECK(hex(rows[0].mac) == "a436ad9c61c1f5d754e9394f107b6ed355470e6cf4327966d6923a883fa91227");
  CHECK(rows[1].seq == 2);
  CHECK(rows[1].body == body2);
  CHECK(hex(rows[1].mac) == "12b2593a61a401a961b9f5a85d2b9cfca79b7c8182d259ae149693f5cc5e0e12");
}

TEST_CASE("a journal written by append verifies, in one batch or several", "[journal][chain]") {
  TempDir dir;
  std::string path = dir.file("journal.db");
  write_journal(path, 3);
  write_journal(path, 3);  // reopened: the chain goes on from the stored head
  std::vector<ChainRow> rows = chain_of(path);
  REQUIRE(rows.size() == 6);
  ChainVerdict whole = verify(rows);
  CHECK(whole.problem == ChainProblem::none);
  CHECK(whole.next.next_seq == 7);
  CHECK(whole.next.prev == rows.back().mac);

  // The collector's way: a batch at a time, each from where the last stopped.
  auto anchor = gate::store::chain_start_anchor(test_key(), 1);
  REQUIRE(anchor.ok());
  std::vector<ChainRow> first(rows.begin(), rows.begin() + 4);
  std::vector<ChainRow> rest(rows.begin() + 4, rows.end());
  auto a = gate::store::verify_chain(test_key(), *anchor, first);
  REQUIRE(a.ok());
  CHECK(a->problem == ChainProblem::none);
  auto b = gate::store::verify_chain(test_key(), a->next, rest);
  REQUIRE(b.ok());
  CHECK(b->problem == ChainProblem::none);
  CHECK(b->next.next_seq == 7);
  // The second batch alone, from the genesis, is not the chain's start.
  check_problem(verify(rest), ChainProblem::gap, 1);
}

TEST_CASE("a deleted row is a gap at its sequence number", "[journal][chain]") {
  TempDir dir;
  std::string path = dir.file("journal.db");
  write_journal(path, 5);
  exec_sql(path, "DELETE FROM journal WHERE seq = 3");
  check_problem(verify(chain_of(path)), ChainProblem::gap, 3);
}

TEST_CASE("one byte changed in a row's JSON is an altered row", "[journal][chain]") {
  TempDir dir;
  std::string path = dir.file("journal.db");
  write_journal(path, 5);
  // "outcome":"open" -> "outcome":"opem": one byte, nothing else touched.
  exec_sql(path, "UPDATE journal SET body = replace(body, '\"open\"', '\"opem\"') WHERE seq = 3");
  std::vector<ChainRow> rows = chain_of(path);
  REQUIRE(rows[2].body.find("\"opem\"") != std::string::npos);
  check_problem(verify(rows), ChainProblem::altered, 3);
}

TEST_CASE("a changed mac, or a row without one, is an altered row", "[journal][chain]") {
  TempDir dir;
  std::string path = dir.file("journal.db");
  write_journal(path, 4);
  SECTION("mac changed") {
    exec_sql(path, "UPDATE journal SET mac = zeroblob(32) WHERE seq = 4");
    check_problem(verify(chain_of(path)), ChainProblem::altered, 4);
  }
  SECTION("mac removed") {
    exec_sql(path, "UPDATE journal SET mac = NULL WHERE seq = 2");
    check_problem(verify(chain_of(path)), ChainProblem::altered, 2);
  }
}

TEST_CASE("two rows' contents swapped are reported as reordered", "[journal][chain]") {
  TempDir dir;
  std::string path = dir.file("journal.db");
  write_journal(path, 5);
  SECTION("body and mac swapped between rows 2 and 3") {
    exec_sql(path,
             "CREATE TEMP TABLE t AS SELECT seq, body, mac FROM journal WHERE seq IN (2, 3);"
             "UPDATE journal SET body = (SELECT body FROM t WHERE t.seq = 5 - journal.seq),"
             " mac = (SELECT mac FROM t WHERE t.seq = 5 - journal.seq) WHERE seq IN (2, 3);");
    std::vector<ChainRow> rows = chain_of(path);
    check_problem(verify(rows), ChainProblem::reordered, 2);
  }
  SECTION("only the bodies swapped") {
    exec_sql(path,
             "CREATE TEMP TABLE t AS SELECT seq, body FROM journal WHERE seq IN (2, 3);"
             "UPDATE journal SET body = (SELECT body FROM t WHERE t.seq = 5 - journal.seq)"
             " WHERE seq IN (2, 3);");
    check_problem(verify(chain_of(path)), ChainProblem::reordered, 2);
  }
  SECTION("whole rows handed over out of order") {
    std::vector<ChainRow> rows = chain_of(path);
    std::swap(rows[3], rows[4]);  // 1 2 3 5 4
    check_problem(verify(rows), ChainProblem::reordered, 4);
  }
  SECTION("a row handed over twice") {
    std::vector<ChainRow> rows = chain_of(path);
    rows.insert(rows.begin() + 2, rows[1]);  // 1 2 2 3 4 5
    check_problem(verify(rows), ChainProblem::reordered, 3);
  }
}

TEST_CASE("another gate's journal does not pass as this gate's", "[journal][chain]") {
  TempDir dir;
  std::string other = dir.file("other.db");
  SECTION("its rows name the other gate") {
    write_journal(other, 3, test_key("L1-S07-G04"));
    check_problem(verify(chain_of(other, test_key("L1-S07-G04"))), ChainProblem::foreign_gate,
                  1);
  }
  SECTION("its rows relabelled as this gate's: the genesis binds the gate id") {
    write_journal(other, 3, test_key("L1-S07-G04"));
    exec_sql(other, "UPDATE journal SET body = replace(body, 'L1-S07-G04', 'L1-S07-G03')");
    check_problem(verify(chain_of(other, test_key("L1-S07-G04"))), ChainProblem::altered, 1);
  }
  SECTION("a row of the other gate spliced in") {
    std::string mine = dir.file("mine.db");
    write_journal(mine, 4);
    write_journal(other, 4, test_key("L1-S07-G04"));
    std::vector<ChainRow> rows = chain_of(mine);
    rows[2] = chain_of(other, test_key("L1-S07-G04"))[2];
    check_problem(verify(rows), ChainProblem::foreign_gate, 3);
  }
  SECTION("the same gate id under another secret") {
    ChainKey thief = test_key();
    thief.secret[0] = 'x';
    write_journal(other, 3, thief);
    check_problem(verify(chain_of(other, thief)), ChainProblem::altered, 1);
  }
}

TEST_CASE("a journal refuses a secret shorter than 32 bytes", "[journal][chain]") {
  TempDir dir;
  ChainKey key = test_key();
  key.secret.resize(31);
  auto journal = Journal::open(dir.file("journal.db"), key);
  REQUIRE_FALSE(journal.ok());
  CHECK(journal.error().code == gate::Errc::invalid_argument);
}

TEST_CASE("a schema 2 journal keeps its rows and chains from the first row after migration",
          "[journal][chain]") {
  TempDir dir;
  std::string path = dir.file("journal.db");
  // Schema 2 as the previous build created it (journal.cpp's migrations 1 and 2), with 3 rows.
  exec_sql(path, R"sql(
PRAGMA journal_mode = WAL;
CREATE TABLE journal (
  seq            INTEGER PRIMARY KEY AUTOINCREMENT,
  kind           TEXT NOT NULL CHECK (kind IN ('decision', 'event')),
  ts_us          INTEGER NOT NULL,
  gate           TEXT NOT NULL,
  direction      TEXT NOT NULL,
  credential     TEXT,
  media          TEXT,
  outcome        TEXT,
  reason         TEXT,
  health         TEXT,
  mode           TEXT,
  upgrade_prompt INTEGER,
  latency_us     INTEGER,
  event          TEXT
);
CREATE INDEX journal_by_ts ON journal (ts_us);
CREATE TABLE code_replay (
  account         INTEGER NOT NULL,
  generated_at    INTEGER NOT NULL,
  sequence        INTEGER NOT NULL,
  forget_after_us INTEGER NOT NULL,
  PRIMARY KEY (account, generated_at, sequence)
) WITHOUT ROWID;
CREATE INDEX code_replay_by_expiry ON code_replay (forget_after_us);
INSERT INTO journal (kind, ts_us, gate, direction, credential, media, outcome, reason, health,
                     mode, upgrade_prompt, latency_us)
VALUES ('decision', 1653282001234000, 'L1-S07-G03', 'entry', 'tu:0000000000000000001', 'card',
        'open', 'ok', 'green', 'enforce', 0, 412),
       ('decision', 1653282002234000, 'L1-S07-G03', 'entry', 'tu:0000000000000000002', 'card',
        'deny', 'card_lost', 'n/a', 'enforce', 0, 300);
INSERT INTO journal (kind, ts_us, gate, direction, event)
VALUES ('event', 1653282003234000, 'L1-S07-G03', 'entry', 'startup');
PRAGMA user_version = 2;
)sql");

  {
    Journal journal = open_journal(path);
    CHECK(journal.chain_start() == 4);
    std::vector<gate::store::JournalRow> old_rows = read_all(journal);
    REQUIRE(old_rows.size() == 3);
    CHECK(credential_of(old_rows[0]) == "tu:0000000000000000001");
    CHECK(credential_of(old_rows[1]) == "tu:0000000000000000002");
    CHECK(std::holds_alternative<gate::core::GateEvent>(old_rows[2].entry));
    CHECK(append(journal, decision(kCard, kT0 + 1min)) == 4);
  }
  {
    Journal journal = open_journal(path);  // reopened: chain_start is recorded, not recomputed
    CHECK(journal.chain_start() == 4);
    CHECK(append(journal, event(EventKind::staff_confirm, kCard, kT0 + 2min)) == 5);
    CHECK(read_all(journal).size() == 5);
  }
  std::vector<ChainRow> rows = chain_of(path);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].seq == 4);
  CHECK(verify(rows, test_key(), 4).problem == ChainProblem::none);
  // Pre-chain rows carry no body and no mac.
  CHECK(count_rows(path, "SELECT count(*) FROM journal "
                         "WHERE seq < 4 AND body IS NULL AND mac IS NULL") == 3);

  // Only chained rows are uploaded, so only they are pending, and pruning after the collector
  // acknowledged them all never takes the unchained ones.
  Journal journal = open_journal(path);
  CHECK(journal.pending_count().value() == 2);
  REQUIRE(journal.acknowledge(5).ok());
  CHECK(journal.pending_count().value() == 0);
  CHECK(journal.prune_acknowledged(100).value() == 2);
  CHECK(read_all(journal).size() == 3);
}
