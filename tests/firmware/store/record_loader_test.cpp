#include "firmware/store/record_loader.h"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using namespace std::chrono;
using gate::Errc;
using gate::Instant;
using gate::core::BindingStatus;
using gate::core::CacheFacts;
using gate::core::HealthColour;
using gate::core::Media;
using gate::store::CacheReader;
using gate::store::CacheWriter;
using gate::store::load_records_file;
using gate::store::parse_record_line;
using gate::store::parse_records;

namespace {

class LoaderDir {
 public:
  LoaderDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "loader_test.XXXXXX").string();
    REQUIRE(mkdtemp(templ.data()) != nullptr);
    path_ = templ;
  }
  ~LoaderDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const char* name) const { return (path_ / name).string(); }
  std::string write(const char* name, const std::string& text) const {
    std::ofstream(file(name)) << text;
    return file(name);
  }

 private:
  std::filesystem::path path_;
};

Instant at_s(std::int64_t s) {
  return Instant(seconds(s));
}

const std::string kData = GATE_TEST_DATA_DIR "/records/";
constexpr const char* kTu = "tu:3105170010170907984";

CacheReader open_reader(const std::string& path) {
  auto r = CacheReader::open(path);
  INFO((r.ok() ? "" : r.error().message));
  REQUIRE(r.ok());
  return std::move(r).value();
}

CacheFacts lookup(CacheReader& r, std::string_view credential) {
  CacheFacts facts;
  REQUIRE(r.lookup(credential, facts).ok());
  return facts;
}

std::size_t load(const std::string& records, const std::string& cache, Instant at = at_s(1)) {
  auto n = load_records_file(records, cache, at);
  INFO((n.ok() ? "" : n.error().message));
  REQUIRE(n.ok());
  return *n;
}

// Every row of every table, for "the cache did not change" checks.
std::string dump(const std::string& cache) {
  auto db = gate::store::open_db(cache, SQLITE_OPEN_READONLY);
  REQUIRE(db.ok());
  std::string out;
  for (const char* table :
       {"binding", "health", "policy", "policy_scope", "issuer_key", "deny", "sync_state"}) {
    auto stmt = gate::store::prepare(db->get(), std::string("SELECT * FROM ") + table);
    REQUIRE(stmt.ok());
    out += table;
    out += ":\n";
    while (sqlite3_step(stmt->get()) == SQLITE_ROW) {
      for (int i = 0; i < sqlite3_column_count(stmt->get()); ++i) {
        out += sqlite3_column_type(stmt->get(), i) == SQLITE_NULL
                   ? std::string("NULL")
                   : std::string(gate::store::column_text(stmt->get(), i));
        out += '|';
      }
      out += '\n';
    }
  }
  return out;
}

}  // namespace

TEST_CASE("the records.md example loads and reads back exactly", "[record_loader]") {
  LoaderDir dir;
  const std::string cache = dir.file("c.db");
  const Instant synced = at_s(1653253200) + microseconds(1);
  CHECK(load(kData + "records_md_example.jsonl", cache, synced) == 3);
  auto r = open_reader(cache);

  CacheFacts f = lookup(r, kTu);
  REQUIRE(f.binding);
  CHECK(f.binding->identity == "id-7f3a");
  CHECK(f.binding->media == Media::card);
  CHECK(f.binding->status == BindingStatus::active);
  // 2022-05-17T09:12:00+08:00 = 2022-05-17T01:12:00Z = 1653177600 (05-22) - 5 days + 4320 s.
  CHECK(f.binding->since == at_s(1652749920));
  CHECK_FALSE(f.denied);
  REQUIRE(f.health);
  CHECK(f.health->colour == HealthColour::green);
  CHECK_FALSE(f.health->popup);
  // 2022-05-22T18:00:00+08:00 = 2022-05-22T10:00:00Z = 1653177600 + 36000.
  CHECK(f.health->last_negative_test == at_s(1653213600));
  // 2022-05-23T04:00:00+08:00 = 2022-05-22T20:00:00Z = 1653177600 + 72000.
  CHECK(f.health->as_of == at_s(1653249600));

  auto policies = r.policies();
  REQUIRE(policies.ok());
  REQUIRE((*policies)->size() == 1);
  const gate::core::PolicyRecord& p = (**policies)[0];
  CHECK(p.id == "line1-enforce");
  // 2022-05-23T05:00:00+08:00 = 2022-05-22T21:00:00Z = 1653177600 + 75600.
  CHECK(p.effective_from == at_s(1653253200));
  CHECK(p.scope_lines == std::vector<std::string>{"L1"});
  CHECK(p.scope_stations.empty());
  CHECK(p.policy.health_mode == gate::core::HealthMode::enforce);
  CHECK(p.policy.not_upgraded == gate::core::NotUpgradedPolicy::allow_with_prompt);
  CHECK(p.policy.health_unknown == gate::core::ThreeWayPolicy::staff_check);
  CHECK(p.policy.block_yellow);
  CHECK(p.policy.popup == gate::core::PopupPolicy::staff_check);
  CHECK(p.policy.test_max_age_hours == 48);
  CHECK(p.policy.max_cache_age_minutes == 1440);
  CHECK(p.policy.stale == gate::core::ThreeWayPolicy::staff_check);
  CHECK(p.policy.anti_passback_minutes == 20);
  CHECK(p.policy.accept_m1);

  auto state = r.sync_state();
  REQUIRE(state.ok());
  CHECK(state->last_good_sync == synced);
  CHECK(state->sequence == 0);
}

TEST_CASE("every record kind, optional fields and their defaults", "[record_loader]") {
  LoaderDir dir;
  const std::string cache = dir.file("c.db");
  CHECK(load(kData + "all_kinds.jsonl", cache) == 11);  // 12 lines, one blank
  auto r = open_reader(cache);

  auto k3 = r.issuer_key(1, 3);
  REQUIRE(k3.ok());
  REQUIRE(k3->has_value());
  // Upper-case hex digits are accepted and stored lower-case.
  CHECK((*k3)->public_key_hex ==
        "04ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
        "0123456789abcdef0123456789abcdef0123456789abcd");
  // 2022-05-01T00:00+08:00 = 2022-04-30T16:00Z: 19112 days * 86400 + 57600.
  CHECK((*k3)->valid_from == at_s(1651334400));
  // 2022-06-01T00:00+08:00 = 2022-05-31T16:00Z: 19143 days * 86400 + 57600.
  CHECK((*k3)->valid_until == at_s(1654012800));
  CHECK_FALSE((*k3)->revoked);
  auto k4 = r.issuer_key(1, 4);
  REQUIRE(k4->has_value());
  CHECK((*k4)->revoked);
  CHECK((*k4)->valid_from == at_s(1651363200));   // 2022-05-01Z: 19113 days
  CHECK((*k4)->valid_until == at_s(1654041600));  // 2022-06-01Z: 19144 days

  CacheFacts bj = lookup(r, "bj:0123456789abcdef");
  REQUIRE(bj.binding);
  CHECK(bj.binding->media == Media::phone_card);
  CHECK(bj.binding->status == BindingStatus::lost);
  CHECK(bj.binding->since == at_s(1653004800));  // 2022-05-20Z: 19132 days
  REQUIRE(bj.health);
  CHECK(bj.health->colour == HealthColour::yellow);
  CHECK(bj.health->popup);
  CHECK_FALSE(bj.health->last_negative_test);  // null

  CacheFacts m1 = lookup(r, "m1:0a1b2c3d");
  CHECK(m1.denied);
  CHECK(m1.binding->media == Media::m1);
  CHECK(m1.binding->status == BindingStatus::blocked);
  CHECK(m1.health->colour == HealthColour::red);
  CHECK_FALSE(m1.health->last_negative_test);  // absent

  CacheFacts qr = lookup(r, "qr:12345");
  CHECK(qr.denied);
  CHECK(qr.binding->media == Media::qr);
  CHECK(qr.binding->status == BindingStatus::unbound);
  CHECK_FALSE(qr.health);

  auto notes = gate::store::prepare(r.db(), "SELECT note FROM deny ORDER BY credential");
  REQUIRE(notes.ok());
  REQUIRE(sqlite3_step(notes->get()) == SQLITE_ROW);
  CHECK(gate::store::column_text(notes->get(), 0) == "reported stolen");
  REQUIRE(sqlite3_step(notes->get()) == SQLITE_ROW);
  CHECK(gate::store::column_text(notes->get(), 0).empty());

  auto policies = r.policies();
  REQUIRE(policies.ok());
  REQUIRE((*policies)->size() == 2);
  const auto& all = (**policies)[0];
  CHECK(all.id == "everywhere-default");
  CHECK(all.scope_lines.empty());
  CHECK(all.scope_stations.empty());
  CHECK(all.policy == gate::core::Policy{});
  const auto& s07 = (**policies)[1];
  CHECK(s07.scope_lines.empty());
  CHECK(s07.scope_stations == std::vector<std::string>{"S07", "S08"});
  gate::core::Policy observe;
  observe.health_mode = gate::core::HealthMode::observe;
  CHECK(s07.policy == observe);
}

TEST_CASE("upserts in a file: the last one wins", "[record_loader]") {
  LoaderDir dir;
  const std::string cache = dir.file("c.db");
  load(
      dir.write(
          "a.jsonl",
          R"({"type":"binding","credential":"tu:3105170010170907984","identity":"id-a","media":"card","status":"active","since":"2022-05-17T09:12:00+08:00"}
{"type":"binding","credential":"tu:3105170010170907984","identity":"id-b","media":"phone_card","status":"lost","since":"2022-05-20T00:00:00Z"}
{"type":"health","identity":"id-b","colour":"green","popup":false,"as_of":"2022-05-20T00:00:00Z"}
{"type":"health","identity":"id-b","colour":"red","popup":true,"as_of":"2022-05-20T00:00:00Z"}
)"),
      cache);
  auto r = open_reader(cache);
  CacheFacts f = lookup(r, kTu);
  CHECK(f.binding->identity == "id-b");
  CHECK(f.binding->media == Media::phone_card);
  CHECK(f.binding->status == BindingStatus::lost);
  CHECK(f.binding->since == at_s(1653004800));
  CHECK(f.health->colour == HealthColour::red);
  CHECK(f.health->popup);
}

TEST_CASE("delete records remove one record of each kind", "[record_loader]") {
  LoaderDir dir;
  const std::string cache = dir.file("c.db");
  load(kData + "all_kinds.jsonl", cache);
  load(dir.write("d.jsonl", R"({"type":"delete","kind":"binding","credential":"bj:0123456789abcdef"}
{"type":"delete","kind":"health","identity":"id-3"}
{"type":"delete","kind":"deny","credential":"qr:12345"}
{"type":"delete","kind":"issuer_key","issuer_id":1,"key_id":4}
{"type":"delete","kind":"policy","id":"s07-observe"}
{"type":"delete","kind":"binding","credential":"tu:0000000000000000000"}
)"),
       cache);
  auto r = open_reader(cache);
  CHECK_FALSE(lookup(r, "bj:0123456789abcdef").binding);
  CacheFacts m1 = lookup(r, "m1:0a1b2c3d");
  CHECK(m1.binding);
  CHECK_FALSE(m1.health);
  CHECK(m1.denied);
  CHECK_FALSE(lookup(r, "qr:12345").denied);
  CHECK(lookup(r, "qr:12345").binding);
  CHECK_FALSE(r.issuer_key(1, 4)->has_value());
  CHECK(r.issuer_key(1, 3)->has_value());
  REQUIRE((*r.policies())->size() == 1);
  CHECK((**r.policies())[0].id == "everywhere-default");
}

TEST_CASE("a file with one bad line changes nothing", "[record_loader]") {
  LoaderDir dir;
  const std::string cache = dir.file("c.db");
  load(kData + "records_md_example.jsonl", cache, at_s(1000));
  const std::string before = dump(cache);

  std::string text;
  for (int i = 1; i <= 96; ++i) {
    char key[32];
    std::snprintf(key, sizeof key, "tu:%019d", i);
    text +=
        std::string(R"({"type":"binding","credential":")") + key +
        R"(","identity":"id-x","media":"card","status":"active","since":"2022-05-20T00:00:00Z"})" +
        "\n";
  }
  text +=
      R"({"type":"health","identity":"id-7f3a","colour":"red","popup":true,"as_of":"2022-05-23T04:00:00+08:00"})"
      "\n";
  text += R"({"type":"delete","kind":"policy","id":"line1-enforce"})"
          "\n";
  text += R"({"type":"delete","kind":"binding","credential":"tu:3105170010170907984"})"
          "\n";
  text +=
      R"({"type":"binding","credential":"tu:0000000000000000999","identity":"id-y","media":"card","status":"stolen","since":"2022-05-20T00:00:00Z"})"
      "\n";
  auto n = load_records_file(dir.write("bad.jsonl", text), cache, at_s(2000));
  REQUIRE_FALSE(n.ok());
  CHECK(n.error().code == Errc::malformed);
  CHECK_THAT(n.error().message, Catch::Contains("line 100: field status: "));
  CHECK(dump(cache) == before);
  CHECK(open_reader(cache).sync_state()->last_good_sync == at_s(1000));
}

TEST_CASE("load_records_file keeps the feed sequence and reports a missing file",
          "[record_loader]") {
  LoaderDir dir;
  const std::string cache = dir.file("c.db");
  {
    auto w = CacheWriter::open(cache);
    REQUIRE(w.ok());
    REQUIRE(w->mark_synced(at_s(5), 7).ok());
  }
  load(kData + "records_md_example.jsonl", cache, at_s(6));
  auto state = open_reader(cache).sync_state();
  CHECK(state->sequence == 7);
  CHECK(state->last_good_sync == at_s(6));

  auto missing = load_records_file(dir.file("none.jsonl"), cache, at_s(7));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == Errc::not_found);
  CHECK_THAT(missing.error().message, Catch::Contains("none.jsonl"));
}

TEST_CASE("parse_records numbers lines as an editor does: blank lines count", "[record_loader]") {
  std::istringstream in(
      "\n"
      R"({"type":"deny","credential":"qr:1"})"
      "\r\n"
      "   \n"
      R"({"type":"deny","credential":"qr:01"})"
      "\n");
  auto r = parse_records(in);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "line 4: field credential: malformed credential key");

  std::istringstream good(
      "\n\n"
      R"({"type":"deny","credential":"qr:1"})"
      "\r\n\n");
  auto ok = parse_records(good);
  REQUIRE(ok.ok());
  CHECK(ok->size() == 1);
}
