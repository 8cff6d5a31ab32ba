// The registry file: opening it, the all-or-nothing transaction around a batch of operations, and
// reading the records back. The rules themselves are in registry_rules.cpp.
#include "sim/backoffice/registry.h"

#include <utility>

#include "firmware/store/record_loader.h"
#include "sim/backoffice/registry_store.h"

namespace gate::backoffice {

using store::prepare;
using store::StmtHandle;

Result<Registry> Registry::open(const std::string& path) {
  GATE_TRY_ASSIGN(store::DbHandle db,
                  store::open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  GATE_TRY(store::exec(db.get(), "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"));
  GATE_TRY(registry_store::create_schema(db.get()));
  return Registry(std::move(db));
}

Result<std::uint64_t> Registry::apply(const std::vector<Operation>& ops) {
  sqlite3* db = db_.get();
  GATE_TRY(store::exec(db, "BEGIN IMMEDIATE"));
  Result<std::uint64_t> seq = registry_store::read_sequence(db);
  Status s = seq.ok() ? ok_status() : Status(seq.error());
  for (std::size_t i = 0; s.ok() && i < ops.size(); ++i) {
    s = apply_one(ops[i], *seq + i + 1);
  }
  if (s.ok()) s = registry_store::write_sequence(db, *seq + ops.size());
  if (s.ok()) s = store::exec(db, "COMMIT");
  if (!s.ok()) {
    (void)store::exec(db, "ROLLBACK");  // the refusal is what the caller needs to see
    return s.error();
  }
  return *seq + ops.size();
}

Result<std::string> Registry::records() {
  GATE_TRY_ASSIGN(StmtHandle s, prepare(db_.get(), "SELECT line FROM records ORDER BY kind, key"));
  std::string out;
  int rc;
  while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) out += store::column_text(s.get(), 0);
  if (rc != SQLITE_DONE) return store::sqlite_error(db_.get(), "read records");
  return out;
}

Result<std::string> Registry::changes(std::uint64_t since) {
  GATE_TRY_ASSIGN(StmtHandle s, prepare(db_.get(),
                                        "SELECT line FROM changes WHERE sequence > ? "
                                        "ORDER BY sequence, position"));
  sqlite3_bind_int64(s.get(), 1, static_cast<sqlite3_int64>(since));
  std::string out;
  int rc;
  while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) out += store::column_text(s.get(), 0);
  if (rc != SQLITE_DONE) return store::sqlite_error(db_.get(), "read changes");
  return out;
}

Result<std::vector<core::Binding>> Registry::binding_history(std::string_view identity) {
  // The change log holds the record lines as written; SQLite's JSON functions pick the bindings
  // out, the record loader reads them as a gate would.
  GATE_TRY_ASSIGN(StmtHandle s,
                  prepare(db_.get(),
                          "WITH b AS (SELECT sequence, position, line, "
                          "json_extract(line, '$.credential') AS credential, "
                          "json_extract(line, '$.identity') AS identity FROM changes "
                          "WHERE json_valid(line) AND json_extract(line, '$.type') = 'binding') "
                          "SELECT line FROM b WHERE credential IN "
                          "(SELECT credential FROM b WHERE identity = ?) "
                          "ORDER BY sequence, position"));
  store::bind_text(s.get(), 1, identity);
  std::vector<core::Binding> out;
  int rc;
  while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
    GATE_TRY_ASSIGN(store::CacheChange rec,
                    store::parse_record_line(store::column_text(s.get(), 0), out.size() + 1));
    if (auto* b = std::get_if<core::Binding>(&rec)) out.push_back(std::move(*b));
  }
  if (rc != SQLITE_DONE) return store::sqlite_error(db_.get(), "read the binding history");
  return out;
}

Result<std::uint64_t> Registry::sequence() {
  return registry_store::read_sequence(db_.get());
}

Result<RegistryRead> Registry::begin_read() {
  sqlite3* db = db_.get();
  GATE_TRY(store::exec(db, "BEGIN"));
  // The first read starts the snapshot: the sequence and everything read after it are one state.
  Result<std::uint64_t> seq = registry_store::read_sequence(db);
  if (!seq.ok()) {
    (void)store::exec(db, "ROLLBACK");
    return seq.error();
  }
  return RegistryRead(db, *seq);
}

RegistryRead::RegistryRead(RegistryRead&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), sequence_(other.sequence_) {}

RegistryRead::~RegistryRead() {
  if (db_) (void)store::exec(db_, "COMMIT");
}

namespace {

Status each_row(sqlite3* db, sqlite3_stmt* s, const LineFn& each, std::string_view what) {
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) GATE_TRY(each(store::column_text(s, 0)));
  if (rc != SQLITE_DONE) return store::sqlite_error(db, what);
  return ok_status();
}

Result<std::uint64_t> count_of(sqlite3* db, sqlite3_stmt* s, std::string_view what) {
  if (sqlite3_step(s) != SQLITE_ROW) return store::sqlite_error(db, what);
  return static_cast<std::uint64_t>(sqlite3_column_int64(s, 0));
}

}  // namespace

Result<std::uint64_t> RegistryRead::record_count() {
  GATE_TRY_ASSIGN(StmtHandle s, prepare(db_, "SELECT COUNT(*) FROM records"));
  return count_of(db_, s.get(), "count records");
}

Status RegistryRead::each_record(const LineFn& each) {
  GATE_TRY_ASSIGN(StmtHandle s, prepare(db_, "SELECT line FROM records ORDER BY kind, key"));
  return each_row(db_, s.get(), each, "read records");
}

Result<std::uint64_t> RegistryRead::change_count(std::uint64_t since) {
  GATE_TRY_ASSIGN(StmtHandle s, prepare(db_, "SELECT COUNT(*) FROM changes WHERE sequence > ?"));
  sqlite3_bind_int64(s.get(), 1, static_cast<sqlite3_int64>(since));
  return count_of(db_, s.get(), "count changes");
}

Status RegistryRead::each_change(std::uint64_t since, const LineFn& each) {
  GATE_TRY_ASSIGN(StmtHandle s, prepare(db_,
                                        "SELECT line FROM changes WHERE sequence > ? "
                                        "ORDER BY sequence, position"));
  sqlite3_bind_int64(s.get(), 1, static_cast<sqlite3_int64>(since));
  return each_row(db_, s.get(), each, "read changes");
}

}  // namespace gate::backoffice
