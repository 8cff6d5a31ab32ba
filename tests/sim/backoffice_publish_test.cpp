// The publisher reads the registry through one read transaction (Registry::begin_read): an
// `apply` committed after the read began is neither in the snapshot nor past its sequence, and
// the next publish carries it as a delta. Checked through the feed a gate syncs.
#include <catch2/catch.hpp>
#include <sstream>

#include "firmware/feed/feed_sync.h"
#include "sim/backoffice/feed_publisher.h"
#include "sim/backoffice/registry.h"
#include "tests/firmware/feed/feed_test_support.h"
#include "tests/support/temp_dir.h"

using gate::backoffice::parse_operations;
using gate::backoffice::Registry;
using gate::test::TempDir;

namespace {

const std::string kAt = "2022-05-20T09:00:00+08:00";

std::string bind_ops(int from, int n) {
  std::string out;
  for (int i = from; i < from + n; ++i) {
    std::string cred = "tu:31051700000000" + std::to_string(10000 + i);
    std::string id = "id-" + std::to_string(i);
    out += R"({"op":"bind","at":")" + kAt + R"(","credential":")" + cred + R"(","identity":")" +
           id + R"(","media":"card","by":")" + id + "\"}\n";
  }
  return out;
}

std::uint64_t apply_ops(Registry& reg, const std::string& text) {
  std::istringstream in(text);
  auto ops = parse_operations(in);
  REQUIRE(ops.ok());
  auto seq = reg.apply(*ops);
  REQUIRE(seq.ok());
  return *seq;
}

// The record tables of a cache built from `records` (JSON lines).
std::string cache_of(const std::string& records) {
  gate::test::TempDir d;
  std::istringstream in(records);
  auto changes = gate::store::parse_records(in);
  REQUIRE(changes.ok());
  auto w = gate::store::CacheWriter::open(d.file("c.db"));
  REQUIRE(w.ok());
  REQUIRE(w->apply(*changes).ok());
  return feed_test::dump_cache(w->db(), false);
}

}  // namespace

TEST_CASE("publish: an apply committed during a publish's read is not in it, but in the next") {
  TempDir dir;
  feed_test::TestFeed feed;
  auto publisher = Registry::open(dir.file("reg.db"));
  auto writer = Registry::open(dir.file("reg.db"));  // a concurrent `gate-backoffice apply`
  REQUIRE(publisher.ok());
  REQUIRE(writer.ok());
  apply_ops(*writer, bind_ops(0, 50));
  const std::string state_before = *writer->records();

  gate::backoffice::PublishRequest req;
  req.feed_dir = feed.path();
  req.now = feed.now;
  std::uint64_t published_seq = 0;
  {
    auto reading = publisher->begin_read();
    REQUIRE(reading.ok());
    CHECK(reading->sequence() == 50);
    // Commits between the publisher reading the sequence and reading the records.
    CHECK(apply_ops(*writer, bind_ops(50, 20)) == 70);
    auto done = gate::backoffice::publish(req, *reading, feed.key, feed.rng);
    REQUIRE(done.ok());
    published_seq = done->sequence;
  }
  CHECK(published_seq == 50);

  feed_test::CacheDir cache_dir;
  auto cache = gate::store::CacheWriter::open(cache_dir.file("cache.db"));
  REQUIRE(cache.ok());
  gate::feed::DirectoryFeedSource source(feed.path());
  auto synced = gate::feed::sync_once(source, *cache, feed.pub(), feed.now);
  REQUIRE(synced.ok());
  CHECK(synced->sequence_after == 50);
  CHECK(feed_test::dump_cache(cache->db(), false) == cache_of(state_before));

  // The next publish sees the later apply and carries it as a delta after 50.
  {
    auto reading = publisher->begin_read();
    REQUIRE(reading.ok());
    auto done = gate::backoffice::publish(req, *reading, feed.key, feed.rng);
    REQUIRE(done.ok());
    CHECK(done->file == "delta-70.gfd");
  }
  synced = gate::feed::sync_once(source, *cache, feed.pub(), feed.now);
  REQUIRE(synced.ok());
  CHECK(synced->deltas_applied == 1);
  CHECK(feed_test::dump_cache(cache->db(), false) == cache_of(*writer->records()));
}
