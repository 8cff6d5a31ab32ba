#include "firmware/store/sqlite.h"

namespace gate::store {

Error sqlite_error(sqlite3* db, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += db ? sqlite3_errmsg(db) : "out of memory";
  return make_error(Errc::storage_error, std::move(msg));
}

Result<DbHandle> open_db(const std::string& path, int flags, int busy_timeout_ms) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbHandle db(raw);
  if (rc != SQLITE_OK) return sqlite_error(raw, "open " + path);
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  return db;
}

Status exec(sqlite3* db, std::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  if (sqlite3_exec(db, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    return make_error(Errc::storage_error, "sql: " + msg);
  }
  return ok_status();
}

Result<StmtHandle> prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &raw, nullptr) != SQLITE_OK) {
    return sqlite_error(db, "prepare");
  }
  return StmtHandle(raw);
}

Result<int> user_version(sqlite3* db) {
  GATE_TRY_ASSIGN(StmtHandle stmt, prepare(db, "PRAGMA user_version"));
  if (sqlite3_step(stmt.get()) != SQLITE_ROW) return sqlite_error(db, "user_version");
  return sqlite3_column_int(stmt.get(), 0);
}

}  // namespace gate::store
