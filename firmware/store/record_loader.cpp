// JSON Lines → typed cache changes (spec/records.md): one function per record type, built from the
// field readers of record_fields.h.
#include "firmware/store/record_loader.h"

#include <fstream>

#include "firmware/store/record_fields.h"

namespace gate::store {
namespace {

using namespace record_fields;

Result<CacheChange> binding(const Line& l) {
  GATE_TRY(only_fields(l, {"credential", "identity", "media", "status", "since"}));
  core::Binding b;
  GATE_TRY_ASSIGN(b.credential, required(l, "credential", credential_key));
  GATE_TRY_ASSIGN(b.identity, required(l, "identity", identity));
  GATE_TRY_ASSIGN(b.media,
                  required(l, "media", one_of(parse_binding_media, "card, phone_card, m1, qr")));
  GATE_TRY_ASSIGN(
      b.status,
      required(l, "status", one_of(core::parse_binding_status, "active, lost, blocked, unbound")));
  GATE_TRY_ASSIGN(b.since, required(l, "since", instant));
  return CacheChange(std::move(b));
}

Result<CacheChange> health(const Line& l) {
  GATE_TRY(only_fields(l, {"identity", "colour", "popup", "last_negative_test", "as_of"}));
  core::HealthStatus h;
  GATE_TRY_ASSIGN(h.identity, required(l, "identity", identity));
  GATE_TRY_ASSIGN(h.colour,
                  required(l, "colour", one_of(core::parse_health_colour, "green, yellow, red")));
  GATE_TRY_ASSIGN(h.popup, required(l, "popup", boolean));
  GATE_TRY_ASSIGN(h.last_negative_test,
                  optional_or(l, "last_negative_test", std::optional<Instant>(), time_or_null));
  GATE_TRY_ASSIGN(h.as_of, required(l, "as_of", instant));
  return CacheChange(std::move(h));
}

Status scope(const Line& l, core::PolicyRecord& r) {
  const json* v = l.find("scope");
  if (!v) return ok_status();
  if (!v->is_object()) return l.error("scope", expected("an object", *v));
  Line inner{*v, l.no, "scope."};
  GATE_TRY(only_fields(inner, {"lines", "stations"}));
  GATE_TRY_ASSIGN(r.scope_lines,
                  optional_or(inner, "lines", std::vector<std::string>(), name_list));
  GATE_TRY_ASSIGN(r.scope_stations,
                  optional_or(inner, "stations", std::vector<std::string>(), name_list));
  return ok_status();
}

Result<CacheChange> policy(const Line& l) {
  GATE_TRY(
      only_fields(l, {"id", "effective_from", "scope", "health_mode", "not_upgraded",
                      "health_unknown", "block_yellow", "popup", "test_max_age_hours",
                      "max_cache_age_minutes", "stale", "anti_passback_minutes", "accept_m1"}));
  core::PolicyRecord r;
  GATE_TRY_ASSIGN(r.id, required(l, "id", nonempty_text));
  GATE_TRY_ASSIGN(r.effective_from, required(l, "effective_from", instant));
  GATE_TRY(scope(l, r));
  core::Policy& p = r.policy;
  const core::Policy d;
  constexpr std::string_view kThreeWay = "allow, staff_check, deny";
  GATE_TRY_ASSIGN(p.health_mode,
                  optional_or(l, "health_mode", d.health_mode,
                              one_of(core::parse_health_mode, "off, observe, enforce")));
  GATE_TRY_ASSIGN(p.not_upgraded,
                  optional_or(l, "not_upgraded", d.not_upgraded,
                              one_of(core::parse_not_upgraded_policy,
                                     "allow, allow_with_prompt, staff_check, deny")));
  GATE_TRY_ASSIGN(p.health_unknown, optional_or(l, "health_unknown", d.health_unknown,
                                                one_of(core::parse_three_way_policy, kThreeWay)));
  GATE_TRY_ASSIGN(p.block_yellow, optional_or(l, "block_yellow", d.block_yellow, boolean));
  GATE_TRY_ASSIGN(p.popup, optional_or(l, "popup", d.popup,
                                       one_of(core::parse_popup_policy, "staff_check, deny")));
  GATE_TRY_ASSIGN(p.test_max_age_hours,
                  optional_or(l, "test_max_age_hours", d.test_max_age_hours, count));
  GATE_TRY_ASSIGN(p.max_cache_age_minutes,
                  optional_or(l, "max_cache_age_minutes", d.max_cache_age_minutes, count));
  GATE_TRY_ASSIGN(
      p.stale, optional_or(l, "stale", d.stale, one_of(core::parse_three_way_policy, kThreeWay)));
  GATE_TRY_ASSIGN(p.anti_passback_minutes,
                  optional_or(l, "anti_passback_minutes", d.anti_passback_minutes, count));
  GATE_TRY_ASSIGN(p.accept_m1, optional_or(l, "accept_m1", d.accept_m1, boolean));
  return CacheChange(std::move(r));
}

Result<CacheChange> issuer_key(const Line& l) {
  GATE_TRY(only_fields(
      l, {"issuer_id", "key_id", "public_key_hex", "valid_from", "valid_until", "revoked"}));
  core::IssuerKey k;
  GATE_TRY_ASSIGN(std::int64_t issuer, required(l, "issuer_id", integer_in(0, 65535)));
  GATE_TRY_ASSIGN(std::int64_t key, required(l, "key_id", integer_in(0, 255)));
  k.issuer_id = static_cast<std::uint16_t>(issuer);
  k.key_id = static_cast<std::uint8_t>(key);
  GATE_TRY_ASSIGN(k.public_key_hex, required(l, "public_key_hex", public_key_hex));
  GATE_TRY_ASSIGN(k.valid_from, required(l, "valid_from", instant));
  GATE_TRY_ASSIGN(k.valid_until, required(l, "valid_until", instant));
  GATE_TRY_ASSIGN(k.revoked, optional_or(l, "revoked", false, boolean));
  return CacheChange(std::move(k));
}

Result<CacheChange> deny(const Line& l) {
  GATE_TRY(only_fields(l, {"credential", "note"}));
  core::DenyEntry e;
  GATE_TRY_ASSIGN(e.credential, required(l, "credential", credential_key));
  GATE_TRY_ASSIGN(e.note, optional_or(l, "note", std::string(), any_text));
  return CacheChange(std::move(e));
}

std::optional<RecordKind> parse_kind(std::string_view name) {
  for (RecordKind k : {RecordKind::binding, RecordKind::health, RecordKind::policy,
                       RecordKind::issuer_key, RecordKind::deny}) {
    if (record_kind_name(k) == name) return k;
  }
  return std::nullopt;
}

Result<CacheChange> deletion(const Line& l) {
  Deletion d;
  GATE_TRY_ASSIGN(
      d.kind, required(l, "kind", one_of(parse_kind, "binding, health, policy, issuer_key, deny")));
  switch (d.kind) {
    case RecordKind::binding:
    case RecordKind::deny: {
      GATE_TRY(only_fields(l, {"kind", "credential"}));
      GATE_TRY_ASSIGN(d.key, required(l, "credential", credential_key));
      break;
    }
    case RecordKind::health: {
      GATE_TRY(only_fields(l, {"kind", "identity"}));
      GATE_TRY_ASSIGN(d.key, required(l, "identity", identity));
      break;
    }
    case RecordKind::policy: {
      GATE_TRY(only_fields(l, {"kind", "id"}));
      GATE_TRY_ASSIGN(d.key, required(l, "id", nonempty_text));
      break;
    }
    case RecordKind::issuer_key: {
      GATE_TRY(only_fields(l, {"kind", "issuer_id", "key_id"}));
      GATE_TRY_ASSIGN(std::int64_t issuer, required(l, "issuer_id", integer_in(0, 65535)));
      GATE_TRY_ASSIGN(std::int64_t key, required(l, "key_id", integer_in(0, 255)));
      d.issuer_id = static_cast<std::uint16_t>(issuer);
      d.key_id = static_cast<std::uint8_t>(key);
      break;
    }
  }
  return CacheChange(std::move(d));
}

Result<CacheChange> parse_object(const Line& l) {
  GATE_TRY_ASSIGN(std::string type, required(l, "type", any_text));
  if (type == "binding") return binding(l);
  if (type == "health") return health(l);
  if (type == "policy") return policy(l);
  if (type == "issuer_key") return issuer_key(l);
  if (type == "deny") return deny(l);
  if (type == "delete") return deletion(l);
  return l.error("type", "unknown type " + shown(type));
}

Result<std::uint64_t> feed_sequence(sqlite3* db) {
  GATE_TRY_ASSIGN(StmtHandle s, prepare(db, "SELECT sequence FROM sync_state WHERE id = 1"));
  if (sqlite3_step(s.get()) != SQLITE_ROW) return sqlite_error(db, "read feed sequence");
  return static_cast<std::uint64_t>(sqlite3_column_int64(s.get(), 0));
}

}  // namespace

Result<CacheChange> parse_record_line(std::string_view text, std::size_t line_no) {
  const std::string where = "line " + std::to_string(line_no) + ": ";
  try {
    json obj = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (obj.is_discarded()) return make_error(Errc::malformed, where + "not valid JSON");
    if (!obj.is_object()) return make_error(Errc::malformed, where + "not a JSON object");
    return parse_object(Line{obj, line_no});
  } catch (const std::exception& e) {
    return make_error(Errc::malformed, where + e.what());
  }
}

Result<std::vector<CacheChange>> parse_records(std::istream& in) {
  std::vector<CacheChange> changes;
  std::string text;
  std::size_t line_no = 0;
  while (std::getline(in, text)) {
    ++line_no;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    GATE_TRY_ASSIGN(CacheChange change, parse_record_line(text, line_no));
    changes.push_back(std::move(change));
  }
  if (in.bad()) return make_error(Errc::io_error, "reading records failed");
  return changes;
}

Result<std::size_t> load_records_file(const std::string& path, const std::string& cache_path,
                                      Instant synced_at) {
  std::ifstream in(path);
  if (!in) return make_error(Errc::not_found, "records file " + path + " cannot be opened");
  Result<std::vector<CacheChange>> changes = parse_records(in);
  if (!changes.ok()) return make_error(changes.error().code, path + ": " + changes.error().message);
  GATE_TRY_ASSIGN(CacheWriter writer, CacheWriter::open(cache_path));
  // A records file is not a feed delta: keep whatever feed sequence the cache has reached.
  GATE_TRY_ASSIGN(std::uint64_t sequence, feed_sequence(writer.db()));
  GATE_TRY(writer.apply_and_mark(*changes, synced_at, sequence));
  return changes->size();
}

}  // namespace gate::store
