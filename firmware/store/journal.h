// The decision journal: every decision record and gate event, appended to a local SQLite file and
// durable when append returns (the gate drives the relay only after that). Full credential keys are
// kept here (for upload), never in logs.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "firmware/core/decision_record.h"
#include "firmware/store/sqlite.h"
#include "hal/result.h"

namespace gate::store {

inline constexpr int kJournalSchemaVersion = 2;

using JournalEntry = std::variant<core::DecisionRecord, core::GateEvent>;

struct JournalRow {
  std::uint64_t seq = 0;  // per-gate sequence number, from 1, no gaps
  JournalEntry entry;
};

class Journal {
 public:
  // Opens (creating if needed) the journal at `path`: WAL with synchronous=FULL, so a committed
  // append survives a process kill and a power cut.
  static Result<Journal> open(const std::string& path);

  // Appends one entry in its own transaction and returns its sequence number once it is durable.
  Result<std::uint64_t> append(const JournalEntry& entry);

  // Rows with seq > after, in order, at most `limit`.
  Result<std::vector<JournalRow>> read(std::uint64_t after = 0, std::size_t limit = SIZE_MAX);

  // For anti-passback across restarts: per credential, the latest entry at or after `since` that
  // let it in (direction entry: an open decision, or a staff_confirm event), calling
  // `visit(credential, ts)` for each.
  Status recent_entries(Instant since, const std::function<void(std::string_view, Instant)>& visit);

  // The journal's connection (WAL, synchronous=FULL), for state that must be exactly as durable
  // as the records and live in the same file: the ride-code replay memory.
  sqlite3* db() { return db_.get(); }

 private:
  explicit Journal(DbHandle db) : db_(std::move(db)) {}
  DbHandle db_;
  StmtHandle insert_stmt_;
};

}  // namespace gate::store
