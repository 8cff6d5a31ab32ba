// Schema creation, migration and refusal; opening rules of CacheWriter and CacheReader.
#include "firmware/store/cache_schema.h"

#include "tests/firmware/store/cache_test_support.h"

using namespace cache_test;

TEST_CASE("cache schema: a new or empty (v0) file is migrated to the current version", "[cache]") {
  CacheDir dir;
  SECTION("missing file") {
    open_writer(dir.file("c.db"));
  }
  SECTION("zero-byte file") {
    std::ofstream(dir.file("c.db")).close();
    open_writer(dir.file("c.db"));
  }
  CHECK(version_of(dir.file("c.db")) == gate::store::kCacheSchemaVersion);
  auto w = open_writer(dir.file("c.db"));  // reopening an up-to-date file is a no-op
  for (const char* table :
       {"binding", "health", "policy", "policy_scope", "issuer_key", "deny", "sync_state"}) {
    CHECK(has_table(w.db(), table));
  }
  auto mode = gate::store::prepare(w.db(), "PRAGMA journal_mode");
  REQUIRE(mode.ok());
  REQUIRE(sqlite3_step(mode->get()) == SQLITE_ROW);
  CHECK(gate::store::column_text(mode->get(), 0) == "wal");
}

TEST_CASE("cache schema: a file of a newer version is refused and left alone", "[cache]") {
  CacheDir dir;
  const std::string path = dir.file("c.db");
  {
    auto db = gate::store::open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    REQUIRE(db.ok());
    REQUIRE(gate::store::exec(db->get(), "PRAGMA user_version = 2").ok());
  }
  auto w = CacheWriter::open(path);
  REQUIRE_FALSE(w.ok());
  CHECK(w.error().code == Errc::unsupported);
  CHECK_THAT(w.error().message, Catch::Contains("schema version 2"));
  auto r = CacheReader::open(path);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::unsupported);
  CHECK_THAT(r.error().message, Catch::Contains("schema version 2"));
  CHECK(version_of(path) == 2);
  auto db = gate::store::open_db(path, SQLITE_OPEN_READONLY);
  REQUIRE(db.ok());
  CHECK_FALSE(has_table(db->get(), "binding"));
}

TEST_CASE("migrate_schema runs only the steps after the file's version, in one transaction",
          "[cache]") {
  CacheDir dir;
  auto db = gate::store::open_db(dir.file("m.db"), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  REQUIRE(db.ok());
  sqlite3* raw = db->get();
  constexpr std::string_view v1[] = {"CREATE TABLE a (x)"};
  REQUIRE(gate::store::migrate_schema(raw, v1).ok());
  CHECK(*gate::store::user_version(raw) == 1);

  SECTION("1 -> 2 runs step 2 only (step 1 again would fail: table a exists)") {
    constexpr std::string_view v2[] = {"CREATE TABLE a (x)", "CREATE TABLE b (y)"};
    REQUIRE(gate::store::migrate_schema(raw, v2).ok());
    CHECK(*gate::store::user_version(raw) == 2);
    CHECK(has_table(raw, "b"));
  }
  SECTION("a failing step leaves the file at its old version, with nothing half-done") {
    constexpr std::string_view bad[] = {"CREATE TABLE a (x)", "CREATE TABLE b (y)",
                                        "CREATE TABLE a (z)"};
    auto st = gate::store::migrate_schema(raw, bad);
    REQUIRE_FALSE(st.ok());
    CHECK_THAT(st.error().message, Catch::Contains("2 -> 3"));
    CHECK(*gate::store::user_version(raw) == 1);
    CHECK_FALSE(has_table(raw, "b"));
  }
  SECTION("a file newer than the list is refused") {
    constexpr std::string_view none[] = {"x"};
    REQUIRE(gate::store::exec(raw, "PRAGMA user_version = 5").ok());
    auto st = gate::store::migrate_schema(raw, none);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().code == Errc::unsupported);
    CHECK(*gate::store::user_version(raw) == 5);
  }
}

TEST_CASE("CacheReader refuses a missing file, a non-cache and a v0 file clearly", "[cache]") {
  CacheDir dir;
  auto missing = CacheReader::open(dir.file("nope.db"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == Errc::not_found);
  CHECK_THAT(missing.error().message, Catch::Contains("does not exist"));
  CHECK_FALSE(std::filesystem::exists(dir.file("nope.db")));  // and did not create it

  std::ofstream(dir.file("text.db")) << "this is not an SQLite database, just some text\n";
  auto text = CacheReader::open(dir.file("text.db"));
  REQUIRE_FALSE(text.ok());
  CHECK(text.error().code == Errc::storage_error);
  CHECK_THAT(text.error().message, Catch::Contains("text.db"));

  {
    auto db = gate::store::open_db(dir.file("v0.db"), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    REQUIRE(db.ok());
    REQUIRE(gate::store::exec(db->get(), "CREATE TABLE other (x)").ok());
  }
  auto v0 = CacheReader::open(dir.file("v0.db"));
  REQUIRE_FALSE(v0.ok());
  CHECK(v0.error().code == Errc::unsupported);
  CHECK_THAT(v0.error().message, Catch::Contains("no cache schema"));
}

TEST_CASE("CacheReader is read-only", "[cache]") {
  CacheDir dir;
  const std::string path = dir.file("c.db");
  {
    auto w = open_writer(path);
    apply(w, {binding(kTu, "id-1", BindingStatus::active, Media::card, 1)});
  }
  auto r = open_reader(path);
  CHECK_FALSE(gate::store::exec(r.db(), "DELETE FROM binding").ok());
  CHECK_FALSE(gate::store::exec(r.db(), "CREATE TABLE x (y)").ok());
  CHECK(sqlite3_db_readonly(r.db(), "main") == 1);
  CHECK(lookup(r, kTu).binding.has_value());
}
