// The collector's tracing queries (collector.h): every passage of a credential, of an identity
// (through the registry's binding history) or at a station, in a time range, in time order.
#include <algorithm>
#include <limits>
#include <tuple>

#include "sim/backoffice/collector.h"

namespace gate::backoffice {
namespace {

using store::bind_text;
using store::column_text;
using store::prepare;
using store::sqlite_error;
using store::StmtHandle;

// A passage: the gate opened for the credential (decisions.md; collector.h).
constexpr std::string_view kPassage =
    "((kind = 'decision' AND outcome = 'open') OR (kind = 'event' AND event = 'staff_confirm'))";

struct Passage {
  std::int64_t ts_us;
  std::string gate;
  std::int64_t seq;
  std::string body;
};

std::pair<std::int64_t, std::int64_t> bounds(const TimeRange& range) {
  return {
      range.from ? range.from->time_since_epoch().count()
                 : std::numeric_limits<std::int64_t>::min(),
      range.to ? range.to->time_since_epoch().count() : std::numeric_limits<std::int64_t>::max()};
}

// The passages whose `column` is `value` in `range`, appended to `out`.
Status select_passages(sqlite3* db, std::string_view column, std::string_view value,
                       const TimeRange& range, std::vector<Passage>& out) {
  std::string sql = "SELECT ts_us, gate, seq, body FROM records WHERE " + std::string(column) +
                    " = ?1 AND credential IS NOT NULL AND ts_us >= ?2 AND ts_us < ?3 AND " +
                    std::string(kPassage) + " ORDER BY ts_us, gate, seq";
  GATE_TRY_ASSIGN(StmtHandle s, prepare(db, sql));
  auto [from, to] = bounds(range);
  bind_text(s.get(), 1, value);
  sqlite3_bind_int64(s.get(), 2, from);
  sqlite3_bind_int64(s.get(), 3, to);
  int rc;
  while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
    out.push_back({sqlite3_column_int64(s.get(), 0), std::string(column_text(s.get(), 1)),
                   sqlite3_column_int64(s.get(), 2), std::string(column_text(s.get(), 3))});
  }
  if (rc != SQLITE_DONE) return sqlite_error(db, "read passages");
  return ok_status();
}

std::vector<std::string> bodies_in_time_order(std::vector<Passage> passages) {
  std::sort(passages.begin(), passages.end(), [](const Passage& a, const Passage& b) {
    return std::tie(a.ts_us, a.gate, a.seq) < std::tie(b.ts_us, b.gate, b.seq);
  });
  std::vector<std::string> out;
  out.reserve(passages.size());
  for (Passage& p : passages) out.push_back(std::move(p.body));
  return out;
}

}  // namespace

Result<std::vector<std::string>> Collector::passages_of_credential(std::string_view credential,
                                                                   const TimeRange& range) {
  std::vector<Passage> found;
  GATE_TRY(select_passages(db_.get(), "credential", credential, range, found));
  return bodies_in_time_order(std::move(found));
}

Result<std::vector<std::string>> Collector::passages_at_station(std::string_view station,
                                                                const TimeRange& range) {
  std::vector<Passage> found;
  GATE_TRY(select_passages(db_.get(), "station", station, range, found));
  return bodies_in_time_order(std::move(found));
}

Result<std::vector<std::string>> Collector::passages_of_identity(Registry& registry,
                                                                 std::string_view identity,
                                                                 const TimeRange& range) {
  GATE_TRY_ASSIGN(std::vector<core::Binding> history, registry.binding_history(identity));
  std::vector<Passage> found;
  for (std::size_t i = 0; i < history.size(); ++i) {
    const core::Binding& b = history[i];
    if (b.identity != identity ||
        (b.status != core::BindingStatus::active && b.status != core::BindingStatus::lost)) {
      continue;
    }
    // In force until the credential's next binding record, if any.
    TimeRange held{b.since, std::nullopt};
    for (std::size_t j = i + 1; j < history.size(); ++j) {
      if (history[j].credential == b.credential) {
        held.to = history[j].since;
        break;
      }
    }
    if (range.from && *range.from > *held.from) held.from = range.from;
    if (range.to && (!held.to || *range.to < *held.to)) held.to = range.to;
    if (held.to && *held.to <= *held.from) continue;
    GATE_TRY(select_passages(db_.get(), "credential", b.credential, held, found));
  }
  return bodies_in_time_order(std::move(found));
}

}  // namespace gate::backoffice
