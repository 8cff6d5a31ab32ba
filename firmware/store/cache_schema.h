// The cache's SQLite schema: migrations keyed by PRAGMA user_version, the storage of instants and
// the integer codes of the high-volume tables. Shared by CacheWriter and CacheReader.
//
// Instants are stored as INTEGER microseconds since the Unix epoch, UTC (columns named *_us), the
// resolution of gate::Instant, so a value reads back exactly as it was written.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "firmware/core/credential.h"
#include "firmware/core/records.h"
#include "firmware/store/cache.h"
#include "firmware/store/sqlite.h"
#include "hal/result.h"
#include "hal/time.h"

namespace gate::store {

inline std::int64_t to_db_time(Instant t) {
  return t.time_since_epoch().count();
}
inline Instant from_db_time(std::int64_t us) {
  return Instant(Duration(us));
}

// Codes of binding.media, binding.status and health.colour (tables of tens of millions of rows,
// where one byte beats a name). Fixed: changing one is a schema migration. Media::none has no code.
// media: card 0, phone_card 1, m1 2, qr 3. status: active 0, lost 1, blocked 2, unbound 3.
// colour: green 0, yellow 1, red 2. The policy table (a handful of rows) stores the names.
std::optional<int> media_code(core::Media media);
std::optional<core::Media> media_from_code(std::int64_t code);
int binding_status_code(core::BindingStatus status);
std::optional<core::BindingStatus> binding_status_from_code(std::int64_t code);
int health_colour_code(core::HealthColour colour);
std::optional<core::HealthColour> health_colour_from_code(std::int64_t code);

// The cache's migrations: element i takes the schema from version i to i+1. Their count is
// kCacheSchemaVersion.
std::span<const std::string_view> cache_migrations();

// Brings `db` from its user_version v up to steps.size() by running steps[v], steps[v+1], … each
// followed by user_version = its index + 1, all in one BEGIN IMMEDIATE transaction (a failure
// leaves the file as it was). A file newer than steps.size() is refused with Errc::unsupported.
Status migrate_schema(sqlite3* db, std::span<const std::string_view> steps);

// Errc::unsupported unless `db`'s user_version is `expected`; the message names `path` and both
// versions. A file that is not SQLite at all gives Errc::storage_error naming `path`.
Status check_schema_version(sqlite3* db, int expected, std::string_view path);

}  // namespace gate::store
