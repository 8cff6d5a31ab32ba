#include "firmware/store/durable_replay_guard.h"

#include <bit>

#include "firmware/store/cache_schema.h"
#include "hal/log.h"

namespace gate::store {
namespace {

constexpr std::string_view kTag = "replay";

// SQLite integers are signed 64-bit: the account's 64 bits are stored as they are.
sqlite3_int64 account_column(std::uint64_t account_id) {
  return std::bit_cast<sqlite3_int64>(account_id);
}

Status bind_triple(sqlite3_stmt* stmt, std::uint64_t account_id, std::uint32_t generated_at,
                   std::uint16_t sequence) {
  if (sqlite3_bind_int64(stmt, 1, account_column(account_id)) != SQLITE_OK ||
      sqlite3_bind_int64(stmt, 2, generated_at) != SQLITE_OK ||
      sqlite3_bind_int(stmt, 3, sequence) != SQLITE_OK) {
    return make_error(Errc::storage_error, "replay memory: bind failed");
  }
  return ok_status();
}

}  // namespace

Result<DurableReplayGuard> DurableReplayGuard::open(sqlite3* journal_db, std::size_t capacity) {
  DurableReplayGuard guard(journal_db, capacity);
  GATE_TRY_ASSIGN(guard.seen_stmt_,
                  prepare(journal_db,
                          "SELECT 1 FROM code_replay WHERE account = ?1 AND generated_at = ?2 "
                          "AND sequence = ?3"));
  GATE_TRY_ASSIGN(guard.insert_stmt_,
                  prepare(journal_db,
                          "INSERT OR IGNORE INTO code_replay (account, generated_at, sequence, "
                          "forget_after_us) VALUES (?1, ?2, ?3, ?4)"));
  GATE_TRY_ASSIGN(guard.expire_stmt_,
                  prepare(journal_db, "DELETE FROM code_replay WHERE forget_after_us < ?1"));
  GATE_TRY_ASSIGN(StmtHandle count, prepare(journal_db, "SELECT count(*) FROM code_replay"));
  if (sqlite3_step(count.get()) != SQLITE_ROW) return sqlite_error(journal_db, "replay memory");
  guard.size_ = static_cast<std::size_t>(sqlite3_column_int64(count.get(), 0));
  return guard;
}

bool DurableReplayGuard::seen(std::uint64_t account_id, std::uint32_t generated_at,
                              std::uint16_t sequence) {
  sqlite3_stmt* stmt = seen_stmt_.get();
  StmtReset reset(stmt);
  if (!bind_triple(stmt, account_id, generated_at, sequence).ok()) return false;
  int rc = sqlite3_step(stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    log(LogLevel::error, kTag, sqlite_error(db_, "lookup").message);
    return false;
  }
  return rc == SQLITE_ROW;
}

bool DurableReplayGuard::insert(std::uint64_t account_id, std::uint32_t generated_at,
                                std::uint16_t sequence, Instant forget_after) {
  sqlite3_stmt* stmt = insert_stmt_.get();
  StmtReset reset(stmt);
  if (!bind_triple(stmt, account_id, generated_at, sequence).ok() ||
      sqlite3_bind_int64(stmt, 4, to_db_time(forget_after)) != SQLITE_OK) {
    return false;
  }
  // Autocommit: durable (synchronous=FULL) when step returns SQLITE_DONE.
  if (sqlite3_step(stmt) != SQLITE_DONE) {
    log(LogLevel::error, kTag, sqlite_error(db_, "remember").message);
    return false;
  }
  size_ += static_cast<std::size_t>(sqlite3_changes(db_));
  return true;
}

void DurableReplayGuard::remember(std::uint64_t account_id, std::uint32_t generated_at,
                                  std::uint16_t sequence, Instant forget_after) {
  if (size_ < capacity_) (void)insert(account_id, generated_at, sequence, forget_after);
}

Status DurableReplayGuard::delete_expired(Instant now) {
  sqlite3_stmt* stmt = expire_stmt_.get();
  StmtReset reset(stmt);
  sqlite3_bind_int64(stmt, 1, to_db_time(now));
  if (sqlite3_step(stmt) != SQLITE_DONE) return sqlite_error(db_, "replay memory: expire");
  std::size_t gone = static_cast<std::size_t>(sqlite3_changes(db_));
  size_ = gone > size_ ? 0 : size_ - gone;
  return ok_status();
}

bool DurableReplayGuard::try_remember(std::uint64_t account_id, std::uint32_t generated_at,
                                      std::uint16_t sequence, Instant forget_after, Instant now) {
  if (size_ >= capacity_) {
    if (Status s = delete_expired(now); !s.ok()) {
      log(LogLevel::error, kTag, s.error().message);
      return false;
    }
    if (size_ >= capacity_) {
      log(LogLevel::warning, kTag, "replay memory full of unexpired codes; refusing codes");
      return false;
    }
  }
  return insert(account_id, generated_at, sequence, forget_after);
}

}  // namespace gate::store
