#include "firmware/store/journal_schema.h"

#include <iterator>
#include <string>
#include <string_view>

#include "firmware/store/journal.h"
#include "firmware/store/sqlite.h"

namespace gate::store {
namespace {

// The journal's schema, as a list of migrations applied in order, each in its own transaction that
// also sets PRAGMA user_version. A file is never rebuilt: a newer build only adds steps here, so
// every row written by an older one is kept.
struct Migration {
  int version;
  std::string_view sql;
};

// Enum columns hold the stable names of reason.h, credential.h, decision.h, gate_context.h and
// decision_record.h, so `sqlite3 journal.db 'SELECT * FROM journal'` is readable as it is.
// AUTOINCREMENT: a sequence number is never handed out twice, even if old rows are pruned after
// upload. Rows are only ever inserted, so the sequence has no gaps.
constexpr Migration kMigrations[] = {
    {1, R"sql(
CREATE TABLE journal (
  seq            INTEGER PRIMARY KEY AUTOINCREMENT,
  kind           TEXT NOT NULL CHECK (kind IN ('decision', 'event')),
  ts_us          INTEGER NOT NULL,  -- UTC, microseconds since the Unix epoch
  gate           TEXT NOT NULL,
  direction      TEXT NOT NULL,
  credential     TEXT,              -- full key; NULL when there is none
  media          TEXT,              -- decisions only
  outcome        TEXT,              -- decisions only
  reason         TEXT,              -- decision's reason, or an event's pending reason
  health         TEXT,              -- decisions only
  mode           TEXT,              -- decisions only
  upgrade_prompt INTEGER,           -- decisions only
  latency_us     INTEGER,           -- decisions only
  event          TEXT               -- events only
);
CREATE INDEX journal_by_ts ON journal (ts_us);
)sql"},
    // The ride codes this gate accepted (ride-code-v1.md step 7), kept in the journal's file so
    // they are as durable as the records and survive restarts. See durable_replay_guard.h.
    {2, R"sql(
CREATE TABLE code_replay (
  account         INTEGER NOT NULL,  -- account_id, its 64 bits stored as a signed integer
  generated_at    INTEGER NOT NULL,
  sequence        INTEGER NOT NULL,
  forget_after_us INTEGER NOT NULL,  -- UTC, microseconds since the Unix epoch
  PRIMARY KEY (account, generated_at, sequence)
) WITHOUT ROWID;
CREATE INDEX code_replay_by_expiry ON code_replay (forget_after_us);
)sql"},
    // The hash chain (journal_chain.h). Rows written before this step carry no body and no mac:
    // they were never protected, and a mac computed now would vouch for whatever they hold today
    // (and for a JSON text they were never stored as). The chain starts at the first row appended
    // after it, `chain_start`; the collector takes the rows before it as unchained. `head_seq` and
    // `head_mac` are the last chained row's, updated in each append's transaction, so the chain
    // goes on even after uploaded rows are pruned (head_mac NULL: no chained row yet, the next
    // one's previous mac is the genesis).
    {3, R"sql(
ALTER TABLE journal ADD COLUMN body TEXT;  -- canonical JSON (Journal::canonical_json), chained
ALTER TABLE journal ADD COLUMN mac BLOB;   -- HMAC-SHA-256, 32 bytes (journal_chain.h)
CREATE TABLE journal_chain (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  chain_start INTEGER NOT NULL,
  head_seq    INTEGER NOT NULL,
  head_mac    BLOB
);
INSERT INTO journal_chain (id, chain_start, head_seq, head_mac)
SELECT 1, n + 1, n, NULL
FROM (SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'journal'), 0),
                 COALESCE((SELECT MAX(seq) FROM journal), 0)) AS n);
)sql"},
    // Upload (issue 7): the last seq the collector acknowledged, so a restart resumes where the
    // back office stands instead of sending the whole journal again, and pruning knows what is
    // safe to delete. Starts at 0: nothing is held yet.
    {4, R"sql(
CREATE TABLE journal_upload (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  acked_seq INTEGER NOT NULL
);
INSERT INTO journal_upload (id, acked_seq) VALUES (1, 0);
)sql"},
};
static_assert(kMigrations[std::size(kMigrations) - 1].version == kJournalSchemaVersion);

}  // namespace

Status migrate_journal(sqlite3* db) {
  for (const Migration& m : kMigrations) {
    // BEGIN IMMEDIATE takes the write lock first, so a second process opening the same file
    // waits and then sees the new version instead of applying the step twice.
    GATE_TRY(exec(db, "BEGIN IMMEDIATE"));
    Status applied = [&]() -> Status {
      GATE_TRY_ASSIGN(int version, user_version(db));
      if (version > kJournalSchemaVersion) {
        return make_error(Errc::unsupported, "journal schema version " + std::to_string(version) +
                                                 " is newer than this build's " +
                                                 std::to_string(kJournalSchemaVersion));
      }
      if (version >= m.version) return ok_status();
      GATE_TRY(exec(db, m.sql));
      return exec(db, "PRAGMA user_version = " + std::to_string(m.version));
    }();
    if (!applied) {
      (void)exec(db, "ROLLBACK");
      return applied;
    }
    GATE_TRY(exec(db, "COMMIT"));
  }
  return ok_status();
}

}  // namespace gate::store
