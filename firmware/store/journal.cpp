#include "firmware/store/journal.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <utility>

#include "firmware/core/gate_context.h"
#include "firmware/core/json_text.h"
#include "firmware/store/journal_schema.h"

namespace gate::store {
namespace {

constexpr std::string_view kKindDecision = "decision";
constexpr std::string_view kKindEvent = "event";

constexpr std::string_view kInsertSql =
    "INSERT INTO journal (kind, ts_us, gate, direction, credential, media, outcome, reason, "
    "health, mode, upgrade_prompt, latency_us, event, seq, body, mac) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";

constexpr std::string_view kHeadSql =
    "SELECT chain_start, head_seq, head_mac FROM journal_chain WHERE id = 1";
constexpr std::string_view kSetHeadSql =
    "UPDATE journal_chain SET head_seq = ?1, head_mac = ?2 WHERE id = 1";
constexpr std::string_view kChainSql =
    "SELECT seq, body, mac FROM journal WHERE seq > ?1 AND seq >= ?2 ORDER BY seq LIMIT ?3";

constexpr std::string_view kSelectSql =
    "SELECT seq, kind, ts_us, gate, direction, credential, media, outcome, reason, health, mode, "
    "upgrade_prompt, latency_us, event FROM journal WHERE seq > ?1 ORDER BY seq LIMIT ?2";

// An entry that let the credential in: an open decision, or staff confirming a pending check.
constexpr std::string_view kRecentSql =
    "SELECT credential, MAX(ts_us) FROM journal "
    "WHERE ts_us >= ?1 AND direction = ?2 AND credential IS NOT NULL "
    "AND ((kind = 'decision' AND outcome = ?3) OR (kind = 'event' AND event = ?4)) "
    "GROUP BY credential";

Status set_wal(sqlite3* db) {
  GATE_TRY_ASSIGN(StmtHandle stmt, prepare(db, "PRAGMA journal_mode = WAL"));
  if (sqlite3_step(stmt.get()) != SQLITE_ROW) return sqlite_error(db, "journal_mode");
  if (column_text(stmt.get(), 0) != "wal") {
    return make_error(Errc::storage_error, "journal: WAL mode not available");
  }
  return ok_status();
}

int bind_optional_text(sqlite3_stmt* stmt, int index, std::string_view text) {
  return text.empty() ? sqlite3_bind_null(stmt, index) : bind_text(stmt, index, text);
}

Status bind_entry(sqlite3_stmt* stmt, const core::DecisionRecord& r) {
  const core::Decision& d = r.decision;
  int rc = SQLITE_OK;
  auto check = [&rc](int result) { rc = rc == SQLITE_OK ? result : rc; };
  check(bind_text(stmt, 1, kKindDecision));
  check(sqlite3_bind_int64(stmt, 2, r.ts.time_since_epoch().count()));
  check(bind_text(stmt, 3, r.gate));
  check(bind_text(stmt, 4, core::direction_name(r.direction)));
  check(bind_optional_text(stmt, 5, r.credential));
  check(bind_text(stmt, 6, core::media_name(d.media)));
  check(bind_text(stmt, 7, core::outcome_name(d.outcome)));
  check(bind_text(stmt, 8, core::reason_name(d.reason)));
  check(bind_text(stmt, 9, core::health_seen_name(d.health)));
  check(bind_text(stmt, 10, core::health_mode_name(d.mode)));
  check(sqlite3_bind_int(stmt, 11, d.upgrade_prompt ? 1 : 0));
  check(sqlite3_bind_int64(stmt, 12, r.latency_us));
  if (rc != SQLITE_OK) return make_error(Errc::storage_error, "journal: bind decision failed");
  return ok_status();
}

Status bind_entry(sqlite3_stmt* stmt, const core::GateEvent& e) {
  int rc = SQLITE_OK;
  auto check = [&rc](int result) { rc = rc == SQLITE_OK ? result : rc; };
  check(bind_text(stmt, 1, kKindEvent));
  check(sqlite3_bind_int64(stmt, 2, e.ts.time_since_epoch().count()));
  check(bind_text(stmt, 3, e.gate));
  check(bind_text(stmt, 4, core::direction_name(e.direction)));
  check(bind_optional_text(stmt, 5, e.credential));
  if (e.reason) check(bind_text(stmt, 8, core::reason_name(*e.reason)));
  check(bind_text(stmt, 13, core::event_kind_name(e.kind)));
  if (rc != SQLITE_OK) return make_error(Errc::storage_error, "journal: bind event failed");
  return ok_status();
}

// Reads enum column `col` of the current row through `parse`, or fails naming the row and column.
template <class Parse>
auto parse_column(sqlite3_stmt* stmt, int col, std::uint64_t seq, Parse parse)
    -> Result<typename decltype(parse(std::string_view()))::value_type> {
  std::string_view text = column_text(stmt, col);
  auto value = parse(text);
  if (!value) {
    return make_error(Errc::malformed, "journal row " + std::to_string(seq) + ": column " +
                                           sqlite3_column_name(stmt, col) + ": unknown name '" +
                                           std::string(text) + "'");
  }
  return *value;
}

std::optional<core::Direction> parse_direction(std::string_view name) {
  for (core::Direction d : {core::Direction::entry, core::Direction::exit}) {
    if (core::direction_name(d) == name) return d;
  }
  return std::nullopt;
}

std::optional<core::HealthSeen> parse_health_seen(std::string_view name) {
  using core::HealthSeen;
  for (HealthSeen h : {HealthSeen::green, HealthSeen::yellow, HealthSeen::red, HealthSeen::unknown,
                       HealthSeen::not_checked}) {
    if (core::health_seen_name(h) == name) return h;
  }
  return std::nullopt;
}

Result<core::DecisionRecord> read_decision(sqlite3_stmt* s, std::uint64_t seq) {
  core::DecisionRecord r;
  core::Decision& d = r.decision;
  GATE_TRY_ASSIGN(d.media, parse_column(s, 6, seq, core::parse_media));
  GATE_TRY_ASSIGN(d.outcome, parse_column(s, 7, seq, core::parse_outcome));
  GATE_TRY_ASSIGN(d.reason, parse_column(s, 8, seq, core::parse_reason));
  GATE_TRY_ASSIGN(d.health, parse_column(s, 9, seq, parse_health_seen));
  GATE_TRY_ASSIGN(d.mode, parse_column(s, 10, seq, core::parse_health_mode));
  d.upgrade_prompt = sqlite3_column_int(s, 11) != 0;
  r.latency_us = sqlite3_column_int64(s, 12);
  return r;
}

Result<core::GateEvent> read_event(sqlite3_stmt* s, std::uint64_t seq) {
  core::GateEvent e;
  GATE_TRY_ASSIGN(e.kind, parse_column(s, 13, seq, core::parse_event_kind));
  if (sqlite3_column_type(s, 8) != SQLITE_NULL) {
    GATE_TRY_ASSIGN(e.reason, parse_column(s, 8, seq, core::parse_reason));
  }
  return e;
}

// The fields every entry has, whatever its kind.
template <class Entry>
void read_common(sqlite3_stmt* s, Entry& entry, core::Direction direction) {
  entry.ts = Instant(Duration(sqlite3_column_int64(s, 2)));
  entry.gate = std::string(column_text(s, 3));
  entry.direction = direction;
  entry.credential = std::string(column_text(s, 5));
}

Result<JournalRow> read_row(sqlite3_stmt* s) {
  JournalRow row;
  row.seq = static_cast<std::uint64_t>(sqlite3_column_int64(s, 0));
  std::string_view kind = column_text(s, 1);
  GATE_TRY_ASSIGN(core::Direction direction, parse_column(s, 4, row.seq, parse_direction));
  if (kind == kKindDecision) {
    GATE_TRY_ASSIGN(core::DecisionRecord r, read_decision(s, row.seq));
    read_common(s, r, direction);
    row.entry = std::move(r);
  } else if (kind == kKindEvent) {
    GATE_TRY_ASSIGN(core::GateEvent e, read_event(s, row.seq));
    read_common(s, e, direction);
    row.entry = std::move(e);
  } else {
    return make_error(Errc::malformed, "journal row " + std::to_string(row.seq) +
                                           ": column kind: unknown name '" + std::string(kind) +
                                           "'");
  }
  return row;
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  if (out.size() > 1) out += ',';
  core::append_json_string(out, name);
  out += ':';
  core::append_json_string(out, value);
}

void append_number(std::string& out, std::string_view name, std::int64_t value) {
  out += ',';
  core::append_json_string(out, name);
  out += ':';
  out += std::to_string(value);
}

std::string canonical(const core::DecisionRecord& r) {
  const core::Decision& d = r.decision;
  std::string out = "{";
  append_field(out, "kind", kKindDecision);
  append_number(out, "ts_us", r.ts.time_since_epoch().count());
  append_field(out, "gate", r.gate);
  append_field(out, "direction", core::direction_name(r.direction));
  if (!r.credential.empty()) append_field(out, "credential", r.credential);
  append_field(out, "media", core::media_name(d.media));
  append_field(out, "outcome", core::outcome_name(d.outcome));
  append_field(out, "reason", core::reason_name(d.reason));
  append_field(out, "health", core::health_seen_name(d.health));
  append_field(out, "mode", core::health_mode_name(d.mode));
  out += d.upgrade_prompt ? ",\"upgrade_prompt\":true" : ",\"upgrade_prompt\":false";
  append_number(out, "latency_us", r.latency_us);
  out += '}';
  return out;
}

std::string canonical(const core::GateEvent& e) {
  std::string out = "{";
  append_field(out, "kind", kKindEvent);
  append_number(out, "ts_us", e.ts.time_since_epoch().count());
  append_field(out, "gate", e.gate);
  append_field(out, "direction", core::direction_name(e.direction));
  append_field(out, "event", core::event_kind_name(e.kind));
  if (!e.credential.empty()) append_field(out, "credential", e.credential);
  if (e.reason) append_field(out, "reason", core::reason_name(*e.reason));
  out += '}';
  return out;
}

int bind_blob(sqlite3_stmt* stmt, int index, const Mac& mac) {
  return sqlite3_bind_blob(stmt, index, mac.data(), static_cast<int>(mac.size()), SQLITE_TRANSIENT);
}

// A mac column as stored; a missing or mis-sized one reads as zeros, which no HMAC matches.
Mac column_mac(sqlite3_stmt* stmt, int col) {
  Mac mac{};
  const void* blob = sqlite3_column_blob(stmt, col);
  int size = sqlite3_column_bytes(stmt, col);
  if (blob != nullptr && size == static_cast<int>(mac.size())) {
    std::memcpy(mac.data(), blob, mac.size());
  }
  return mac;
}

}  // namespace

std::string canonical_json(const JournalEntry& entry) {
  return std::visit([](const auto& e) { return canonical(e); }, entry);
}

Result<Journal> Journal::open(const std::string& path, ChainKey key) {
  if (key.secret.size() < kMinJournalSecretBytes) {
    return make_error(
        Errc::invalid_argument,
        "journal: secret shorter than " + std::to_string(kMinJournalSecretBytes) + " bytes");
  }
  if (key.gate.empty()) return make_error(Errc::invalid_argument, "journal: no gate id");
  GATE_TRY_ASSIGN(DbHandle db, open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  GATE_TRY(set_wal(db.get()));
  // Durability: see open() in journal.h. The setting is per connection.
  GATE_TRY(exec(db.get(), "PRAGMA synchronous = FULL"));
  // The WAL's bound, beside the disk budget (see used_bytes()): the default autocheckpoint keeps
  // it to about 1000 pages (4 MiB), but SQLite never shrinks a WAL it restarts unless told to, so
  // one large transaction (a prune of a long outage's rows) would leave a file that size for
  // good. With this limit it is cut back to 4 MiB when the WAL next restarts.
  GATE_TRY(exec(db.get(), "PRAGMA journal_size_limit = 4194304"));
  GATE_TRY(migrate_journal(db.get()));
  Journal journal(std::move(db), std::move(key));
  GATE_TRY_ASSIGN(journal.genesis_, chain_genesis(journal.key_));
  sqlite3* d = journal.db_.get();
  GATE_TRY_ASSIGN(journal.insert_stmt_, prepare(d, kInsertSql));
  GATE_TRY_ASSIGN(journal.head_stmt_, prepare(d, kHeadSql));
  GATE_TRY_ASSIGN(journal.set_head_stmt_, prepare(d, kSetHeadSql));
  {
    StmtReset reset(journal.head_stmt_.get());
    if (sqlite3_step(journal.head_stmt_.get()) != SQLITE_ROW) {
      return sqlite_error(d, "journal chain head");
    }
    journal.chain_start_ =
        static_cast<std::uint64_t>(sqlite3_column_int64(journal.head_stmt_.get(), 0));
  }
  return journal;
}

Result<std::uint64_t> Journal::append(const JournalEntry& entry) {
  // BEGIN IMMEDIATE: the write lock before the head is read, so two writers cannot chain from
  // the same head.
  GATE_TRY(exec(db_.get(), "BEGIN IMMEDIATE"));
  Result<std::uint64_t> seq = append_in_transaction(entry);
  if (!seq.ok()) {
    (void)exec(db_.get(), "ROLLBACK");
    return seq;
  }
  // Durable when COMMIT returns (WAL, synchronous=FULL).
  if (Status s = exec(db_.get(), "COMMIT"); !s.ok()) {
    (void)exec(db_.get(), "ROLLBACK");
    return s.error();
  }
  return seq;
}

Result<std::uint64_t> Journal::append_in_transaction(const JournalEntry& entry) {
  sqlite3* d = db_.get();
  std::uint64_t seq = 0;
  Mac prev = genesis_;
  {
    sqlite3_stmt* head = head_stmt_.get();
    StmtReset reset(head);
    if (sqlite3_step(head) != SQLITE_ROW) return sqlite_error(d, "journal chain head");
    seq = static_cast<std::uint64_t>(sqlite3_column_int64(head, 1)) + 1;
    if (sqlite3_column_type(head, 2) != SQLITE_NULL) {
      if (sqlite3_column_bytes(head, 2) != static_cast<int>(Mac{}.size())) {
        return make_error(Errc::storage_error, "journal: chain head is not a 32-byte mac");
      }
      prev = column_mac(head, 2);
    } else if (seq != chain_start_) {
      return make_error(Errc::storage_error, "journal: chain head has no mac");
    }
  }
  std::string body = canonical_json(entry);
  GATE_TRY_ASSIGN(Mac mac, chain_mac(key_.secret, prev, seq, body));

  sqlite3_stmt* insert = insert_stmt_.get();
  StmtReset reset_insert(insert);
  GATE_TRY(std::visit([insert](const auto& e) { return bind_entry(insert, e); }, entry));
  if (sqlite3_bind_int64(insert, 14, static_cast<sqlite3_int64>(seq)) != SQLITE_OK ||
      bind_text(insert, 15, body) != SQLITE_OK || bind_blob(insert, 16, mac) != SQLITE_OK) {
    return make_error(Errc::storage_error, "journal: bind chain failed");
  }
  if (sqlite3_step(insert) != SQLITE_DONE) return sqlite_error(d, "journal append");

  sqlite3_stmt* set_head = set_head_stmt_.get();
  StmtReset reset_head(set_head);
  if (sqlite3_bind_int64(set_head, 1, static_cast<sqlite3_int64>(seq)) != SQLITE_OK ||
      bind_blob(set_head, 2, mac) != SQLITE_OK) {
    return make_error(Errc::storage_error, "journal: bind chain head failed");
  }
  if (sqlite3_step(set_head) != SQLITE_DONE) return sqlite_error(d, "journal chain head update");
  return seq;
}

Result<std::vector<ChainRow>> Journal::read_chain(std::uint64_t after, std::size_t limit) {
  GATE_TRY_ASSIGN(StmtHandle stmt, prepare(db_.get(), kChainSql));
  sqlite3_stmt* s = stmt.get();
  const auto [sql_after, sql_limit] = sql_range(after, limit);
  if (sqlite3_bind_int64(s, 1, sql_after) != SQLITE_OK ||
      sqlite3_bind_int64(s, 2, static_cast<sqlite3_int64>(chain_start_)) != SQLITE_OK ||
      sqlite3_bind_int64(s, 3, sql_limit) != SQLITE_OK) {
    return sqlite_error(db_.get(), "journal chain read bind");
  }
  std::vector<ChainRow> rows;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    ChainRow row;
    row.seq = static_cast<std::uint64_t>(sqlite3_column_int64(s, 0));
    row.body = std::string(column_text(s, 1));
    row.mac = column_mac(s, 2);
    rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) return sqlite_error(db_.get(), "journal chain read");
  return rows;
}

Result<std::vector<JournalRow>> Journal::read(std::uint64_t after, std::size_t limit) {
  GATE_TRY_ASSIGN(StmtHandle stmt, prepare(db_.get(), kSelectSql));
  sqlite3_stmt* s = stmt.get();
  const auto [sql_after, sql_limit] = sql_range(after, limit);
  if (sqlite3_bind_int64(s, 1, sql_after) != SQLITE_OK ||
      sqlite3_bind_int64(s, 2, sql_limit) != SQLITE_OK) {
    return sqlite_error(db_.get(), "journal read bind");
  }
  std::vector<JournalRow> rows;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    GATE_TRY_ASSIGN(JournalRow row, read_row(s));
    rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) return sqlite_error(db_.get(), "journal read");
  return rows;
}

Status Journal::recent_entries(Instant since,
                               const std::function<void(std::string_view, Instant)>& visit) {
  GATE_TRY_ASSIGN(StmtHandle stmt, prepare(db_.get(), kRecentSql));
  sqlite3_stmt* s = stmt.get();
  // The names are bound, not spelled in the SQL, so they stay those of the name functions.
  if (sqlite3_bind_int64(s, 1, since.time_since_epoch().count()) != SQLITE_OK ||
      bind_text(s, 2, core::direction_name(core::Direction::entry)) != SQLITE_OK ||
      bind_text(s, 3, core::outcome_name(core::Outcome::open)) != SQLITE_OK ||
      bind_text(s, 4, core::event_kind_name(core::EventKind::staff_confirm)) != SQLITE_OK) {
    return sqlite_error(db_.get(), "journal recent entries bind");
  }
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    visit(column_text(s, 0), Instant(Duration(sqlite3_column_int64(s, 1))));
  }
  if (rc != SQLITE_DONE) return sqlite_error(db_.get(), "journal recent entries");
  return ok_status();
}

Result<std::optional<Instant>> Journal::latest_ts() {
  GATE_TRY_ASSIGN(StmtHandle stmt, prepare(db_.get(), "SELECT MAX(ts_us) FROM journal"));
  if (sqlite3_step(stmt.get()) != SQLITE_ROW) return sqlite_error(db_.get(), "journal latest ts");
  if (sqlite3_column_type(stmt.get(), 0) == SQLITE_NULL) return std::optional<Instant>();
  return std::optional<Instant>(Instant(Duration(sqlite3_column_int64(stmt.get(), 0))));
}

Status Journal::set_disk_full(bool full) {
  // max_page_count cannot go below the file's size: SQLite sets it to the size instead, which is
  // the cap wanted. The largest value lifts it (SQLite clamps it to its own maximum).
  return exec(db_.get(), full ? "PRAGMA max_page_count = 1" : "PRAGMA max_page_count = 4294967294");
}

}  // namespace gate::store
