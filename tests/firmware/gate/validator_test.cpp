// The validator when its cache stops reading: every decision out_of_service (decisions.md row 2,
// the policies included: the default policy would open for riders the real one refuses),
// cache_failing() for the runtime's cache watch, one log line when the reads start failing and
// one when they work again, whatever the number of taps in between.
#include "firmware/gate/validator.h"

#include <sqlite3.h>

#include "tests/firmware/store/cache_test_support.h"
#include "tests/support/log_capture.h"

using namespace cache_test;
using gate::LogLevel;
using gate::core::Reason;

namespace {

const Instant kNow = at_s(1653253200);

// Renames a table of the cache at `path` from another connection (the feed syncer's place).
void rename_table(const std::string& path, const std::string& from, const std::string& to) {
  CacheWriter w = open_writer(path);
  const std::string sql = "ALTER TABLE " + from + " RENAME TO " + to;
  REQUIRE(sqlite3_exec(w.db(), sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
}

Reason decide(gate::control::Validator& v) {
  gate::core::Presentation p;
  p.credential = kTu;
  return v.decide(p, kNow).reason;
}

}  // namespace

TEST_CASE("Validator: a cache whose reads fail is out_of_service, logged once each way") {
  CacheDir dir;
  const std::string path = dir.file("cache.db");
  {
    CacheWriter w = open_writer(path);
    apply(w, {binding(kTu, "id-a", BindingStatus::active, Media::card, 1652750000)});
    REQUIRE(w.mark_synced(kNow, 1).ok());
  }
  CacheReader reader = open_reader(path);
  gate::store::PassbackMemory passback;
  gate::control::Validator v(*gate::core::parse_gate_spec("L1:S07:G03:entry"), &reader, passback);
  gate::test::LogCapture logs;
  CHECK(decide(v) == Reason::ok);
  CHECK_FALSE(v.cache_failing());

  // The policies, or the credential's lookup, cannot be read.
  const std::string table = GENERATE(std::string("policy"), std::string("binding"));
  INFO(table);
  rename_table(path, table, table + "_away");
  CHECK(decide(v) == Reason::out_of_service);
  CHECK(decide(v) == Reason::out_of_service);
  CHECK(v.cache_failing());
  CHECK(v.cache_usable());  // still attached: taking it away is the runtime's call

  rename_table(path, table + "_away", table);
  CHECK(decide(v) == Reason::ok);
  CHECK_FALSE(v.cache_failing());
  CHECK(logs.messages(LogLevel::error, "validator").size() == 1);
  CHECK(logs.messages(LogLevel::info, "validator") ==
        std::vector<std::string>{"cache reads work again"});
}
