// The demo from the back office's side (gate-sim run --operations): sim/demo/operations.jsonl
// through the reference registry gives exactly the cache facts of sim/demo/records.jsonl, and the
// real gate-sim program, publishing a signed feed and syncing a new cache from it (over HTTPS from
// its loopback feed server, or from a feed directory) before the scenario, prints exactly
// sim/demo/expected.jsonl. latency_us is a measurement and is left out of the comparison.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "child_process.h"
#include "firmware/store/cache.h"
#include "firmware/store/iso_time.h"
#include "firmware/store/record_loader.h"
#include "firmware/store/sqlite.h"
#include "sim/backoffice/registry.h"
#include "tests/firmware/feed/feed_test_support.h"
#include "tests/support/temp_dir.h"

using gate::test::gate_sim;
using gate::test::run_to_end;
using gate::test::TempDir;

namespace {

const std::string kDemo = std::string(GATE_SOURCE_DIR) + "/sim/demo";
const std::string kSyncedAt = "2022-05-23T04:30:00+08:00";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

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

// The records a run printed, without latency_us.
std::vector<std::string> records_of(const std::string& out) {
  const std::regex latency(R"(,"latency_us":\d+\})");
  std::vector<std::string> got;
  for (const std::string& line : lines_of(out))
    got.push_back(std::regex_replace(line, latency, "}"));
  return got;
}

std::vector<std::string> run_args(const TempDir& dir, std::vector<std::string> extra) {
  std::vector<std::string> args = {"run",
                                   "--operations",
                                   kDemo + "/operations.jsonl",
                                   "--gate",
                                   "L1:S07:G03:entry",
                                   "--scenario",
                                   kDemo + "/scenario.txt",
                                   "--cache",
                                   dir.file("synced.db")};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
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

TEST_CASE("gate-sim run --operations syncs over HTTPS and prints exactly the demo's records") {
  TempDir dir;
  auto run = run_to_end(gate_sim(run_args(dir, {})));
  REQUIRE(run.exit_code == 0);
  std::vector<std::string> expected = lines_of(read_file(kDemo + "/expected.jsonl"));
  REQUIRE(expected.size() == 22);
  std::vector<std::string> got = records_of(run.out);
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("record " << i + 1);
    CHECK(got[i] == expected[i]);
  }
  // The cache the run synced holds the records file's facts, and came through the feed: its sync
  // state is the published sequence (one per operation).
  CHECK(dump(dir.file("synced.db")) == dump(records_cache(dir)));
  auto w = gate::store::CacheWriter::open(dir.file("synced.db"));
  REQUIRE(w.ok());
  auto state = w->sync_state();
  REQUIRE(state.ok());
  CHECK(state->sequence == 32);
  CHECK(state->last_good_sync == gate::store::parse_iso8601("2022-05-23T04:58:00+08:00"));
}

TEST_CASE("gate-sim run --operations --feed-dir publishes into the directory and syncs from it") {
  TempDir dir;
  auto run = run_to_end(gate_sim(run_args(dir, {"--feed-dir", dir.file("feed")})));
  REQUIRE(run.exit_code == 0);
  CHECK(records_of(run.out) == lines_of(read_file(kDemo + "/expected.jsonl")));
  CHECK(std::filesystem::exists(dir.file("feed/manifest.gfd")));
  CHECK(std::filesystem::exists(dir.file("feed/snapshot-32.gfd")));
  CHECK(dump(dir.file("synced.db")) == dump(records_cache(dir)));

  // The directory now holds a feed signed by a key that is gone: a second run refuses it, as it
  // refuses a cache that exists, before the gate starts.
  std::filesystem::remove(dir.file("synced.db"));
  auto again = run_to_end(gate_sim(run_args(dir, {"--feed-dir", dir.file("feed")})));
  CHECK(again.exit_code == 2);
  CHECK(again.out.empty());
  std::filesystem::remove_all(dir.file("feed"));
  std::ofstream(dir.file("synced.db")) << "";
  auto existing = run_to_end(gate_sim(run_args(dir, {})));
  CHECK(existing.exit_code == 2);
  CHECK(existing.out.empty());
}

TEST_CASE("gate-sim run --operations refuses an operations file the registry refuses") {
  TempDir dir;
  // S8: the demo's first card bound to a second identity.
  std::string ops =
      read_file(kDemo + "/operations.jsonl") +
      R"({"op":"bind","at":"2022-05-22T09:00:00+08:00","credential":"tu:3105170010170907984","identity":"id-z99","media":"card","by":"id-z99"})"
      "\n";
  std::ofstream(dir.file("ops.jsonl")) << ops;
  auto run = run_to_end(gate_sim({"run", "--operations", dir.file("ops.jsonl"), "--gate",
                                  "L1:S07:G03:entry", "--scenario", kDemo + "/scenario.txt"}));
  CHECK(run.exit_code == 1);
  CHECK(run.out.empty());  // the gate never started
}
