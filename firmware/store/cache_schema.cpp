#include "firmware/store/cache_schema.h"

#include <iterator>
#include <string>

namespace gate::store {
namespace {

// Version 0 → 1: the records of spec/records.md, one table per kind, keyed by natural key.
// WITHOUT ROWID everywhere: every lookup is by the key, so the key's B-tree is the table.
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE binding (
  credential TEXT PRIMARY KEY NOT NULL,
  identity TEXT NOT NULL,
  media INTEGER NOT NULL CHECK (media BETWEEN 0 AND 3),
  status INTEGER NOT NULL CHECK (status BETWEEN 0 AND 3),
  since_us INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE health (
  identity TEXT PRIMARY KEY NOT NULL,
  colour INTEGER NOT NULL CHECK (colour BETWEEN 0 AND 2),
  popup INTEGER NOT NULL CHECK (popup IN (0, 1)),
  last_negative_test_us INTEGER,
  as_of_us INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE policy (
  id TEXT PRIMARY KEY NOT NULL,
  effective_from_us INTEGER NOT NULL,
  health_mode TEXT NOT NULL CHECK (health_mode IN ('off', 'observe', 'enforce')),
  not_upgraded TEXT NOT NULL
    CHECK (not_upgraded IN ('allow', 'allow_with_prompt', 'staff_check', 'deny')),
  health_unknown TEXT NOT NULL CHECK (health_unknown IN ('allow', 'staff_check', 'deny')),
  block_yellow INTEGER NOT NULL CHECK (block_yellow IN (0, 1)),
  popup TEXT NOT NULL CHECK (popup IN ('staff_check', 'deny')),
  test_max_age_hours INTEGER NOT NULL CHECK (test_max_age_hours >= 0),
  max_cache_age_minutes INTEGER NOT NULL CHECK (max_cache_age_minutes >= 0),
  stale TEXT NOT NULL CHECK (stale IN ('allow', 'staff_check', 'deny')),
  anti_passback_minutes INTEGER NOT NULL CHECK (anti_passback_minutes >= 0),
  accept_m1 INTEGER NOT NULL CHECK (accept_m1 IN (0, 1))
) WITHOUT ROWID;

-- A policy's scope: the lines and stations it names, in the order the record gave them.
CREATE TABLE policy_scope (
  policy_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('line', 'station')),
  pos INTEGER NOT NULL,
  name TEXT NOT NULL,
  PRIMARY KEY (policy_id, kind, pos)
) WITHOUT ROWID;

CREATE TABLE issuer_key (
  issuer_id INTEGER NOT NULL CHECK (issuer_id BETWEEN 0 AND 65535),
  key_id INTEGER NOT NULL CHECK (key_id BETWEEN 0 AND 255),
  public_key_hex TEXT NOT NULL,
  valid_from_us INTEGER NOT NULL,
  valid_until_us INTEGER NOT NULL,
  revoked INTEGER NOT NULL CHECK (revoked IN (0, 1)),
  PRIMARY KEY (issuer_id, key_id)
) WITHOUT ROWID;

CREATE TABLE deny (
  credential TEXT PRIMARY KEY NOT NULL,
  note TEXT NOT NULL
) WITHOUT ROWID;

-- Exactly one row: the last good sync (NULL: never) and the feed sequence it brought.
CREATE TABLE sync_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  last_good_sync_us INTEGER,
  sequence INTEGER NOT NULL
);
INSERT INTO sync_state (id, last_good_sync_us, sequence) VALUES (1, NULL, 0);
)sql";

constexpr std::string_view kMigrations[] = {kSchemaV1};
static_assert(std::size(kMigrations) == kCacheSchemaVersion, "one migration per version");

constexpr core::Media kMediaByCode[] = {core::Media::card, core::Media::phone_card, core::Media::m1,
                                        core::Media::qr};
constexpr core::BindingStatus kStatusByCode[] = {
    core::BindingStatus::active, core::BindingStatus::lost, core::BindingStatus::blocked,
    core::BindingStatus::unbound};
constexpr core::HealthColour kColourByCode[] = {
    core::HealthColour::green, core::HealthColour::yellow, core::HealthColour::red};

template <class E, std::size_t N>
std::optional<int> code_of(const E (&table)[N], E value) {
  for (std::size_t i = 0; i < N; ++i) {
    if (table[i] == value) return static_cast<int>(i);
  }
  return std::nullopt;
}

template <class E, std::size_t N>
std::optional<E> from_code(const E (&table)[N], std::int64_t code) {
  if (code < 0 || code >= static_cast<std::int64_t>(N)) return std::nullopt;
  return table[code];
}

}  // namespace

std::string_view record_kind_name(RecordKind kind) {
  switch (kind) {
    case RecordKind::binding:
      return "binding";
    case RecordKind::health:
      return "health";
    case RecordKind::policy:
      return "policy";
    case RecordKind::issuer_key:
      return "issuer_key";
    case RecordKind::deny:
      return "deny";
  }
  return "?";
}

std::optional<int> media_code(core::Media m) {
  return code_of(kMediaByCode, m);
}
std::optional<core::Media> media_from_code(std::int64_t c) {
  return from_code(kMediaByCode, c);
}
int binding_status_code(core::BindingStatus s) {
  return *code_of(kStatusByCode, s);
}
std::optional<core::BindingStatus> binding_status_from_code(std::int64_t c) {
  return from_code(kStatusByCode, c);
}
int health_colour_code(core::HealthColour c) {
  return *code_of(kColourByCode, c);
}
std::optional<core::HealthColour> health_colour_from_code(std::int64_t c) {
  return from_code(kColourByCode, c);
}

std::span<const std::string_view> cache_migrations() {
  return kMigrations;
}

Status migrate_schema(sqlite3* db, std::span<const std::string_view> steps) {
  const int newest = static_cast<int>(steps.size());
  GATE_TRY(exec(db, "BEGIN IMMEDIATE"));
  auto rollback_on_error = [db](Status st) {
    if (!st.ok()) (void)exec(db, "ROLLBACK");
    return st;
  };
  Result<int> version = user_version(db);
  if (!version.ok()) return rollback_on_error(version.status());
  if (*version < 0 || *version > newest) {
    return rollback_on_error(
        make_error(Errc::unsupported, "cache schema version " + std::to_string(*version) +
                                          " is not one this build knows (newest " +
                                          std::to_string(newest) + "); refusing to touch it"));
  }
  for (int v = *version; v < newest; ++v) {
    Status st = exec(db, steps[static_cast<std::size_t>(v)]);
    if (st.ok()) st = exec(db, "PRAGMA user_version = " + std::to_string(v + 1));
    if (!st.ok()) {
      return rollback_on_error(
          make_error(st.error().code, "migrating cache schema " + std::to_string(v) + " -> " +
                                          std::to_string(v + 1) + ": " + st.error().message));
    }
  }
  return rollback_on_error(exec(db, "COMMIT"));
}

Status check_schema_version(sqlite3* db, int expected, std::string_view path) {
  Result<int> version = user_version(db);
  if (!version.ok()) {
    return make_error(Errc::storage_error,
                      "cache " + std::string(path) + " is unreadable: " + version.error().message);
  }
  if (*version == expected) return ok_status();
  std::string msg = "cache " + std::string(path);
  if (*version == 0) {
    msg += " has no cache schema (user_version 0)";
  } else {
    msg += " has schema version " + std::to_string(*version);
  }
  msg += "; this build reads version " + std::to_string(expected);
  return make_error(Errc::unsupported, std::move(msg));
}

}  // namespace gate::store
