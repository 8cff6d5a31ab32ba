// Thin RAII over the SQLite C API, shared by the cache and the journal. Every failure becomes a
// Status with the SQLite error text (never a credential key: callers bind keys as parameters).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "hal/result.h"

namespace gate::store {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using DbHandle = std::unique_ptr<sqlite3, DbCloser>;
using StmtHandle = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// Opens `path` with `flags` (SQLITE_OPEN_*), with a busy timeout so a concurrent writer makes
// readers wait a bounded time instead of failing at once.
Result<DbHandle> open_db(const std::string& path, int flags, int busy_timeout_ms = 2000);

// Runs one or more statements that return no rows.
Status exec(sqlite3* db, std::string_view sql);

// Prepares one statement for repeated use (SQLITE_PREPARE_PERSISTENT).
Result<StmtHandle> prepare(sqlite3* db, std::string_view sql);

// An Error carrying `what` and SQLite's message for `db`.
Error sqlite_error(sqlite3* db, std::string_view what);

// PRAGMA user_version.
Result<int> user_version(sqlite3* db);

// Binds text without copying; the caller keeps `text` alive until the statement is reset.
// `after` and `limit` as SQL integers for `seq > ?` and `LIMIT ?`: an `after` beyond INT64_MAX
// is INT64_MAX, a limit beyond it -1 (no limit in SQLite).
inline std::pair<sqlite3_int64, sqlite3_int64> sql_range(std::uint64_t after, std::size_t limit) {
  return {after > static_cast<std::uint64_t>(INT64_MAX) ? sqlite3_int64{INT64_MAX}
                                                        : static_cast<sqlite3_int64>(after),
          limit > static_cast<std::size_t>(INT64_MAX) ? sqlite3_int64{-1}
                                                      : static_cast<sqlite3_int64>(limit)};
}

inline int bind_text(sqlite3_stmt* stmt, int index, std::string_view text) {
  return sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

// Column as std::string_view (valid until the next step/reset); empty for NULL.
inline std::string_view column_text(sqlite3_stmt* stmt, int col) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, col));
  return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt, col)))
           : std::string_view();
}

// Resets a statement and clears its bindings when it goes out of scope.
class StmtReset {
 public:
  explicit StmtReset(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StmtReset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  StmtReset(const StmtReset&) = delete;
  StmtReset& operator=(const StmtReset&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

}  // namespace gate::store
