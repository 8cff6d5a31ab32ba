// CacheWriter: the one write path into the cache. Every apply is one BEGIN IMMEDIATE transaction
// with statements prepared once per call, so a 10,000-change delta and a 40-million-row snapshot
// go through the same code. synchronous=NORMAL: in WAL mode a power cut may lose the last commits
// but never corrupts the file, and the cache is rebuildable from the feed (whose sequence number,
// stored in the same transaction, says where to resume).
#include <array>
#include <memory>
#include <optional>
#include <utility>

#include "firmware/store/cache.h"
#include "firmware/store/cache_schema.h"

namespace gate::store {
namespace {

enum Stmt {
  kUpsertBinding,
  kUpsertHealth,
  kUpsertPolicy,
  kDeleteScope,
  kInsertScope,
  kUpsertIssuerKey,
  kUpsertDeny,
  kDeleteBinding,
  kDeleteHealth,
  kDeletePolicy,
  kDeleteIssuerKey,
  kDeleteDeny,
  kMarkSynced,
  kStmtCount
};

constexpr std::string_view kSql[kStmtCount] = {
    "INSERT INTO binding (credential, identity, media, status, since_us)"
    " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (credential) DO UPDATE SET identity = "
    "excluded.identity,"
    " media = excluded.media, status = excluded.status, since_us = excluded.since_us",
    "INSERT INTO health (identity, colour, popup, last_negative_test_us, as_of_us)"
    " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (identity) DO UPDATE SET colour = excluded.colour,"
    " popup = excluded.popup, last_negative_test_us = excluded.last_negative_test_us,"
    " as_of_us = excluded.as_of_us",
    "INSERT INTO policy (id, effective_from_us, health_mode, not_upgraded, health_unknown,"
    " block_yellow, popup, test_max_age_hours, max_cache_age_minutes, stale,"
    " anti_passback_minutes, accept_m1) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
    " ON CONFLICT (id) DO UPDATE SET effective_from_us = excluded.effective_from_us,"
    " health_mode = excluded.health_mode, not_upgraded = excluded.not_upgraded,"
    " health_unknown = excluded.health_unknown, block_yellow = excluded.block_yellow,"
    " popup = excluded.popup, test_max_age_hours = excluded.test_max_age_hours,"
    " max_cache_age_minutes = excluded.max_cache_age_minutes, stale = excluded.stale,"
    " anti_passback_minutes = excluded.anti_passback_minutes, accept_m1 = excluded.accept_m1",
    "DELETE FROM policy_scope WHERE policy_id = ?1",
    "INSERT INTO policy_scope (policy_id, kind, pos, name) VALUES (?1, ?2, ?3, ?4)",
    "INSERT INTO issuer_key (issuer_id, key_id, public_key_hex, valid_from_us, valid_until_us,"
    " revoked) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (issuer_id, key_id) DO UPDATE SET"
    " public_key_hex = excluded.public_key_hex, valid_from_us = excluded.valid_from_us,"
    " valid_until_us = excluded.valid_until_us, revoked = excluded.revoked",
    "INSERT INTO deny (credential, note) VALUES (?1, ?2)"
    " ON CONFLICT (credential) DO UPDATE SET note = excluded.note",
    "DELETE FROM binding WHERE credential = ?1",
    "DELETE FROM health WHERE identity = ?1",
    "DELETE FROM policy WHERE id = ?1",
    "DELETE FROM issuer_key WHERE issuer_id = ?1 AND key_id = ?2",
    "DELETE FROM deny WHERE credential = ?1",
    "UPDATE sync_state SET last_good_sync_us = ?1, sequence = ?2 WHERE id = 1",
};

// One BEGIN IMMEDIATE … COMMIT; rolls back unless commit() succeeded.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) {}
  ~Transaction() {
    if (open_) (void)exec(db_, "ROLLBACK");
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Status begin() {
    GATE_TRY(exec(db_, "BEGIN IMMEDIATE"));
    open_ = true;
    return ok_status();
  }
  Status commit() {
    GATE_TRY(exec(db_, "COMMIT"));
    open_ = false;
    return ok_status();
  }

 private:
  sqlite3* db_;
  bool open_ = false;
};

// Writes changes with statements prepared on first use and kept for the applier's lifetime.
// Text is bound with SQLITE_STATIC: the change outlives the step, and every step is reset.
class Applier {
 public:
  explicit Applier(sqlite3* db) : db_(db) {}

  Status write(const core::Binding& b) {
    auto media = media_code(b.media);
    if (!media) return make_error(Errc::invalid_argument, "binding: media none has no binding");
    GATE_TRY_ASSIGN(sqlite3_stmt * s, stmt(kUpsertBinding));
    bind_text(s, 1, b.credential);
    bind_text(s, 2, b.identity);
    sqlite3_bind_int(s, 3, *media);
    sqlite3_bind_int(s, 4, binding_status_code(b.status));
    sqlite3_bind_int64(s, 5, to_db_time(b.since));
    return run_rebound(s, "binding");
  }
  Status write(const core::HealthStatus& h) {
    GATE_TRY_ASSIGN(sqlite3_stmt * s, stmt(kUpsertHealth));
    bind_text(s, 1, h.identity);
    sqlite3_bind_int(s, 2, health_colour_code(h.colour));
    sqlite3_bind_int(s, 3, h.popup ? 1 : 0);
    if (h.last_negative_test) {
      sqlite3_bind_int64(s, 4, to_db_time(*h.last_negative_test));
    } else {
      sqlite3_bind_null(s, 4);
    }
    sqlite3_bind_int64(s, 5, to_db_time(h.as_of));
    return run_rebound(s, "health");
  }
  Status write(const core::PolicyRecord& r) {
    const core::Policy& p = r.policy;
    GATE_TRY_ASSIGN(sqlite3_stmt * s, stmt(kUpsertPolicy));
    bind_text(s, 1, r.id);
    sqlite3_bind_int64(s, 2, to_db_time(r.effective_from));
    bind_text(s, 3, core::health_mode_name(p.health_mode));
    bind_text(s, 4, core::not_upgraded_policy_name(p.not_upgraded));
    bind_text(s, 5, core::three_way_policy_name(p.health_unknown));
    sqlite3_bind_int(s, 6, p.block_yellow ? 1 : 0);
    bind_text(s, 7, core::popup_policy_name(p.popup));
    sqlite3_bind_int(s, 8, p.test_max_age_hours);
    sqlite3_bind_int(s, 9, p.max_cache_age_minutes);
    bind_text(s, 10, core::three_way_policy_name(p.stale));
    sqlite3_bind_int(s, 11, p.anti_passback_minutes);
    sqlite3_bind_int(s, 12, p.accept_m1 ? 1 : 0);
    GATE_TRY(run(s, "policy"));
    GATE_TRY(delete_by_text(kDeleteScope, r.id, "policy scope"));
    GATE_TRY(write_scope(r.id, "line", r.scope_lines));
    return write_scope(r.id, "station", r.scope_stations);
  }
  Status write(const core::IssuerKey& k) {
    GATE_TRY_ASSIGN(sqlite3_stmt * s, stmt(kUpsertIssuerKey));
    sqlite3_bind_int(s, 1, k.issuer_id);
    sqlite3_bind_int(s, 2, k.key_id);
    bind_text(s, 3, k.public_key_hex);
    sqlite3_bind_int64(s, 4, to_db_time(k.valid_from));
    sqlite3_bind_int64(s, 5, to_db_time(k.valid_until));
    sqlite3_bind_int(s, 6, k.revoked ? 1 : 0);
    return run(s, "issuer_key");
  }
  Status write(const core::DenyEntry& d) {
    GATE_TRY_ASSIGN(sqlite3_stmt * s, stmt(kUpsertDeny));
    bind_text(s, 1, d.credential);
    bind_text(s, 2, d.note);
    return run(s, "deny");
  }
  Status write(const Deletion& d) {
    switch (d.kind) {
      case RecordKind::binding:
        return delete_by_text(kDeleteBinding, d.key, "delete binding");
      case RecordKind::health:
        return delete_by_text(kDeleteHealth, d.key, "delete health");
      case RecordKind::deny:
        return delete_by_text(kDeleteDeny, d.key, "delete deny");
      case RecordKind::policy:
        GATE_TRY(delete_by_text(kDeleteScope, d.key, "delete policy scope"));
        return delete_by_text(kDeletePolicy, d.key, "delete policy");
      case RecordKind::issuer_key: {
        GATE_TRY_ASSIGN(sqlite3_stmt * s, stmt(kDeleteIssuerKey));
        sqlite3_bind_int(s, 1, d.issuer_id);
        sqlite3_bind_int(s, 2, d.key_id);
        return run(s, "delete issuer_key");
      }
    }
    return make_error(Errc::invalid_argument, "delete of an unknown record kind");
  }
  Status mark_synced(Instant at, std::uint64_t sequence) {
    GATE_TRY_ASSIGN(sqlite3_stmt * s, stmt(kMarkSynced));
    sqlite3_bind_int64(s, 1, to_db_time(at));
    sqlite3_bind_int64(s, 2, static_cast<sqlite3_int64>(sequence));
    return run(s, "sync_state");
  }

 private:
  Result<sqlite3_stmt*> stmt(Stmt id) {
    if (!stmts_[id]) {
      GATE_TRY_ASSIGN(stmts_[id], prepare(db_, kSql[id]));
    }
    return stmts_[id].get();
  }
  Status run(sqlite3_stmt* s, std::string_view what) {
    StmtReset reset(s);
    if (sqlite3_step(s) != SQLITE_DONE) return sqlite_error(db_, std::string("write ") += what);
    return ok_status();
  }
  // For the two tables of tens of millions of rows, whose writers bind every parameter each time:
  // a reset without clearing the bindings (sqlite3_clear_bindings per row showed in profiles).
  Status run_rebound(sqlite3_stmt* s, std::string_view what) {
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return sqlite_error(db_, std::string("write ") += what);
    return ok_status();
  }
  Status delete_by_text(Stmt id, std::string_view key, std::string_view what) {
    GATE_TRY_ASSIGN(sqlite3_stmt * s, stmt(id));
    bind_text(s, 1, key);
    return run(s, what);
  }
  Status write_scope(std::string_view id, std::string_view kind,
                     const std::vector<std::string>& names) {
    for (std::size_t pos = 0; pos < names.size(); ++pos) {
      GATE_TRY_ASSIGN(sqlite3_stmt * s, stmt(kInsertScope));
      bind_text(s, 1, id);
      bind_text(s, 2, kind);
      sqlite3_bind_int64(s, 3, static_cast<sqlite3_int64>(pos));
      bind_text(s, 4, names[pos]);
      GATE_TRY(run(s, "policy scope"));
    }
    return ok_status();
  }

  sqlite3* db_;
  std::array<StmtHandle, kStmtCount> stmts_;
};

Status write_change(Applier& applier, const CacheChange& change) {
  return std::visit([&applier](const auto& c) { return applier.write(c); }, change);
}

}  // namespace

struct CacheUpdate::State {
  explicit State(sqlite3* db) : tx(db), applier(db) {}
  Transaction tx;  // declared first: the statements are finalized before it rolls back
  Applier applier;
  std::optional<CacheWriter::SyncMark> mark;
  bool committed = false;
};

CacheUpdate::CacheUpdate(std::unique_ptr<State> state) : state_(std::move(state)) {}
CacheUpdate::CacheUpdate(CacheUpdate&&) noexcept = default;
CacheUpdate& CacheUpdate::operator=(CacheUpdate&&) noexcept = default;
CacheUpdate::~CacheUpdate() = default;

Status CacheUpdate::add(const CacheChange& change) {
  if (!state_ || state_->committed) {
    return make_error(Errc::invalid_argument, "cache update already committed");
  }
  return write_change(state_->applier, change);
}

Status CacheUpdate::commit() {
  if (!state_ || state_->committed) {
    return make_error(Errc::invalid_argument, "cache update already committed");
  }
  if (state_->mark)
    GATE_TRY(state_->applier.mark_synced(state_->mark->first, state_->mark->second));
  GATE_TRY(state_->tx.commit());
  state_->committed = true;
  return ok_status();
}

namespace {

// Emptying with an unqualified DELETE is SQLite's truncate optimization (whole B-trees freed, no
// per-row work); the freed pages are reused by the refill, so the file does not grow by a copy.
constexpr std::string_view kEmptyAll =
    "DELETE FROM binding; DELETE FROM health; DELETE FROM policy_scope;"
    " DELETE FROM policy; DELETE FROM issuer_key; DELETE FROM deny";

}  // namespace

Result<CacheUpdate> CacheWriter::begin(bool replace, std::optional<SyncMark> mark) {
  auto state = std::make_unique<CacheUpdate::State>(db_.get());
  GATE_TRY(state->tx.begin());
  if (replace) GATE_TRY(exec(db_.get(), kEmptyAll));
  state->mark = mark;
  return CacheUpdate(std::move(state));
}

Status CacheWriter::apply_all(const std::vector<CacheChange>& changes, std::optional<SyncMark> mark,
                              bool replace) {
  GATE_TRY_ASSIGN(CacheUpdate update, begin(replace, mark));
  for (const CacheChange& change : changes) GATE_TRY(update.add(change));
  return update.commit();
}

Result<CacheWriter> CacheWriter::open(const std::string& path) {
  GATE_TRY_ASSIGN(DbHandle db, open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  // Refuse a newer file before switching its journal mode.
  GATE_TRY_ASSIGN(int version, user_version(db.get()));
  if (version > kCacheSchemaVersion) {
    return make_error(Errc::unsupported,
                      "cache " + path + " has schema version " + std::to_string(version) +
                          ", newer than this build's " + std::to_string(kCacheSchemaVersion));
  }
  {
    GATE_TRY_ASSIGN(StmtHandle wal, prepare(db.get(), "PRAGMA journal_mode=WAL"));
    if (sqlite3_step(wal.get()) != SQLITE_ROW || column_text(wal.get(), 0) != "wal") {
      return make_error(Errc::storage_error, "cache " + path + ": cannot switch to WAL mode");
    }
  }
  GATE_TRY(exec(db.get(), "PRAGMA synchronous=NORMAL"));
  Status migrated = migrate_schema(db.get(), cache_migrations());
  if (!migrated.ok()) {
    return make_error(migrated.error().code, "cache " + path + ": " + migrated.error().message);
  }
  return CacheWriter(std::move(db));
}

Status CacheWriter::apply(const std::vector<CacheChange>& changes) {
  return apply_all(changes, std::nullopt);
}

Status CacheWriter::mark_synced(Instant at, std::uint64_t sequence) {
  return apply_all({}, std::make_pair(at, sequence));
}

Status CacheWriter::apply_and_mark(const std::vector<CacheChange>& changes, Instant at,
                                   std::uint64_t sequence) {
  return apply_all(changes, std::make_pair(at, sequence));
}

Status CacheWriter::replace_all(const std::vector<CacheChange>& changes, Instant at,
                                std::uint64_t sequence) {
  return apply_all(changes, std::make_pair(at, sequence), true);
}

Result<CacheUpdate> CacheWriter::begin_replace(Instant at, std::uint64_t sequence) {
  return begin(true, std::make_pair(at, sequence));
}

Result<CacheUpdate> CacheWriter::begin_apply(Instant at, std::uint64_t sequence) {
  return begin(false, std::make_pair(at, sequence));
}

Result<SyncState> CacheWriter::sync_state() {
  GATE_TRY_ASSIGN(
      StmtHandle s,
      prepare(db_.get(), "SELECT last_good_sync_us, sequence FROM sync_state WHERE id = 1"));
  int rc = sqlite3_step(s.get());
  if (rc == SQLITE_DONE) return SyncState{};
  if (rc != SQLITE_ROW) return sqlite_error(db_.get(), "read sync state");
  SyncState state;
  if (sqlite3_column_type(s.get(), 0) != SQLITE_NULL) {
    state.last_good_sync = from_db_time(sqlite3_column_int64(s.get(), 0));
  }
  state.sequence = static_cast<std::uint64_t>(sqlite3_column_int64(s.get(), 1));
  return state;
}

}  // namespace gate::store
