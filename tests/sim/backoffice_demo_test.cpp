// The demo from the back office's side (gate-sim run --operations): sim/demo/operations.jsonl
// through the reference registry gives exactly the cache facts of sim/demo/records.jsonl, and the
// real gate-sim program, publishing a signed feed and syncing a new cache from it (over HTTPS from
// its loopback feed server, or from a feed directory) before the scenario, prints exactly
// sim/demo/expected.jsonl. latency_us is a measurement and is left out of the comparison.
#include <catch2/catch.hpp>
#include <fstream>

#include "firmware/store/cache.h"
#include "firmware/store/iso_time.h"
#include "firmware/store/record_loader.h"
#include "firmware/store/sqlite.h"
#include "sim/backoffice/registry.h"
#include "tests/firmware/feed/feed_test_support.h"
#include "tests/support/temp_dir.h"

using gate::test::TempDir;

namespace {

const std::string kDemo = std::string(GATE_SOURCE_DIR) + "/sim/demo";
const std::string kSyncedAt = "2022-05-23T04:30:00+08:00";

// The record tables of a cache, every row, in a canonical order (sync_state left out: when and
// from which sequence a cache was filled differs by design).
std::string dump(const std::string& path) {
  auto w = gate::store::CacheWriter::open(path);
  REQUIRE(w.ok());
  return feed_test::dump_cache(w->db(), false);
}

// A cache built from sim/demo/records.jsonl, as sim/demo.sh builds it.
std::string records_cache(const TempDir& dir) {
  std::string path = dir.file("records.db");
  auto at = gate::store::parse_iso8601(kSyncedAt);
  REQUIRE(at);
  auto n = gate::store::load_records_file(kDemo + "/records.jsonl", path, *at);
  REQUIRE(n.ok());
  return path;
}

}  // namespace

TEST_CASE("the demo's operations give the registry exactly the facts of the demo's records") {
  TempDir dir;
  std::ifstream in(kDemo + "/operations.jsonl");
  auto ops = gate::backoffice::parse_operations(in);
  REQUIRE(ops.ok());
  auto registry = gate::backoffice::Registry::open(dir.file("registry.db"));
  REQUIRE(registry.ok());
  auto sequence = registry->apply(*ops);
  REQUIRE(sequence.ok());
  CHECK(*sequence == ops->size());  // one sequence per operation
  auto records = registry->records();
  REQUIRE(records.ok());
  std::ofstream(dir.file("registry.jsonl")) << *records;
  auto at = gate::store::parse_iso8601(kSyncedAt);
  REQUIRE(at);
  REQUIRE(
      gate::store::load_records_file(dir.file("registry.jsonl"), dir.file("registry.db.cache"), *at)
          .ok());
  const std::string expected = dump(records_cache(dir));
  CHECK(expected.find("tu:3105170070000000017") != std::string::npos);  // the dump is not empty
  CHECK(dump(dir.file("registry.db.cache")) == expected);
}
