// The gate's local cache (SQLite, WAL): the records of spec/records.md plus the sync state.
// CacheWriter is the one write API (the JSON Lines loader now, the feed applier later); CacheReader
// is the read-only connection the decision path uses.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "firmware/core/decision.h"
#include "firmware/core/records.h"
#include "firmware/store/sqlite.h"
#include "hal/result.h"

namespace gate::store {

// The schema version this build reads and writes (PRAGMA user_version).
inline constexpr int kCacheSchemaVersion = 1;

enum class RecordKind { binding, health, policy, issuer_key, deny };
std::string_view record_kind_name(RecordKind kind);

// `delete` of records.md: removes the record of `kind` with this key. For binding/deny the key is
// the credential, for health the identity, for policy the id; for issuer_key, issuer_id and key_id.
struct Deletion {
  RecordKind kind = RecordKind::binding;
  std::string key;
  std::uint16_t issuer_id = 0;
  std::uint8_t key_id = 0;
};

using CacheChange = std::variant<core::Binding, core::HealthStatus, core::PolicyRecord,
                                 core::IssuerKey, core::DenyEntry, Deletion>;

struct SyncState {
  std::optional<Instant> last_good_sync;
  std::uint64_t sequence = 0;
};

// One open write transaction on the cache (BEGIN IMMEDIATE), for changes streamed one at a time
// (a feed snapshot of tens of millions of records): they land together at commit(), or not at
// all. Destroying it without a successful commit() rolls everything back. Obtained from
// CacheWriter::begin_replace / begin_apply; the CacheWriter must outlive it.
class CacheUpdate {
 public:
  CacheUpdate(CacheUpdate&&) noexcept;
  CacheUpdate& operator=(CacheUpdate&&) noexcept;
  ~CacheUpdate();

  // Writes one change inside the transaction (upserts replace by natural key). A failure leaves
  // the transaction open but doomed: the caller drops the update, which rolls back.
  Status add(const CacheChange& change);
  // Marks the sync (when the update was begun with one) and commits. Errc::invalid_argument when
  // already committed.
  Status commit();

 private:
  friend class CacheWriter;
  struct State;
  explicit CacheUpdate(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

class CacheWriter {
 public:
  // Opens (creating if needed) the cache at `path`, sets WAL mode and migrates the schema up to
  // kCacheSchemaVersion. A file with a newer schema is refused (Errc::unsupported).
  static Result<CacheWriter> open(const std::string& path);

  // Applies all `changes` in one transaction: every one or none. Upserts replace by natural key.
  Status apply(const std::vector<CacheChange>& changes);

  // Records a good sync (feed sequence and when), which drives `cache_stale`; in its own
  // transaction, or together with changes through apply_and_mark.
  Status mark_synced(Instant at, std::uint64_t sequence);
  Status apply_and_mark(const std::vector<CacheChange>& changes, Instant at,
                        std::uint64_t sequence);

  // Replaces the whole record state with `changes` (a feed snapshot) and marks the sync, in one
  // transaction: every table emptied then refilled, or nothing changed at all.
  Status replace_all(const std::vector<CacheChange>& changes, Instant at, std::uint64_t sequence);

  // The streaming forms of replace_all and apply_and_mark: begin_replace empties every record
  // table inside a new transaction, begin_apply starts one; both mark the sync (at, sequence) when
  // the update commits. Errc::storage_error when a transaction cannot start (another is open).
  Result<CacheUpdate> begin_replace(Instant at, std::uint64_t sequence);
  Result<CacheUpdate> begin_apply(Instant at, std::uint64_t sequence);

  // The feed sequence and last good sync this cache has reached (sequence 0: never fed).
  Result<SyncState> sync_state();

  sqlite3* db() { return db_.get(); }

  using SyncMark = std::pair<Instant, std::uint64_t>;

 private:
  explicit CacheWriter(DbHandle db) : db_(std::move(db)) {}
  Result<CacheUpdate> begin(bool replace, std::optional<SyncMark> mark);
  Status apply_all(const std::vector<CacheChange>& changes, std::optional<SyncMark> mark,
                   bool replace = false);
  DbHandle db_;
};

// What a fresh look at a cache file found (CacheReader::check): it reads; it cannot be read now
// (missing, a directory, an I/O error: maybe later); or SQLite says it is damaged (a corrupt page,
// not a database at all: it will not get better by itself).
enum class CacheCondition { good, unreadable, damaged };
struct CacheCheck;

class CacheReader {
 public:
  // Opens an existing cache read-only. Fails with a clear message when the file is missing, not a
  // cache, or of another schema version.
  static Result<CacheReader> open(const std::string& path);

  // Opens the cache and reads a little of every table the decision path uses (the sync state,
  // the policies, one binding lookup, one issuer key): cheap whatever the cache's size, unlike a
  // PRAGMA quick_check, so the loop thread can afford it every few seconds while out of service.
  // A corruption confined to pages these reads do not reach is found by the taps that reach them.
  static CacheCheck check(const std::string& path);

  // Binding (if any), deny-list membership and the bound identity's health, for one credential.
  // Fills those fields of `facts` and leaves the others alone.
  Status lookup(std::string_view credential, core::CacheFacts& facts);

  // All policy records. Served from memory; re-read only when the file changed since the last call
  // (SQLITE_FCNTL_DATA_VERSION), so the decision path does not re-read them on every tap.
  Result<const std::vector<core::PolicyRecord>*> policies();

  Result<SyncState> sync_state();

  // The sync state as the last policies() call read it (it reads that row anyway to see whether
  // the file changed), so a decision needs no separate read for cache_stale.
  const SyncState& last_sync_state() const { return last_sync_; }

  Result<std::optional<core::IssuerKey>> issuer_key(std::uint16_t issuer_id, std::uint8_t key_id);

  sqlite3* db() { return db_.get(); }

  // Whether a read on this connection failed because SQLite found the file damaged
  // (SQLITE_CORRUPT, SQLITE_NOTADB), as opposed to failing to read it (SQLITE_IOERR, ...).
  bool damage_seen() const { return damage_seen_; }

 private:
  CacheReader() = default;
  Status open_at(const std::string& path);
  // sqlite_error() for this connection, noting damage_seen_ from SQLite's error code.
  Error read_error(std::string_view what);
  void note_damage();
  bool damage_seen_ = false;
  DbHandle db_;
  StmtHandle lookup_stmt_;
  StmtHandle sync_stmt_;
  StmtHandle issuer_stmt_;
  std::vector<core::PolicyRecord> policies_;
  std::optional<unsigned> policies_version_;
  SyncState last_sync_;
};

struct CacheCheck {
  CacheCondition condition = CacheCondition::unreadable;
  std::optional<CacheReader> reader;  // the open reader when good
  std::string detail;                 // why not, for the log
};

}  // namespace gate::store
