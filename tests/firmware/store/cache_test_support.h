// Shared by the cache tests: a temporary directory, record builders and checked open/apply/lookup.
#pragma once

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "firmware/store/cache.h"
#include "firmware/store/cache_schema.h"
#include "tests/support/temp_dir.h"

namespace cache_test {

using namespace std::chrono;
using gate::Errc;
using gate::Instant;
using gate::core::Binding;
using gate::core::BindingStatus;
using gate::core::CacheFacts;
using gate::core::DenyEntry;
using gate::core::HealthColour;
using gate::core::HealthStatus;
using gate::core::IssuerKey;
using gate::core::Media;
using gate::core::PolicyRecord;
using gate::store::CacheChange;
using gate::store::CacheReader;
using gate::store::CacheWriter;
using gate::store::Deletion;
using gate::store::RecordKind;

using CacheDir = gate::test::TempDir;

inline Instant at_s(std::int64_t s) {
  return Instant(seconds(s));
}

inline constexpr const char* kTu = "tu:3105170010170907984";
inline constexpr const char* kBj = "bj:0123456789abcdef";
inline constexpr const char* kM1 = "m1:0a1b2c3d";
inline constexpr const char* kQr = "qr:12345";

inline Binding binding(std::string credential, std::string identity, BindingStatus status,
                       Media media, std::int64_t since_s) {
  return Binding{std::move(credential), std::move(identity), media, status, at_s(since_s)};
}

inline HealthStatus health(std::string identity, HealthColour colour, bool popup,
                           std::optional<std::int64_t> test_s, std::int64_t as_of_s) {
  HealthStatus h{std::move(identity), colour, popup, std::nullopt, at_s(as_of_s)};
  if (test_s) h.last_negative_test = at_s(*test_s);
  return h;
}

inline std::string key_hex(char fill) {
  return "04" + std::string(128, fill);
}

inline int version_of(const std::string& path) {
  auto db = gate::store::open_db(path, SQLITE_OPEN_READONLY);
  REQUIRE(db.ok());
  auto v = gate::store::user_version(db->get());
  REQUIRE(v.ok());
  return *v;
}

inline bool has_table(sqlite3* db, const char* name) {
  sqlite3_stmt* raw = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_schema WHERE name = ?1", -1, &raw,
                             nullptr) == SQLITE_OK);
  gate::store::StmtHandle stmt(raw);
  sqlite3_bind_text(raw, 1, name, -1, SQLITE_STATIC);
  return sqlite3_step(raw) == SQLITE_ROW;
}

inline CacheWriter open_writer(const std::string& path) {
  auto w = CacheWriter::open(path);
  INFO((w.ok() ? "" : w.error().message));
  REQUIRE(w.ok());
  return std::move(w).value();
}

inline CacheReader open_reader(const std::string& path) {
  auto r = CacheReader::open(path);
  INFO((r.ok() ? "" : r.error().message));
  REQUIRE(r.ok());
  return std::move(r).value();
}

inline void apply(CacheWriter& w, const std::vector<CacheChange>& changes) {
  auto st = w.apply(changes);
  INFO((st.ok() ? "" : st.error().message));
  REQUIRE(st.ok());
}

inline CacheFacts lookup(CacheReader& r, std::string_view credential) {
  CacheFacts facts;
  auto st = r.lookup(credential, facts);
  INFO((st.ok() ? "" : st.error().message));
  REQUIRE(st.ok());
  return facts;
}

}  // namespace cache_test
