// The apply pass of sync_once: records streamed from the verified files into one transaction per
// file. A record the decoder refuses in a correctly signed file (only the feed key's holder can
// make one) rolls back that file's transaction; a file changed on disk after its verification is
// caught by the second hash before anything commits.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "firmware/feed/feed_sync.h"
#include "tests/firmware/feed/feed_test_support.h"

using namespace feed_test;
using gate::feed::FileKind;

namespace {}  // namespace

TEST_CASE("feed apply: a bad record in the middle of a snapshot leaves the cache as it was") {
  TestFeed feed;
  HandFeed hand{feed};
  CacheDir d;
  CacheWriter w = open_writer(d.file("c.db"));
  cache_test::apply(w, every_kind());
  cache_test::apply(w, {binding(kBj, "id-old", BindingStatus::active, Media::card, 0)});
  REQUIRE(w.mark_synced(at_s(5), 2).ok());
  const std::size_t n = 5000;
  auto good = payload_of(bindings(0, n));
  hand.put(FileKind::snapshot, 10, with_bad_record(bindings(0, n), n / 2));
  std::string before = dump_cache(w.db());
  gate::feed::DirectoryFeedSource source(hand.feed.path());
  auto r = gate::feed::sync_once(source, w, hand.feed.pub(), hand.feed.now);
  REQUIRE_FALSE(r.ok());
  INFO(r.error().message);
  CHECK(r.error().code == Errc::malformed);
  CHECK(r.error().message.find("snapshot-10.gfd: records: record 2500 ") != std::string::npos);
  CHECK(dump_cache(w.db()) == before);

  // The same snapshot unbroken replaces everything.
  hand.put(FileKind::snapshot, 11, good);
  auto ok = gate::feed::sync_once(source, w, hand.feed.pub(), hand.feed.now);
  REQUIRE(ok.ok());
  CacheDir d2;
  CacheWriter w2 = open_writer(d2.file("c.db"));
  cache_test::apply(w2, bindings(0, n));
  CHECK(dump_cache(w.db(), false) == dump_cache(w2.db(), false));
}

TEST_CASE("feed apply: a bad record in a later delta rolls back that delta only") {
  TestFeed feed;
  HandFeed hand{feed};
  CacheDir d;
  CacheWriter w = open_writer(d.file("c.db"));
  hand.put(FileKind::snapshot, 3, payload_of(bindings(0, 10)));
  hand.put(FileKind::delta, 5, payload_of(bindings(10, 10)));
  hand.put(FileKind::delta, 8, with_bad_record(bindings(20, 10), 9));
  gate::feed::DirectoryFeedSource source(hand.feed.path());
  auto r = gate::feed::sync_once(source, w, hand.feed.pub(), hand.feed.now);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("delta-8.gfd: records: record 9 ") != std::string::npos);
  // The snapshot and delta 5 are whole sequences of their own and stay; nothing of delta 8 does.
  CHECK(w.sync_state()->sequence == 5);
  CacheDir d2;
  CacheWriter w2 = open_writer(d2.file("c.db"));
  cache_test::apply(w2, bindings(0, 20));
  CHECK(dump_cache(w.db(), false) == dump_cache(w2.db(), false));
}

namespace {

// A directory source that, when asked for `trigger`, overwrites `victim`'s byte at `offset` in
// place (same inode, same size): a file changing between its verification and its apply.
class TamperingSource final : public gate::feed::FeedSource {
 public:
  TamperingSource(std::string dir, std::string trigger, std::string victim, long offset)
      : inner_(dir),
        dir_(std::move(dir)),
        trigger_(std::move(trigger)),
        victim_(std::move(victim)),
        offset_(offset) {}
  gate::Result<std::string> fetch(std::string_view name, std::uint64_t max_size) override {
    if (name == trigger_) {
      std::string path = dir_ + "/" + victim_;
      int fd = ::open(path.c_str(), O_RDWR);
      REQUIRE(fd >= 0);
      off_t at = offset_ >= 0 ? offset_ : ::lseek(fd, 0, SEEK_END) + offset_;
      std::uint8_t b = 0;
      REQUIRE(::pread(fd, &b, 1, at) == 1);
      b ^= 0x01;
      REQUIRE(::pwrite(fd, &b, 1, at) == 1);
      ::close(fd);
    }
    return inner_.fetch(name, max_size);
  }

 private:
  gate::feed::DirectoryFeedSource inner_;
  std::string dir_, trigger_, victim_;
  long offset_;
};

}  // namespace

TEST_CASE("feed apply: a snapshot changed on disk after its verification is not applied") {
  TestFeed feed;
  HandFeed hand{feed};
  hand.put(FileKind::snapshot, 3, payload_of(bindings(0, 100)));
  hand.put(FileKind::delta, 5, payload_of(bindings(100, 10)));
  CacheDir d;
  CacheWriter w = open_writer(d.file("c.db"));
  std::string before = dump_cache(w.db());
  // A flipped bit in the signature: every record still decodes, only the second hash can tell.
  TamperingSource source(hand.feed.path(), "delta-5.gfd", "snapshot-3.gfd", -1);
  auto r = gate::feed::sync_once(source, w, hand.feed.pub(), hand.feed.now);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "snapshot-3.gfd: sha256: the file changed after it was verified");
  CHECK(dump_cache(w.db()) == before);
}

TEST_CASE("cache update: rolled back unless committed, and closed once committed") {
  CacheDir d;
  CacheWriter w = open_writer(d.file("c.db"));
  cache_test::apply(w, every_kind());
  std::string before = dump_cache(w.db());
  {
    auto u = w.begin_replace(at_s(1), 7);
    REQUIRE(u.ok());
    REQUIRE(u->add(bindings(0, 1)[0]).ok());
    // A second transaction cannot start while one is open.
    CHECK_FALSE(w.begin_apply(at_s(1), 8).ok());
  }
  CHECK(dump_cache(w.db()) == before);
  auto u = w.begin_apply(at_s(2), 9);
  REQUIRE(u.ok());
  REQUIRE(u->add(bindings(0, 1)[0]).ok());
  REQUIRE(u->commit().ok());
  CHECK(u->commit().error().code == Errc::invalid_argument);
  CHECK(u->add(bindings(1, 1)[0]).error().code == Errc::invalid_argument);
  CHECK(w.sync_state()->sequence == 9);
  CHECK(dump_cache(w.db()) != before);
}
