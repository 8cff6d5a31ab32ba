#include "sim/backoffice/registry_store.h"

#include "firmware/store/sqlite.h"

namespace gate::backoffice::registry_store {
namespace {

using store::bind_text;
using store::column_text;
using store::prepare;
using store::sqlite_error;
using store::StmtHandle;

// Steps a statement that returns no row.
Status run(sqlite3* db, sqlite3_stmt* s, std::string_view what) {
  if (sqlite3_step(s) != SQLITE_DONE) return sqlite_error(db, what);
  return ok_status();
}

Status log_change(sqlite3* db, std::uint64_t seq, std::string_view line) {
  GATE_TRY_ASSIGN(StmtHandle s,
                  prepare(db,
                          "INSERT INTO changes(sequence, position, line) VALUES(?1, (SELECT "
                          "COUNT(*) FROM changes WHERE sequence = ?1), ?2)"));
  sqlite3_bind_int64(s.get(), 1, static_cast<sqlite3_int64>(seq));
  bind_text(s.get(), 2, line);
  return run(db, s.get(), "log a change");
}

BindingRow row_of(sqlite3_stmt* s) {
  BindingRow r;
  r.credential = column_text(s, 0);
  r.identity = column_text(s, 1);
  r.media = core::parse_media(column_text(s, 2)).value_or(core::Media::card);
  r.status = core::parse_binding_status(column_text(s, 3)).value_or(core::BindingStatus::blocked);
  r.by = column_text(s, 4);
  return r;
}

Result<std::optional<BindingRow>> one_binding(sqlite3* db, sqlite3_stmt* s) {
  int rc = sqlite3_step(s);
  if (rc == SQLITE_DONE) return std::optional<BindingRow>();
  if (rc != SQLITE_ROW) return sqlite_error(db, "read a binding");
  return std::optional<BindingRow>(row_of(s));
}

}  // namespace

Status create_schema(sqlite3* db) {
  return store::exec(db,
                     "CREATE TABLE IF NOT EXISTS meta(id INTEGER PRIMARY KEY CHECK (id = 1),"
                     "  sequence INTEGER NOT NULL);"
                     "INSERT OR IGNORE INTO meta(id, sequence) VALUES(1, 0);"
                     "CREATE TABLE IF NOT EXISTS records(kind INTEGER NOT NULL, key TEXT NOT NULL,"
                     "  line TEXT NOT NULL, PRIMARY KEY (kind, key));"
                     "CREATE TABLE IF NOT EXISTS changes(sequence INTEGER NOT NULL,"
                     "  position INTEGER NOT NULL, line TEXT NOT NULL,"
                     "  PRIMARY KEY (sequence, position));"
                     "CREATE TABLE IF NOT EXISTS bindings(credential TEXT PRIMARY KEY,"
                     "  identity TEXT NOT NULL, media TEXT NOT NULL, status TEXT NOT NULL,"
                     "  by_identity TEXT NOT NULL);"
                     "CREATE INDEX IF NOT EXISTS bindings_identity ON bindings(identity);"
                     "CREATE INDEX IF NOT EXISTS bindings_by ON bindings(by_identity);");
}

Status put_record(sqlite3* db, std::uint64_t seq, Kind kind, std::string_view key,
                  std::string_view line) {
  GATE_TRY_ASSIGN(StmtHandle s,
                  prepare(db, "INSERT OR REPLACE INTO records(kind, key, line) VALUES(?, ?, ?)"));
  sqlite3_bind_int(s.get(), 1, static_cast<int>(kind));
  bind_text(s.get(), 2, key);
  bind_text(s.get(), 3, line);
  GATE_TRY(run(db, s.get(), "write a record"));
  return log_change(db, seq, line);
}

Status remove_record(sqlite3* db, std::uint64_t seq, Kind kind, std::string_view key,
                     std::string_view delete_line) {
  GATE_TRY_ASSIGN(StmtHandle s, prepare(db, "DELETE FROM records WHERE kind = ? AND key = ?"));
  sqlite3_bind_int(s.get(), 1, static_cast<int>(kind));
  bind_text(s.get(), 2, key);
  GATE_TRY(run(db, s.get(), "delete a record"));
  return log_change(db, seq, delete_line);
}

Result<std::optional<std::string>> find_record(sqlite3* db, Kind kind, std::string_view key) {
  GATE_TRY_ASSIGN(StmtHandle s, prepare(db, "SELECT line FROM records WHERE kind = ? AND key = ?"));
  sqlite3_bind_int(s.get(), 1, static_cast<int>(kind));
  bind_text(s.get(), 2, key);
  int rc = sqlite3_step(s.get());
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return sqlite_error(db, "read a record");
  return std::optional<std::string>(std::string(column_text(s.get(), 0)));
}

Result<std::optional<BindingRow>> find_binding(sqlite3* db, std::string_view credential) {
  GATE_TRY_ASSIGN(StmtHandle s, prepare(db,
                                        "SELECT credential, identity, media, status, by_identity "
                                        "FROM bindings WHERE credential = ?"));
  bind_text(s.get(), 1, credential);
  return one_binding(db, s.get());
}

Status put_binding(sqlite3* db, const BindingRow& r) {
  GATE_TRY_ASSIGN(StmtHandle s, prepare(db,
                                        "INSERT OR REPLACE INTO bindings(credential, identity, "
                                        "media, status, by_identity) VALUES(?, ?, ?, ?, ?)"));
  bind_text(s.get(), 1, r.credential);
  bind_text(s.get(), 2, r.identity);
  bind_text(s.get(), 3, core::media_name(r.media));
  bind_text(s.get(), 4, core::binding_status_name(r.status));
  bind_text(s.get(), 5, r.by);
  return run(db, s.get(), "write a binding");
}

Result<std::optional<BindingRow>> slot_holder(sqlite3* db, std::string_view identity,
                                              core::Media media_a, core::Media media_b) {
  GATE_TRY_ASSIGN(StmtHandle s,
                  prepare(db,
                          "SELECT credential, identity, media, status, by_identity FROM bindings "
                          "WHERE identity = ? AND media IN (?, ?) AND status IN ('active', 'lost') "
                          "ORDER BY credential LIMIT 1"));
  bind_text(s.get(), 1, identity);
  bind_text(s.get(), 2, core::media_name(media_a));
  bind_text(s.get(), 3, core::media_name(media_b));
  return one_binding(db, s.get());
}

Result<int> count_on_behalf(sqlite3* db, std::string_view by) {
  GATE_TRY_ASSIGN(StmtHandle s,
                  prepare(db,
                          "SELECT COUNT(*) FROM bindings WHERE by_identity = ?1 AND identity <> ?1 "
                          "AND status IN ('active', 'lost')"));
  bind_text(s.get(), 1, by);
  if (sqlite3_step(s.get()) != SQLITE_ROW) return sqlite_error(db, "count bindings");
  return sqlite3_column_int(s.get(), 0);
}

Result<std::uint64_t> read_sequence(sqlite3* db) {
  GATE_TRY_ASSIGN(StmtHandle s, prepare(db, "SELECT sequence FROM meta WHERE id = 1"));
  if (sqlite3_step(s.get()) != SQLITE_ROW) return sqlite_error(db, "read the sequence");
  return static_cast<std::uint64_t>(sqlite3_column_int64(s.get(), 0));
}

Status write_sequence(sqlite3* db, std::uint64_t seq) {
  GATE_TRY_ASSIGN(StmtHandle s, prepare(db, "UPDATE meta SET sequence = ? WHERE id = 1"));
  sqlite3_bind_int64(s.get(), 1, static_cast<sqlite3_int64>(seq));
  return run(db, s.get(), "write the sequence");
}

}  // namespace gate::backoffice::registry_store
