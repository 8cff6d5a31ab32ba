// CacheReader: the decision path's read-only view of the cache. One prepared statement answers a
// tap (binding, deny membership and the identity's health in one step); policies are cached in
// memory and re-read only when SQLite reports that the file's data changed.
#include <algorithm>
#include <filesystem>

#include "firmware/store/cache.h"
#include "firmware/store/cache_schema.h"

namespace gate::store {
namespace {

// Always exactly one row: the LEFT JOINs give NULLs for what the cache does not hold.
constexpr std::string_view kLookupSql =
    "SELECT b.identity, b.media, b.status, b.since_us, d.credential IS NOT NULL,"
    " h.identity IS NOT NULL, h.colour, h.popup, h.last_negative_test_us, h.as_of_us"
    " FROM (SELECT ?1 AS credential) AS k"
    " LEFT JOIN binding AS b ON b.credential = k.credential"
    " LEFT JOIN deny AS d ON d.credential = k.credential"
    " LEFT JOIN health AS h ON h.identity = b.identity";
// Reads map the file instead of copying pages through read(): a tap then costs memory accesses,
// not system calls. Up to 256 MiB (SQLite reads the rest the ordinary way), which keeps a
// 32-bit board's address space safe.
constexpr std::string_view kMmapPragma = "PRAGMA mmap_size = 268435456";
constexpr std::string_view kSyncSql =
    "SELECT last_good_sync_us, sequence FROM sync_state WHERE id = 1";
constexpr std::string_view kIssuerSql =
    "SELECT public_key_hex, valid_from_us, valid_until_us, revoked FROM issuer_key"
    " WHERE issuer_id = ?1 AND key_id = ?2";
constexpr std::string_view kPoliciesSql =
    "SELECT id, effective_from_us, health_mode, not_upgraded, health_unknown, block_yellow, popup,"
    " test_max_age_hours, max_cache_age_minutes, stale, anti_passback_minutes, accept_m1"
    " FROM policy ORDER BY id";
constexpr std::string_view kScopeSql =
    "SELECT policy_id, kind, name FROM policy_scope ORDER BY policy_id, kind, pos";

Error corrupt(std::string_view table) {
  return make_error(Errc::storage_error, "cache table " + std::string(table) +
                                             " holds a value this build does not know");
}

template <class T>
Result<T> named(std::optional<T> (*parse)(std::string_view), std::string_view name) {
  if (auto v = parse(name)) return *v;
  return corrupt("policy");
}

Result<core::PolicyRecord> policy_from_row(sqlite3_stmt* s) {
  core::PolicyRecord r;
  r.id = std::string(column_text(s, 0));
  r.effective_from = from_db_time(sqlite3_column_int64(s, 1));
  core::Policy& p = r.policy;
  GATE_TRY_ASSIGN(p.health_mode, named(core::parse_health_mode, column_text(s, 2)));
  GATE_TRY_ASSIGN(p.not_upgraded, named(core::parse_not_upgraded_policy, column_text(s, 3)));
  GATE_TRY_ASSIGN(p.health_unknown, named(core::parse_three_way_policy, column_text(s, 4)));
  p.block_yellow = sqlite3_column_int(s, 5) != 0;
  GATE_TRY_ASSIGN(p.popup, named(core::parse_popup_policy, column_text(s, 6)));
  p.test_max_age_hours = sqlite3_column_int(s, 7);
  p.max_cache_age_minutes = sqlite3_column_int(s, 8);
  GATE_TRY_ASSIGN(p.stale, named(core::parse_three_way_policy, column_text(s, 9)));
  p.anti_passback_minutes = sqlite3_column_int(s, 10);
  p.accept_m1 = sqlite3_column_int(s, 11) != 0;
  return r;
}

Result<std::vector<core::PolicyRecord>> read_policies(sqlite3* db) {
  std::vector<core::PolicyRecord> out;
  GATE_TRY_ASSIGN(StmtHandle policies, prepare(db, kPoliciesSql));
  int rc;
  while ((rc = sqlite3_step(policies.get())) == SQLITE_ROW) {
    GATE_TRY_ASSIGN(core::PolicyRecord r, policy_from_row(policies.get()));
    out.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return sqlite_error(db, "read policies");

  GATE_TRY_ASSIGN(StmtHandle scope, prepare(db, kScopeSql));
  while ((rc = sqlite3_step(scope.get())) == SQLITE_ROW) {
    std::string_view id = column_text(scope.get(), 0);
    auto it =
        std::lower_bound(out.begin(), out.end(), id,
                         [](const core::PolicyRecord& r, std::string_view k) { return r.id < k; });
    if (it == out.end() || it->id != id) continue;
    auto& names = column_text(scope.get(), 1) == "station" ? it->scope_stations : it->scope_lines;
    names.emplace_back(column_text(scope.get(), 2));
  }
  if (rc != SQLITE_DONE) return sqlite_error(db, "read policy scope");
  return out;
}

}  // namespace

Result<CacheReader> CacheReader::open(const std::string& path) {
  CacheReader reader;
  GATE_TRY(reader.open_at(path));
  return reader;
}

Status CacheReader::open_at(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    if (std::filesystem::exists(path, ec)) {
      return make_error(Errc::storage_error, "cache " + path + " is not a file");
    }
    return make_error(Errc::not_found, "cache " + path + " does not exist (build it first)");
  }
  GATE_TRY_ASSIGN(db_, open_db(path, SQLITE_OPEN_READONLY));
  Status opened = [&]() -> Status {
    GATE_TRY(check_schema_version(db_.get(), kCacheSchemaVersion, path));
    GATE_TRY(exec(db_.get(), kMmapPragma));
    GATE_TRY_ASSIGN(lookup_stmt_, prepare(db_.get(), kLookupSql));
    GATE_TRY_ASSIGN(sync_stmt_, prepare(db_.get(), kSyncSql));
    GATE_TRY_ASSIGN(issuer_stmt_, prepare(db_.get(), kIssuerSql));
    return ok_status();
  }();
  if (!opened.ok()) note_damage();
  return opened;
}

CacheCheck CacheReader::check(const std::string& path) {
  CacheCheck out;
  CacheReader reader;
  Status read = reader.open_at(path);
  if (read.ok()) {
    auto state = reader.sync_state();
    if (!state.ok()) read = state.error();
  }
  if (read.ok()) {
    auto policies = reader.policies();
    if (!policies.ok()) read = policies.error();
  }
  if (read.ok()) {
    // Any credential will do: the statement walks the same tables and indexes for all of them.
    core::CacheFacts facts;
    read = reader.lookup("probe", facts);
  }
  if (read.ok()) {
    auto key = reader.issuer_key(0, 0);
    if (!key.ok()) read = key.error();
  }
  if (read.ok()) {
    out.condition = CacheCondition::good;
    out.reader.emplace(std::move(reader));
    return out;
  }
  out.condition = reader.damage_seen_ ? CacheCondition::damaged : CacheCondition::unreadable;
  out.detail = read.error().message;
  return out;
}

void CacheReader::note_damage() {
  if (!db_) return;
  const int code = sqlite3_errcode(db_.get()) & 0xff;
  if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) damage_seen_ = true;
}

Error CacheReader::read_error(std::string_view what) {
  note_damage();
  return sqlite_error(db_.get(), what);
}

Status CacheReader::lookup(std::string_view credential, core::CacheFacts& facts) {
  sqlite3_stmt* s = lookup_stmt_.get();
  StmtReset reset(s);
  bind_text(s, 1, credential);
  if (sqlite3_step(s) != SQLITE_ROW) return read_error("cache lookup");

  facts.denied = sqlite3_column_int(s, 4) != 0;
  if (sqlite3_column_type(s, 0) == SQLITE_NULL) {
    facts.binding.reset();
    facts.health.reset();
    return ok_status();
  }
  auto media = media_from_code(sqlite3_column_int64(s, 1));
  auto status = binding_status_from_code(sqlite3_column_int64(s, 2));
  if (!media || !status) return corrupt("binding");
  if (!facts.binding) facts.binding.emplace();
  core::Binding& b = *facts.binding;
  b.credential.assign(credential);
  b.identity.assign(column_text(s, 0));
  b.media = *media;
  b.status = *status;
  b.since = from_db_time(sqlite3_column_int64(s, 3));

  if (sqlite3_column_int(s, 5) == 0) {
    facts.health.reset();
    return ok_status();
  }
  auto colour = health_colour_from_code(sqlite3_column_int64(s, 6));
  if (!colour) return corrupt("health");
  if (!facts.health) facts.health.emplace();
  core::HealthStatus& h = *facts.health;
  h.identity.assign(b.identity);
  h.colour = *colour;
  h.popup = sqlite3_column_int(s, 7) != 0;
  h.last_negative_test.reset();
  if (sqlite3_column_type(s, 8) != SQLITE_NULL) {
    h.last_negative_test = from_db_time(sqlite3_column_int64(s, 8));
  }
  h.as_of = from_db_time(sqlite3_column_int64(s, 9));
  return ok_status();
}

Result<const std::vector<core::PolicyRecord>*> CacheReader::policies() {
  // The data version only moves when a read transaction starts, so start one (the one-row
  // sync_state read, kept for last_sync_state()) before asking; then re-read only if it differs
  // from the one last read at.
  auto data_version = [this]() -> Result<unsigned> {
    GATE_TRY_ASSIGN(last_sync_, sync_state());
    unsigned v = 0;
    if (sqlite3_file_control(db_.get(), "main", SQLITE_FCNTL_DATA_VERSION, &v) != SQLITE_OK) {
      return read_error("cache data version");
    }
    return v;
  };
  GATE_TRY_ASSIGN(unsigned seen, data_version());
  if (policies_version_ && *policies_version_ == seen) return &policies_;
  // Policies and their scope rows come from one read transaction, so they always match.
  if (Status begun = exec(db_.get(), "BEGIN"); !begun.ok()) {
    note_damage();
    return begun.error();
  }
  Result<std::vector<core::PolicyRecord>> fresh = read_policies(db_.get());
  unsigned read_at = 0;
  int rc = sqlite3_file_control(db_.get(), "main", SQLITE_FCNTL_DATA_VERSION, &read_at);
  if (!fresh.ok()) note_damage();  // before COMMIT sets the connection's error code again
  (void)exec(db_.get(), "COMMIT");
  if (!fresh.ok()) return fresh.error();
  if (rc != SQLITE_OK) return read_error("cache data version");
  policies_ = std::move(fresh).value();
  policies_version_ = read_at;
  return &policies_;
}

Result<SyncState> CacheReader::sync_state() {
  sqlite3_stmt* s = sync_stmt_.get();
  StmtReset reset(s);
  int rc = sqlite3_step(s);
  if (rc == SQLITE_DONE) return SyncState{};
  if (rc != SQLITE_ROW) return read_error("read sync state");
  SyncState state;
  if (sqlite3_column_type(s, 0) != SQLITE_NULL) {
    state.last_good_sync = from_db_time(sqlite3_column_int64(s, 0));
  }
  state.sequence = static_cast<std::uint64_t>(sqlite3_column_int64(s, 1));
  return state;
}

Result<std::optional<core::IssuerKey>> CacheReader::issuer_key(std::uint16_t issuer_id,
                                                               std::uint8_t key_id) {
  sqlite3_stmt* s = issuer_stmt_.get();
  StmtReset reset(s);
  sqlite3_bind_int(s, 1, issuer_id);
  sqlite3_bind_int(s, 2, key_id);
  int rc = sqlite3_step(s);
  if (rc == SQLITE_DONE) return std::optional<core::IssuerKey>();
  if (rc != SQLITE_ROW) return read_error("read issuer key");
  core::IssuerKey k;
  k.issuer_id = issuer_id;
  k.key_id = key_id;
  k.public_key_hex = std::string(column_text(s, 0));
  k.valid_from = from_db_time(sqlite3_column_int64(s, 1));
  k.valid_until = from_db_time(sqlite3_column_int64(s, 2));
  k.revoked = sqlite3_column_int(s, 3) != 0;
  return std::optional<core::IssuerKey>(std::move(k));
}

}  // namespace gate::store
