// The decision journal: every decision record and gate event, appended to a local SQLite file and
// durable when append returns (the gate drives the relay only after that). Full credential keys are
// kept here (for upload), never in logs.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "firmware/core/decision_record.h"
#include "firmware/store/journal_chain.h"
#include "firmware/store/sqlite.h"
#include "hal/result.h"

namespace gate::store {

inline constexpr int kJournalSchemaVersion = 4;

using JournalEntry = std::variant<core::DecisionRecord, core::GateEvent>;

struct JournalRow {
  std::uint64_t seq = 0;  // per-gate sequence number, from 1, no gaps
  JournalEntry entry;
};

// The canonical bytes of an entry: one JSON object, no whitespace, fields in a fixed order, the
// full credential (the journal keeps it for upload), ts as integer microseconds. This is the text
// the journal stores in `body`, chains and uploads; it is never logged.
std::string canonical_json(const JournalEntry& entry);

// The count behind Journal::pending_count(), for a read-only look at a schema 4 file without
// opening a Journal (which would migrate it): --check-config. Chained rows are never pruned
// unacknowledged, so the head minus the acknowledgement counts them.
inline constexpr std::string_view kPendingUploadSql =
    "SELECT c.head_seq - MAX(u.acked_seq, c.chain_start - 1) "
    "FROM journal_chain AS c, journal_upload AS u WHERE c.id = 1 AND u.id = 1";

class Journal {
 public:
  // Opens (creating or migrating if needed) the journal at `path`, chaining appended rows under
  // `key` (see journal_chain.h; a secret shorter than kMinJournalSecretBytes is refused).
  //
  // Durability: WAL with synchronous=FULL. In WAL mode FULL fsyncs the WAL at every commit, so a
  // committed append survives a process kill and a power cut; NORMAL syncs only at checkpoints,
  // and a power cut could drop the last commits, records of gates that already opened.
  static Result<Journal> open(const std::string& path, ChainKey key);

  // Appends one entry and returns its sequence number once it is durable. One transaction
  // (BEGIN IMMEDIATE … COMMIT) reads the chain head (the previous row's seq and mac, kept in
  // journal_chain), inserts the row with its body and mac, moves the head, and commits: a row is
  // never on disk without its mac, nor the head ahead of or behind the rows.
  Result<std::uint64_t> append(const JournalEntry& entry);

  // The seq of the first chained row: rows before it were written before schema 3 and carry no
  // body or mac (1 for a journal created at schema 3).
  std::uint64_t chain_start() const { return chain_start_; }

  // Chained rows (seq >= chain_start) with seq > after, in order, at most `limit`: what the
  // collector verifies with verify_chain from chain_start_anchor(key, chain_start()).
  Result<std::vector<ChainRow>> read_chain(std::uint64_t after = 0,
                                           std::size_t limit = SIZE_MAX);

  // Upload bookkeeping (issue 7). The collector's acknowledgement, persisted in the journal's
  // file: every chained row up to `acknowledged()` is held by the back office (0: none yet).
  Result<std::uint64_t> acknowledged();
  // Moves the acknowledgement forward to `seq`; an older seq changes nothing (a late reply to an
  // earlier batch), a seq past the chain head is refused: the collector cannot hold a row this
  // journal never wrote.
  Status acknowledge(std::uint64_t seq);
  // Chained rows not yet acknowledged: what the uploader still has to send (kPendingUploadSql).
  Result<std::uint64_t> pending_count();
  // Deletes at most `max_rows` acknowledged chained rows written before `older_than` (oldest seq
  // first) in one short write transaction, and returns how many went. Callers loop in small
  // batches: the decision loop's append on another connection waits (busy timeout) for each one.
  // Never touches an unacknowledged row, the chain head, code_replay, or rows before chain_start
  // (unchained rows are not uploaded, so nothing vouches that the back office holds them).
  Result<std::size_t> prune(Instant older_than, std::size_t max_rows);
  // The same ignoring the retention: for the disk budget's emergency path only. Rows go oldest
  // first, but may include the last day's entries the anti-passback memory reloads at start-up.
  Result<std::size_t> prune_acknowledged(std::size_t max_rows);

  // Rows with seq > after, in order, at most `limit`.
  Result<std::vector<JournalRow>> read(std::uint64_t after = 0, std::size_t limit = SIZE_MAX);

  // For anti-passback across restarts: per credential, the latest entry at or after `since` that
  // let it in (direction entry: an open decision, or a staff_confirm event), calling
  // `visit(credential, ts)` for each.
  Status recent_entries(Instant since, const std::function<void(std::string_view, Instant)>& visit);

  // The journal's data in bytes, for the disk budget (journal_max_size): the database's pages in
  // use, (page_count - freelist_count) * page_size as this connection sees them (committed WAL
  // frames included, so a prune counts as soon as it commits). Pages freed by deleting rows go to
  // the free list and are reused by later appends (no auto_vacuum): the file never shrinks, but
  // it grows only once the data outgrows it, so capping this caps the file. The WAL is left out
  // on purpose: it swings between zero and its checkpoint size (1000 pages, about 4 MiB) every
  // few hundred appends whatever the data does, and counting it would make a gate near its
  // budget go full and back at every checkpoint. It is bounded on its own (journal_size_limit,
  // set by open()). Three pragmas: a few microseconds (journal-bench prints it), cheap after
  // appends.
  Result<std::uint64_t> used_bytes();

  // The latest ts of any row (std::nullopt for an empty journal): the gate compares its wall
  // clock with it at start-up, a clock behind the records it already wrote being a wrong clock.
  // One index lookup (journal_by_ts).
  Result<std::optional<Instant>> latest_ts();

  // Test and simulator hook (the fault disk-full): while `full`, the file may not grow past its
  // current size (PRAGMA max_page_count on this connection), so the first append that needs a
  // new page fails with SQLITE_FULL and rolls back, as on a full file system (where, as here, a
  // few more rows may still fit in pages already allocated); false lifts the cap.
  Status set_disk_full(bool full);

  // The journal's connection (WAL, synchronous=FULL), for state that must be exactly as durable
  // as the records and live in the same file: the ride-code replay memory.
  sqlite3* db() { return db_.get(); }

 private:
  Journal(DbHandle db, ChainKey key) : db_(std::move(db)), key_(std::move(key)) {}
  Result<std::uint64_t> append_in_transaction(const JournalEntry& entry);
  Result<std::size_t> prune_before(std::int64_t ts_us_bound, std::size_t max_rows);

  DbHandle db_;
  ChainKey key_;
  Mac genesis_{};
  std::uint64_t chain_start_ = 1;
  StmtHandle insert_stmt_;
  StmtHandle head_stmt_;
  StmtHandle set_head_stmt_;
};

}  // namespace gate::store
