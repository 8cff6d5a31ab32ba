// The verifying applier against a published feed directory: the happy paths (snapshot, deltas,
// fallback, rotation) and every tamper case, which must leave the cache's content unchanged and
// name the file and the check.
#include "firmware/feed/feed_sync.h"

#include <filesystem>
#include <fstream>

#include "tests/firmware/feed/feed_test_support.h"

using namespace feed_test;
using gate::feed::DirectoryFeedSource;
using gate::feed::sync_once;
using gate::feed::SyncOutcome;

namespace {

const std::string kState1 =
    R"({"type":"binding","credential":"tu:3105170010170907984","identity":"id-a","media":"card","status":"active","since":"2022-05-17T09:12:00+08:00"}
{"type":"health","identity":"id-a","colour":"green","popup":false,"last_negative_test":null,"as_of":"2022-05-23T04:00:00+08:00"}
{"type":"policy","id":"p1","effective_from":"2022-05-23T05:00:00+08:00","scope":{"lines":["L1"],"stations":[]},"health_mode":"enforce"}
{"type":"deny","credential":"bj:0123456789abcdef","note":"x"}
)";
const std::string kDelta5 =
    R"({"type":"binding","credential":"tu:3105170010170907984","identity":"id-a","media":"card","status":"lost","since":"2022-05-18T09:12:00+08:00"}
{"type":"delete","kind":"deny","credential":"bj:0123456789abcdef"}
{"type":"binding","credential":"m1:0a1b2c3d","identity":"id-b","media":"m1","status":"active","since":"2022-05-18T09:12:00+08:00"}
)";
const std::string kDelta8 =
    R"({"type":"delete","kind":"policy","id":"p1"}
{"type":"health","identity":"id-b","colour":"yellow","popup":true,"last_negative_test":null,"as_of":"2022-05-23T04:00:00+08:00"}
)";

std::vector<CacheChange> parsed(const std::string& jsonl) {
  std::istringstream in(jsonl);
  auto c = gate::store::parse_records(in);
  REQUIRE(c.ok());
  return *c;
}

// A feed with a snapshot at 3 and deltas at 5 and 8, and a cache path.
struct Fixture {
  TestFeed feed;
  CacheDir cache_dir;
  std::string cache = cache_dir.file("cache.db");
  CacheWriter writer = open_writer(cache);

  void publish_all() {
    feed.publish(3, kState1, "", true);
    feed.publish(5, "", kDelta5);
    feed.publish(8, "", kDelta8);
  }
  gate::Result<SyncOutcome> sync(Instant now, const Sec1Key* key = nullptr) {
    DirectoryFeedSource source(feed.path());
    return sync_once(source, writer, key ? *key : feed.pub(), now);
  }
  std::string feed_file(const std::string& name) const { return feed.dir.file(name); }
  std::vector<char> read(const std::string& name) const {
    std::ifstream in(feed_file(name), std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  void write(const std::string& name, const std::vector<char>& bytes) const {
    std::ofstream out(feed_file(name), std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
};

// The expected content after everything: the records applied one by one to a fresh cache.
std::string expected_final(const std::vector<std::string>& parts) {
  CacheDir d;
  CacheWriter w = open_writer(d.file("c.db"));
  for (const auto& p : parts) cache_test::apply(w, parsed(p));
  return dump_cache(w.db(), false);
}

// Checks that the sync is refused naming `file` and `check`, with the cache content unchanged.
void check_refused(Fixture& f, Instant now, const std::string& file, const std::string& check) {
  std::string before = dump_cache(f.writer.db());
  auto r = f.sync(now);
  REQUIRE_FALSE(r.ok());
  INFO(r.error().message);
  CHECK(r.error().message.find(file) != std::string::npos);
  CHECK(r.error().message.find(check) != std::string::npos);
  CHECK(dump_cache(f.writer.db()) == before);
}

}  // namespace

TEST_CASE("feed sync: a new cache takes the snapshot then the deltas") {
  Fixture f;
  f.publish_all();
  auto r = f.sync(f.feed.now);
  REQUIRE(r.ok());
  CHECK(r->snapshot_applied);
  CHECK(r->deltas_applied == 2);
  CHECK(r->sequence_after == 8);
  CHECK(dump_cache(f.writer.db(), false) == expected_final({kState1, kDelta5, kDelta8}));
  auto state = f.writer.sync_state();
  REQUIRE(state.ok());
  CHECK(state->sequence == 8);
  CHECK(state->last_good_sync == f.feed.now);
}

TEST_CASE("feed sync: a delta chain applied in order, one sync per delta") {
  Fixture f;
  f.feed.publish(3, kState1, "", true);
  REQUIRE(f.sync(f.feed.now).ok());
  f.feed.publish(5, "", kDelta5);
  auto r5 = f.sync(f.feed.now);
  REQUIRE(r5.ok());
  CHECK_FALSE(r5->snapshot_applied);
  CHECK(r5->deltas_applied == 1);
  f.feed.publish(8, "", kDelta8);
  REQUIRE(f.sync(f.feed.now).ok());
  CHECK(dump_cache(f.writer.db(), false) == expected_final({kState1, kDelta5, kDelta8}));
  auto again = f.sync(f.feed.now);
  REQUIRE(again.ok());
  CHECK(again->deltas_applied == 0);
  CHECK(again->sequence_after == 8);
}

TEST_CASE("feed sync: too far behind falls back to the snapshot, which replaces everything") {
  Fixture f;
  cache_test::apply(f.writer, {binding(kQr, "stale-id", BindingStatus::active, Media::qr, 0)});
  REQUIRE(f.writer.mark_synced(at_s(0), 2).ok());  // a sequence this feed does not list
  f.publish_all();
  auto r = f.sync(f.feed.now);
  REQUIRE(r.ok());
  CHECK(r->snapshot_applied);
  CHECK(dump_cache(f.writer.db(), false) == expected_final({kState1, kDelta5, kDelta8}));
}

TEST_CASE("feed sync: a flipped byte in a delta is refused by its SHA-256") {
  Fixture f;
  f.publish_all();
  auto bytes = f.read("delta-5.gfd");
  bytes[bytes.size() / 2] ^= 0x01;
  f.write("delta-5.gfd", bytes);
  check_refused(f, f.feed.now, "delta-5.gfd", "sha256");
}

TEST_CASE("feed sync: a truncated file is refused by its size") {
  Fixture f;
  f.publish_all();
  auto bytes = f.read("delta-8.gfd");
  bytes.resize(bytes.size() - 10);
  f.write("delta-8.gfd", bytes);
  check_refused(f, f.feed.now, "delta-8.gfd", "size");
}

TEST_CASE("feed sync: a missing file is refused") {
  Fixture f;
  f.publish_all();
  std::filesystem::remove(f.feed_file("delta-8.gfd"));
  check_refused(f, f.feed.now, "delta-8.gfd", "missing");
  std::filesystem::remove(f.feed_file("manifest.gfd"));
  check_refused(f, f.feed.now, "manifest.gfd", "missing");
}

TEST_CASE("feed sync: an old manifest served again is a rollback") {
  Fixture f;
  f.feed.publish(3, kState1, "", true);
  f.feed.publish(5, "", kDelta5);
  auto old_manifest = f.read("manifest.gfd");
  f.feed.publish(8, "", kDelta8);
  REQUIRE(f.sync(f.feed.now).ok());
  f.write("manifest.gfd", old_manifest);
  check_refused(f, f.feed.now, "manifest.gfd", "rollback");
}

TEST_CASE("feed sync: an expired manifest (a frozen feed) is refused") {
  Fixture f;
  f.publish_all();
  check_refused(f, f.feed.now + std::chrono::hours(2), "manifest.gfd", "expiry");
}

TEST_CASE("feed sync: a manifest signed by another key is refused") {
  Fixture f;
  f.publish_all();
  TestFeed other;
  Sec1Key wrong = other.pub();
  std::string before = dump_cache(f.writer.db());
  auto r = f.sync(f.feed.now, &wrong);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("manifest.gfd: signature") != std::string::npos);
  CHECK(dump_cache(f.writer.db()) == before);
}

TEST_CASE("feed sync: a delta not chained to its predecessor is refused") {
  Fixture f;
  f.feed.publish(3, kState1, "", true);
  REQUIRE(f.sync(f.feed.now).ok());
  f.feed.publish(5, "", kDelta5);
  // Re-sign delta 8 over a wrong predecessor, and list it in a correctly signed manifest.
  gate::core::Sha256Digest wrong{};
  auto payload = gate::feed::encode_records(parsed(kDelta8)).value();
  auto file = gate::backoffice::make_feed_file(gate::feed::FileKind::delta, 8, &wrong, payload,
                                               f.feed.key, f.feed.rng);
  REQUIRE(file.ok());
  REQUIRE(gate::backoffice::write_file_atomically(f.feed.path(), "delta-8.gfd", *file).ok());
  auto m = gate::backoffice::read_published_manifest(f.feed.path()).value();
  m.deltas.push_back({8, "delta-8.gfd", file->size(), *gate::core::sha256(*file)});
  m.latest_sequence = 8;
  auto mf = gate::backoffice::make_manifest_file(m, f.feed.key, nullptr, f.feed.rng);
  REQUIRE(gate::backoffice::write_file_atomically(f.feed.path(), "manifest.gfd", *mf).ok());
  check_refused(f, f.feed.now, "delta-8.gfd", "chain");
}

TEST_CASE("feed sync: a delta whose sequence is not the manifest's is refused") {
  Fixture f;
  f.publish_all();
  // Serve delta 5 under delta 8's name, with a manifest naming it (size and hash match).
  auto m = gate::backoffice::read_published_manifest(f.feed.path()).value();
  auto five = f.read("delta-5.gfd");
  f.write("delta-8.gfd", five);
  m.deltas[1].size = m.deltas[0].size;
  m.deltas[1].sha256 = m.deltas[0].sha256;
  auto mf = gate::backoffice::make_manifest_file(m, f.feed.key, nullptr, f.feed.rng);
  REQUIRE(gate::backoffice::write_file_atomically(f.feed.path(), "manifest.gfd", *mf).ok());
  check_refused(f, f.feed.now, "delta-8.gfd", "sequence");
}

TEST_CASE("feed sync: a key rotation signed by the pinned key is accepted and reported") {
  Fixture f;
  f.feed.publish(3, kState1, "", true);
  Sec1Key old_pub = f.feed.pub();
  REQUIRE(f.sync(f.feed.now).ok());
  auto old_key = std::move(f.feed.key);
  f.feed.key = gate::sim::P256KeyPair::generate(f.feed.rng).value();
  f.feed.publish(5, "", kDelta5, false, &old_key);
  auto r = f.sync(f.feed.now, &old_pub);
  REQUIRE(r.ok());
  REQUIRE(r->new_pinned_key.has_value());
  CHECK(*r->new_pinned_key == f.feed.pub());
  CHECK(r->deltas_applied == 1);
}

TEST_CASE("feed sync: a key rotation not signed by the pinned key is refused") {
  Fixture f;
  f.feed.publish(3, kState1, "", true);
  Sec1Key pinned = f.feed.pub();
  REQUIRE(f.sync(f.feed.now).ok());
  TestFeed attacker;
  f.feed.key = gate::sim::P256KeyPair::generate(f.feed.rng).value();
  f.feed.publish(5, "", kDelta5, false, &attacker.key);
  std::string before = dump_cache(f.writer.db());
  auto r = f.sync(f.feed.now, &pinned);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("manifest.gfd: key rotation") != std::string::npos);
  CHECK(dump_cache(f.writer.db()) == before);
}

TEST_CASE("cache writer: replace_all empties every table and refills it in one transaction") {
  CacheDir d;
  CacheWriter w = open_writer(d.file("c.db"));
  cache_test::apply(w, every_kind());
  cache_test::apply(w, {binding(kBj, "id-z", BindingStatus::active, Media::card, 0)});
  std::vector<CacheChange> fresh = {binding(kTu, "id-y", BindingStatus::active, Media::card, 1)};
  REQUIRE(w.replace_all(fresh, at_s(9), 4).ok());
  CacheDir d2;
  CacheWriter w2 = open_writer(d2.file("c.db"));
  cache_test::apply(w2, fresh);
  CHECK(dump_cache(w.db(), false) == dump_cache(w2.db(), false));
  CHECK(w.sync_state()->sequence == 4);
  std::string before = dump_cache(w.db());
  // A refused change (media none) rolls the whole replacement back.
  CHECK_FALSE(
      w.replace_all({binding(kTu, "id", BindingStatus::active, Media::none, 0)}, at_s(10), 5).ok());
  CHECK(dump_cache(w.db()) == before);
}
