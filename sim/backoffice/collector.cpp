#include "sim/backoffice/collector.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <span>

#include "firmware/core/bcd.h"
#include "hal/log.h"

namespace gate::backoffice {
namespace {

using store::bind_text;
using store::ChainProblem;
using store::ChainRow;
using store::column_text;
using store::prepare;
using store::sqlite_error;
using store::StmtHandle;

constexpr std::string_view kTag = "collector";
constexpr std::string_view kHeldRowSql = "SELECT body, mac FROM records WHERE gate = ? AND seq = ?";
constexpr int kSchemaVersion = 1;

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS gates (
  gate        TEXT PRIMARY KEY,
  chain_start INTEGER NOT NULL,
  last_seq    INTEGER NOT NULL,  -- chain_start - 1 while no row is held
  last_mac    BLOB,              -- the last held row's mac; NULL while none is held
  problem     TEXT,              -- the last refusal (chain_problem_name), NULL if none
  problem_seq INTEGER
);
CREATE TABLE IF NOT EXISTS records (
  gate       TEXT NOT NULL,
  seq        INTEGER NOT NULL,
  ts_us      INTEGER,
  station    TEXT,
  kind       TEXT,
  direction  TEXT,
  media      TEXT,
  credential TEXT,   -- the full key
  outcome    TEXT,
  reason     TEXT,
  event      TEXT,
  body       TEXT NOT NULL,  -- the canonical JSON as the gate chained it
  mac        BLOB NOT NULL,
  PRIMARY KEY (gate, seq)
);
CREATE INDEX IF NOT EXISTS records_credential ON records (credential, ts_us);
CREATE INDEX IF NOT EXISTS records_station ON records (station, ts_us);
CREATE TABLE IF NOT EXISTS batches (
  id          TEXT PRIMARY KEY,  -- JournalBatch::id(), the Idempotency-Key
  gate        TEXT NOT NULL,
  first_seq   INTEGER NOT NULL,
  last_seq    INTEGER NOT NULL,
  times       INTEGER NOT NULL,  -- how often it came (more than once: a retry)
  acked       INTEGER NOT NULL,  -- the last answer
  problem     TEXT
);
)sql";

int bind_mac(sqlite3_stmt* s, int index, const store::Mac& mac) {
  return sqlite3_bind_blob(s, index, mac.data(), static_cast<int>(mac.size()), SQLITE_TRANSIENT);
}

std::optional<store::Mac> column_mac(sqlite3_stmt* s, int col) {
  const void* blob = sqlite3_column_blob(s, col);
  store::Mac mac{};
  if (blob == nullptr || sqlite3_column_bytes(s, col) != static_cast<int>(mac.size())) {
    return std::nullopt;
  }
  std::copy_n(static_cast<const std::uint8_t*>(blob), mac.size(), mac.begin());
  return mac;
}

std::int64_t as_int(std::uint64_t v) {
  return static_cast<std::int64_t>(std::min<std::uint64_t>(v, INT64_MAX));
}

void bind_optional_text(sqlite3_stmt* s, int index, const nlohmann::json& body, const char* key) {
  auto it = body.find(key);
  if (it != body.end() && it->is_string()) {
    sqlite3_bind_text(s, index, it->get_ref<const std::string&>().c_str(), -1, SQLITE_TRANSIENT);
  } else {
    sqlite3_bind_null(s, index);
  }
}

Status step_done(sqlite3* db, sqlite3_stmt* s, std::string_view what) {
  if (sqlite3_step(s) != SQLITE_DONE) return sqlite_error(db, what);
  return ok_status();
}

ChainProblem problem_of(std::string_view name) {
  for (ChainProblem p : {ChainProblem::gap, ChainProblem::altered, ChainProblem::reordered,
                         ChainProblem::foreign_gate}) {
    if (store::chain_problem_name(p) == name) return p;
  }
  return ChainProblem::none;
}

// One gate's chain state, as held.
struct GateState {
  bool known = false;
  std::uint64_t chain_start = 1;
  std::uint64_t last_seq = 0;
  std::optional<store::Mac> last_mac;
};

Result<GateState> load_state(sqlite3* db, std::string_view gate) {
  GATE_TRY_ASSIGN(StmtHandle s,
                  prepare(db, "SELECT chain_start, last_seq, last_mac FROM gates WHERE gate = ?"));
  bind_text(s.get(), 1, gate);
  GateState st;
  int rc = sqlite3_step(s.get());
  if (rc == SQLITE_DONE) return st;
  if (rc != SQLITE_ROW) return sqlite_error(db, "read a gate's chain state");
  st.known = true;
  st.chain_start = static_cast<std::uint64_t>(sqlite3_column_int64(s.get(), 0));
  st.last_seq = static_cast<std::uint64_t>(sqlite3_column_int64(s.get(), 1));
  st.last_mac = column_mac(s.get(), 2);
  return st;
}

// Whether the held row (gate, seq) is `row` byte for byte; `s` is kHeldRowSql.
Result<bool> holds_identical(sqlite3* db, sqlite3_stmt* s, std::string_view gate,
                             const ChainRow& row) {
  store::StmtReset reset(s);
  bind_text(s, 1, gate);
  sqlite3_bind_int64(s, 2, as_int(row.seq));
  int rc = sqlite3_step(s);
  if (rc == SQLITE_DONE) return false;
  if (rc != SQLITE_ROW) return sqlite_error(db, "read a held row");
  return column_text(s, 0) == row.body && column_mac(s, 1) == row.mac;
}

Status insert_rows(sqlite3* db, std::string_view gate, std::span<const ChainRow> rows) {
  GATE_TRY_ASSIGN(StmtHandle s,
                  prepare(db,
                          "INSERT INTO records (gate, seq, ts_us, station, kind, direction, media, "
                          "credential, outcome, reason, event, body, mac) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"));
  for (const ChainRow& row : rows) {
    store::StmtReset reset(s.get());
    bind_text(s.get(), 1, gate);
    sqlite3_bind_int64(s.get(), 2, as_int(row.seq));
    // The chain vouches for the body, not for its form: a body that is not the JSON expected is
    // held all the same, with its tracing columns empty.
    nlohmann::json body = nlohmann::json::parse(row.body, nullptr, false);
    if (!body.is_object()) body = nlohmann::json::object();
    auto ts = body.find("ts_us");
    if (ts != body.end() && ts->is_number_integer()) {
      sqlite3_bind_int64(s.get(), 3, ts->get<std::int64_t>());
    }
    auto record_gate = body.find("gate");
    std::string station = record_gate != body.end() && record_gate->is_string()
                              ? station_of_gate(record_gate->get_ref<const std::string&>())
                              : std::string();
    if (!station.empty()) sqlite3_bind_text(s.get(), 4, station.c_str(), -1, SQLITE_TRANSIENT);
    bind_optional_text(s.get(), 5, body, "kind");
    bind_optional_text(s.get(), 6, body, "direction");
    bind_optional_text(s.get(), 7, body, "media");
    bind_optional_text(s.get(), 8, body, "credential");
    bind_optional_text(s.get(), 9, body, "outcome");
    bind_optional_text(s.get(), 10, body, "reason");
    bind_optional_text(s.get(), 11, body, "event");
    bind_text(s.get(), 12, row.body);
    bind_mac(s.get(), 13, row.mac);
    GATE_TRY(step_done(db, s.get(), "store a row"));
  }
  return ok_status();
}

// How many leading rows of `rows` verified, given verify_chain's verdict from `next_seq`. For
// every problem but foreign_gate the fault is at the row that should have had seq
// next_seq + i, i rows in. foreign_gate names the row's own seq, which need not be that one;
// the run of rows with consecutive seqs bounds the count then, erring on fewer (they are sent
// again, and refused again at the same row).
std::size_t verified_prefix(std::span<const ChainRow> rows, std::uint64_t next_seq,
                            const store::ChainVerdict& verdict) {
  if (verdict.problem == ChainProblem::none) return rows.size();
  std::size_t consecutive = 0;
  while (consecutive < rows.size() && rows[consecutive].seq == next_seq + consecutive) {
    ++consecutive;
  }
  if (verdict.seq < next_seq) return 0;
  return static_cast<std::size_t>(std::min<std::uint64_t>(consecutive, verdict.seq - next_seq));
}

Error secrets_error(std::size_t line, const std::string& what) {
  return make_error(Errc::malformed, "gate secrets: line " + std::to_string(line) + ": " + what);
}

}  // namespace

std::string station_of_gate(std::string_view gate) {
  std::size_t first = gate.find('-');
  if (first == std::string_view::npos || first == 0) return {};
  std::size_t second = gate.find('-', first + 1);
  if (second == std::string_view::npos || second == first + 1 || second + 1 >= gate.size()) {
    return {};
  }
  return std::string(gate.substr(0, second));
}

Result<GateSecrets> parse_gate_secrets(std::string_view text) {
  GateSecrets secrets;
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) {
      line.remove_suffix(1);
    }
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) {
      line.remove_prefix(1);
    }
    if (line.empty() || line.front() == '#') continue;
    std::size_t space = line.find_first_of(" \t");
    if (space == std::string_view::npos) return secrets_error(line_no, "want `<gate id> <hex>`");
    std::string gate(line.substr(0, space));
    std::string_view hex = line.substr(space + 1);
    while (!hex.empty() && (hex.front() == ' ' || hex.front() == '\t')) hex.remove_prefix(1);
    if (!store::valid_batch_gate(gate)) return secrets_error(line_no, "bad gate id");
    std::string lower(hex);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string secret(lower.size() / 2, '\0');
    if (lower.size() % 2 != 0 ||
        !core::decode_lower_hex(
            lower, std::span(reinterpret_cast<std::uint8_t*>(secret.data()), secret.size()))) {
      return secrets_error(line_no, "the secret is not hex digits");
    }
    if (secret.size() < store::kMinJournalSecretBytes) {
      return secrets_error(line_no, "the secret is shorter than " +
                                        std::to_string(2 * store::kMinJournalSecretBytes) +
                                        " hex digits");
    }
    if (!secrets.emplace(gate, std::move(secret)).second) {
      return secrets_error(line_no, "gate " + gate + " listed twice");
    }
  }
  return secrets;
}

Result<GateSecrets> read_gate_secrets(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::not_found, "cannot read " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return make_error(Errc::io_error, "cannot read " + path);
  auto secrets = parse_gate_secrets(text);
  if (!secrets.ok()) return make_error(secrets.error().code, path + ": " + secrets.error().message);
  return secrets;
}

Result<Collector> Collector::open(const std::string& path, GateSecrets secrets) {
  GATE_TRY_ASSIGN(store::DbHandle db,
                  store::open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  // WAL with synchronous=FULL: a committed batch survives a power cut, so what the collector
  // acknowledged (and the gate may then prune) is never lost.
  GATE_TRY(store::exec(db.get(), "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"));
  GATE_TRY_ASSIGN(int version, store::user_version(db.get()));
  if (version > kSchemaVersion) {
    return make_error(Errc::unsupported, "collector database version " + std::to_string(version) +
                                             " is newer than this build's");
  }
  // Only a new file is written to here: `trace` and `gates` open the file a running collector
  // writes, and must not wait for its lock.
  if (version < kSchemaVersion) {
    GATE_TRY(store::exec(db.get(), "BEGIN IMMEDIATE"));
    Status made = store::exec(db.get(), kSchema);
    if (made.ok()) {
      made = store::exec(db.get(), "PRAGMA user_version = " + std::to_string(kSchemaVersion));
    }
    if (made.ok()) made = store::exec(db.get(), "COMMIT");
    if (!made.ok()) {
      (void)store::exec(db.get(), "ROLLBACK");
      return made.error();
    }
  }
  return Collector(std::move(db), std::move(secrets));
}

Result<Acceptance> Collector::accept(const store::JournalBatch& batch) {
  auto secret = secrets_.find(batch.gate);
  if (secret == secrets_.end()) {
    log(LogLevel::warning, kTag, "batch from gate " + batch.gate + " refused: no secret for it");
    return Acceptance{Acceptance::Verdict::unknown_gate, {}, 0};
  }
  if (batch.chain_start == 0) {
    return make_error(Errc::invalid_argument, "collector: chain_start 0 (chains start at 1)");
  }
  sqlite3* db = db_.get();
  // BEGIN IMMEDIATE: the write lock before the chain state is read, so two collectors on one file
  // cannot both continue from the same row.
  GATE_TRY(store::exec(db, "BEGIN IMMEDIATE"));
  Result<Acceptance> done = accept_in_transaction(batch, secret->second);
  Status committed = done.ok() ? store::exec(db, "COMMIT") : Status(done.error());
  if (!committed.ok()) {
    (void)store::exec(db, "ROLLBACK");  // the failure is what the caller needs to see
    return committed.error();
  }
  if (done->verdict == Acceptance::Verdict::refused) {
    log(LogLevel::warning, kTag,
        "gate " + batch.gate +
            ": chain refused: " + std::string(store::chain_problem_name(done->reply.problem)) +
            " at seq " + std::to_string(done->reply.problem_seq) + " (rows held up to " +
            std::to_string(done->reply.acked) + ")");
  }
  return done;
}

Result<Acceptance> Collector::accept_in_transaction(const store::JournalBatch& batch,
                                                    const std::string& secret) {
  sqlite3* db = db_.get();
  const store::ChainKey key{secret, batch.gate};
  GATE_TRY_ASSIGN(GateState state, load_state(db, batch.gate));
  if (!state.known) {
    state.chain_start = batch.chain_start;
    state.last_seq = batch.chain_start - 1;
  }
  GATE_TRY_ASSIGN(store::ChainAnchor anchor, store::chain_start_anchor(key, state.chain_start));
  if (state.last_mac) anchor = {state.last_seq + 1, *state.last_mac};

  Acceptance out;
  std::span<const ChainRow> rows(batch.rows);
  // Rows the collector holds already: a retry after a lost acknowledgement, byte for byte.
  GATE_TRY_ASSIGN(StmtHandle held, prepare(db, kHeldRowSql));
  std::size_t i = 0;
  for (; i < rows.size() && rows[i].seq <= state.last_seq; ++i) {
    GATE_TRY_ASSIGN(bool same, holds_identical(db, held.get(), batch.gate, rows[i]));
    if (!same) {
      out.reply.problem = ChainProblem::altered;
      out.reply.problem_seq = rows[i].seq;
      break;
    }
  }
  if (out.reply.problem == ChainProblem::none) {
    std::span<const ChainRow> fresh = rows.subspan(i);
    GATE_TRY_ASSIGN(store::ChainVerdict verdict, store::verify_chain(key, anchor, fresh));
    std::size_t good = verified_prefix(fresh, anchor.next_seq, verdict);
    GATE_TRY(insert_rows(db, batch.gate, fresh.first(good)));
    if (good > 0) {
      state.last_seq = fresh[good - 1].seq;
      state.last_mac = fresh[good - 1].mac;
    }
    out.stored = good;
    out.reply.problem = verdict.problem;
    out.reply.problem_seq = verdict.seq;
  }
  out.reply.acked = state.last_seq;
  const bool refused = out.reply.problem != ChainProblem::none;
  out.verdict = refused ? Acceptance::Verdict::refused : Acceptance::Verdict::stored;

  {
    GATE_TRY_ASSIGN(
        StmtHandle s,
        prepare(db,
                "INSERT INTO gates (gate, chain_start, last_seq, last_mac, problem, problem_seq) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (gate) DO UPDATE SET "
                "last_seq = ?3, last_mac = ?4, problem = COALESCE(?5, problem), "
                "problem_seq = COALESCE(?6, problem_seq)"));
    bind_text(s.get(), 1, batch.gate);
    sqlite3_bind_int64(s.get(), 2, as_int(state.chain_start));
    sqlite3_bind_int64(s.get(), 3, as_int(state.last_seq));
    if (state.last_mac) bind_mac(s.get(), 4, *state.last_mac);
    std::string problem(store::chain_problem_name(out.reply.problem));
    if (refused) {
      bind_text(s.get(), 5, problem);
      sqlite3_bind_int64(s.get(), 6, as_int(out.reply.problem_seq));
    }
    GATE_TRY(step_done(db, s.get(), "write a gate's chain state"));
  }
  {
    GATE_TRY_ASSIGN(StmtHandle s,
                    prepare(db,
                            "INSERT INTO batches (id, gate, first_seq, last_seq, times, acked, "
                            "problem) VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6) ON CONFLICT (id) DO "
                            "UPDATE SET times = times + 1, acked = ?5, problem = ?6"));
    std::string id = batch.id();
    bind_text(s.get(), 1, id);
    bind_text(s.get(), 2, batch.gate);
    sqlite3_bind_int64(s.get(), 3, rows.empty() ? 0 : as_int(rows.front().seq));
    sqlite3_bind_int64(s.get(), 4, rows.empty() ? 0 : as_int(rows.back().seq));
    sqlite3_bind_int64(s.get(), 5, as_int(out.reply.acked));
    std::string problem(store::chain_problem_name(out.reply.problem));
    if (refused) bind_text(s.get(), 6, problem);
    GATE_TRY(step_done(db, s.get(), "record a batch"));
  }
  return out;
}

Result<std::vector<GateSummary>> Collector::gates() {
  GATE_TRY_ASSIGN(StmtHandle s,
                  prepare(db_.get(),
                          "SELECT g.gate, g.chain_start, g.last_seq, g.problem, g.problem_seq, "
                          "(SELECT COUNT(*) FROM records r WHERE r.gate = g.gate) "
                          "FROM gates g ORDER BY g.gate"));
  std::vector<GateSummary> out;
  int rc;
  while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
    GateSummary g;
    g.gate = column_text(s.get(), 0);
    g.chain_start = static_cast<std::uint64_t>(sqlite3_column_int64(s.get(), 1));
    g.last_seq = static_cast<std::uint64_t>(sqlite3_column_int64(s.get(), 2));
    g.problem = problem_of(column_text(s.get(), 3));
    g.problem_seq = static_cast<std::uint64_t>(sqlite3_column_int64(s.get(), 4));
    g.rows = static_cast<std::uint64_t>(sqlite3_column_int64(s.get(), 5));
    out.push_back(std::move(g));
  }
  if (rc != SQLITE_DONE) return sqlite_error(db_.get(), "read the gates");
  return out;
}

}  // namespace gate::backoffice
