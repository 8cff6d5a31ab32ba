// The signed feed end to end through the real programs: registry operations applied with
// `gate-backoffice apply`, published with `gate-backoffice publish` (a snapshot, then deltas),
// synced into a cache with `gate-sim sync`; the cache then holds exactly what `records` built
// with `gate-sim cache-build` holds. A tampered delta is refused and changes nothing.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "backoffice_steps.h"
#include "firmware/store/cache.h"
#include "firmware/store/sqlite.h"
#include "tests/firmware/feed/feed_test_support.h"
#include "tests/support/temp_dir.h"

using gate::test::gate_backoffice;
using gate::test::gate_sim;
using gate::test::run_to_end;
using gate::test::TempDir;

namespace {

const std::string kAt = "2022-05-20T09:00:00+08:00";
const std::string kNow = "2022-05-23T05:30:00+08:00";

std::string bind_op(const std::string& cred, const std::string& identity) {
  return R"({"op":"bind","at":")" + kAt + R"(","credential":")" + cred + R"(","identity":")" +
         identity + R"(","media":"card","by":")" + identity + "\"}\n";
}

std::string lost_op(const std::string& cred) {
  return R"({"op":"report_lost","credential":")" + cred + R"(","at":")" + kAt + "\"}\n";
}

int apply_and_publish(const TempDir& dir, const std::string& name, const std::string& ops) {
  return gate::test::apply_and_publish(dir, name, ops, kNow);
}

int sync(const TempDir& dir) {
  return gate::test::sync_feed(dir, kNow);
}

int run(std::vector<std::string> argv, bool sim = false) {
  return gate::test::run_tool(std::move(argv), sim);
}

// The record tables of a cache, every row, in a canonical order (the sync state differs by design).
std::string dump(const std::string& path) {
  auto w = gate::store::CacheWriter::open(path);
  REQUIRE(w.ok());
  return feed_test::dump_cache(w->db(), false);
}

}  // namespace

TEST_CASE("feed end to end: published deltas synced into a cache equal the registry's records") {
  TempDir dir;
  REQUIRE(gate::test::make_feed(dir) == 0);
  const std::string a = "tu:3105170000000000411";
  const std::string b = "tu:3105170000000000421";
  REQUIRE(apply_and_publish(dir, "ops1.jsonl", bind_op(a, "id-a")) == 0);
  REQUIRE(sync(dir) == 0);  // the snapshot
  REQUIRE(apply_and_publish(dir, "ops2.jsonl", bind_op(b, "id-b")) == 0);
  REQUIRE(apply_and_publish(dir, "ops3.jsonl", lost_op(a)) == 0);
  REQUIRE(sync(dir) == 0);  // two deltas

  REQUIRE(run({"records", "--registry", dir.file("reg.db"), "--out", dir.file("records.jsonl")}) ==
          0);
  REQUIRE(run({"cache-build", "--records", dir.file("records.jsonl"), "--out", dir.file("built.db"),
               "--synced-at", kNow},
              true) == 0);
  CHECK(dump(dir.file("synced.db")) == dump(dir.file("built.db")));

  // A flipped byte in the next delta: refused, cache unchanged.
  REQUIRE(apply_and_publish(dir, "ops4.jsonl", lost_op(b)) == 0);
  std::string before = dump(dir.file("synced.db"));
  for (const auto& entry : std::filesystem::directory_iterator(dir.file("feed"))) {
    if (entry.path().filename().string().starts_with("delta-") &&
        entry.path().filename() != "delta-2.gfd" && entry.path().filename() != "delta-3.gfd") {
      std::fstream f(entry.path(), std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(20);
      f.put('\x5a');
    }
  }
  CHECK(sync(dir) == 1);
  CHECK(dump(dir.file("synced.db")) == before);
}
