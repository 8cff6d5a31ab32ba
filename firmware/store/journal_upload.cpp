// The journal's upload bookkeeping (issue 7): the collector's acknowledgement, kept in the
// journal's own file (schema 4, table journal_upload) so it is exactly as durable as the rows, the
// rows still to send, the space the journal takes, and the pruning of acknowledged rows. The
// uploader calls these on its own connection to the file, the disk budget on the loop's.
#include <algorithm>
#include <climits>
#include <cstdint>

#include "firmware/store/journal.h"

namespace gate::store {

namespace {

constexpr std::string_view kAckedSql = "SELECT acked_seq FROM journal_upload WHERE id = 1";
// Monotonic and bounded by the head in the statement itself, so the check and the write are one.
constexpr std::string_view kAcknowledgeSql =
    "UPDATE journal_upload SET acked_seq = ?1 WHERE id = 1 AND acked_seq < ?1 "
    "AND ?1 <= (SELECT head_seq FROM journal_chain WHERE id = 1)";
// Through the primary key: the acknowledged chained range, oldest first, the retention bound
// applied row by row (the clock may have been set back, so ts is not ordered by seq).
constexpr std::string_view kPruneSql =
    "DELETE FROM journal WHERE seq IN (SELECT seq FROM journal "
    "WHERE seq >= (SELECT chain_start FROM journal_chain WHERE id = 1) "
    "AND seq <= (SELECT acked_seq FROM journal_upload WHERE id = 1) AND ts_us < ?1 "
    "ORDER BY seq LIMIT ?2)";

// Runs `step` in BEGIN IMMEDIATE … COMMIT: the write lock is taken first, waiting out the other
// connection's write through the busy timeout (a deferred transaction that must upgrade could
// fail with SQLITE_BUSY at once instead).
template <class Step>
auto in_write_transaction(sqlite3* db, Step step) -> decltype(step()) {
  GATE_TRY(exec(db, "BEGIN IMMEDIATE"));
  auto result = step();
  if (!result.ok()) {
    (void)exec(db, "ROLLBACK");
    return result;
  }
  if (Status s = exec(db, "COMMIT"); !s.ok()) {
    (void)exec(db, "ROLLBACK");
    return s.error();
  }
  return result;
}

Result<std::int64_t> query_one_int(sqlite3* db, std::string_view sql, std::string_view what) {
  GATE_TRY_ASSIGN(StmtHandle stmt, prepare(db, sql));
  if (sqlite3_step(stmt.get()) != SQLITE_ROW) return sqlite_error(db, what);
  return static_cast<std::int64_t>(sqlite3_column_int64(stmt.get(), 0));
}

}  // namespace

Result<std::uint64_t> Journal::acknowledged() {
  GATE_TRY_ASSIGN(std::int64_t acked, query_one_int(db_.get(), kAckedSql, "journal acknowledged"));
  return static_cast<std::uint64_t>(acked);
}

Status Journal::acknowledge(std::uint64_t seq) {
  if (seq > static_cast<std::uint64_t>(INT64_MAX)) {
    return make_error(Errc::invalid_argument, "journal: acknowledged seq out of range");
  }
  sqlite3* db = db_.get();
  GATE_TRY_ASSIGN(StmtHandle stmt, prepare(db, kAcknowledgeSql));
  if (sqlite3_bind_int64(stmt.get(), 1, static_cast<sqlite3_int64>(seq)) != SQLITE_OK) {
    return sqlite_error(db, "journal acknowledge bind");
  }
  // Durable like the rows when COMMIT returns (synchronous=FULL).
  return in_write_transaction(db, [&]() -> Status {
    if (sqlite3_step(stmt.get()) != SQLITE_DONE) return sqlite_error(db, "journal acknowledge");
    if (sqlite3_changes(db) != 0) return ok_status();
    GATE_TRY_ASSIGN(
        std::int64_t head,
        query_one_int(db, "SELECT head_seq FROM journal_chain WHERE id = 1", "journal chain head"));
    if (seq > static_cast<std::uint64_t>(head)) {
      return make_error(Errc::invalid_argument, "journal: acknowledgement of seq " +
                                                    std::to_string(seq) + " past the head " +
                                                    std::to_string(head));
    }
    return ok_status();
  });
}

Result<std::uint64_t> Journal::pending_count() {
  GATE_TRY_ASSIGN(std::int64_t pending,
                  query_one_int(db_.get(), kPendingUploadSql, "journal pending"));
  return pending > 0 ? static_cast<std::uint64_t>(pending) : 0;
}

Result<std::uint64_t> Journal::used_bytes() {
  sqlite3* d = db_.get();
  GATE_TRY_ASSIGN(std::int64_t pages, query_one_int(d, "PRAGMA page_count", "journal page count"));
  GATE_TRY_ASSIGN(std::int64_t free_pages,
                  query_one_int(d, "PRAGMA freelist_count", "journal free pages"));
  GATE_TRY_ASSIGN(std::int64_t page_size, query_one_int(d, "PRAGMA page_size", "journal page size"));
  return static_cast<std::uint64_t>(std::max<std::int64_t>(pages - free_pages, 0)) *
         static_cast<std::uint64_t>(page_size);
}

Result<std::size_t> Journal::prune(Instant older_than, std::size_t max_rows) {
  return prune_before(older_than.time_since_epoch().count(), max_rows);
}

Result<std::size_t> Journal::prune_acknowledged(std::size_t max_rows) {
  return prune_before(INT64_MAX, max_rows);
}

Result<std::size_t> Journal::prune_before(std::int64_t ts_us_bound, std::size_t max_rows) {
  if (max_rows == 0) return std::size_t{0};
  GATE_TRY_ASSIGN(StmtHandle stmt, prepare(db_.get(), kPruneSql));
  const auto limit = sql_range(0, max_rows).second;
  if (sqlite3_bind_int64(stmt.get(), 1, ts_us_bound) != SQLITE_OK ||
      sqlite3_bind_int64(stmt.get(), 2, limit) != SQLITE_OK) {
    return sqlite_error(db_.get(), "journal prune bind");
  }
  // One statement in one write transaction: the acknowledgement it reads and the rows it removes
  // cannot change between the two.
  return in_write_transaction(db_.get(), [&]() -> Result<std::size_t> {
    if (sqlite3_step(stmt.get()) != SQLITE_DONE) return sqlite_error(db_.get(), "journal prune");
    return static_cast<std::size_t>(sqlite3_changes(db_.get()));
  });
}

}  // namespace gate::store
