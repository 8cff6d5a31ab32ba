// The feed syncer against a real nginx over TLS (host builds only): a good sync that the gate's
// read-only cache connection then decides by; every refusal and transport failure leaving the
// cache exactly as it was with one log line, and the next good sync succeeding; a download cut by
// a killed server resumed with Range; key rotation surviving a restart; mutual TLS; the thread.
#include "firmware/sync/feed_syncer.h"

#include <signal.h>

#include <filesystem>
#include <thread>

#include "tests/firmware/sync/feed_sync_site.h"

using namespace feed_site;
using namespace std::chrono;
using gate::sync::FeedSyncer;

namespace {

// Waits (bounded: a hang guard) until the staged file `path` holds at least `bytes`.
bool wait_for_size(const std::string& path, std::uintmax_t bytes, milliseconds bound) {
  const auto until = steady_clock::now() + bound;
  while (steady_clock::now() < until) {
    std::error_code ec;
    if (std::filesystem::file_size(path, ec) >= bytes && !ec) return true;
    std::this_thread::sleep_for(milliseconds(2));  // watching a transfer progress
  }
  return false;
}

bool staging_empty(const Site& site) {
  return std::filesystem::is_empty(site.staging);
}

// A synced cache at 3 (snapshot) and the delta at 5 published, not yet synced.
struct Synced {
  Site site;
  AllLogs logs;
  std::unique_ptr<FeedSyncer> syncer = site.syncer(site.config());
  Synced() {
    site.feed.publish(3, kState, "", true);
    REQUIRE(syncer->run_once(site.feed.now).ok());
    site.feed.publish(5, "", kDelta);
    logs.take();
  }
  // Runs a sync that must fail, leaving the cache exactly as it was; returns its one log line.
  std::string refused_once(FeedSyncer& s, gate::Instant now) {
    const std::string before = dump_cache(site.cache);
    auto r = s.run_once(now);
    REQUIRE_FALSE(r.ok());
    CHECK(dump_cache(site.cache) == before);
    auto lines = logs.take();
    REQUIRE(lines.size() == 1);
    CHECK(s.status().last_error == lines[0].substr(std::string("feed: ").size()));
    return lines[0];
  }
  // The next sync succeeds and brings the delta.
  void next_sync_good(FeedSyncer& s) {
    auto r = s.run_once(site.feed.now);
    INFO((r.ok() ? std::string() : r.error().message));
    REQUIRE(r.ok());
    CHECK(r->sequence_after == 5);
    CHECK(site.binding_status(kTu) == "lost");
    auto lines = logs.take();
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::StartsWith("feed: feed sync: sequence "));
    CHECK(s.status().last_error.empty());
  }
};

}  // namespace

TEST_CASE("FeedSyncer: a feed synced over TLS, then a delta, and the gate's reader decides by it",
          "[feed-syncer]") {
  Site site;
  AllLogs logs;
  site.feed.publish(3, kState, "", true);
  auto syncer = site.syncer(site.config());
  auto first = syncer->run_once(site.feed.now);
  REQUIRE(first.ok());
  CHECK(first->snapshot_applied);
  CHECK(first->sequence_after == 3);
  CHECK(logs.take() == std::vector<std::string>{"feed: feed sync: sequence 0 -> 3, snapshot, "
                                                "0 delta(s)"});
  CHECK(site.binding_status(kTu) == "active");
  CHECK(staging_empty(site));

  site.feed.publish(5, "", kDelta);
  auto second = syncer->run_once(site.feed.now);
  REQUIRE(second.ok());
  CHECK(second->deltas_applied == 1);
  CHECK(logs.take() == std::vector<std::string>{"feed: feed sync: sequence 3 -> 5, 1 delta(s)"});
  CHECK(site.binding_status(kTu) == "lost");
  const auto status = syncer->status();
  CHECK(status.sequence == 5);
  CHECK(status.good_syncs == 2);
  CHECK(status.last_good_sync == site.feed.now);
  auto state = CacheReader::open(site.cache).value().sync_state();
  REQUIRE(state.ok());
  CHECK(state->sequence == 5);
  CHECK(state->last_good_sync == site.feed.now);
}

TEST_CASE("FeedSyncer: a flipped byte in a delta is refused, cache unchanged, then synced",
          "[feed-syncer]") {
  Synced s;
  const auto good = s.site.read("delta-5.gfd");
  auto bad = good;
  bad[bad.size() / 2] ^= 0x01;
  s.site.write("delta-5.gfd", bad);
  CHECK(s.refused_once(*s.syncer, s.site.feed.now) ==
        "feed: feed sync refused: delta-5.gfd: sha256: not the manifest's; cache unchanged");
  s.site.write("delta-5.gfd", good);
  s.next_sync_good(*s.syncer);
}

TEST_CASE("FeedSyncer: a truncated delta is refused, cache unchanged, then synced",
          "[feed-syncer]") {
  Synced s;
  const auto good = s.site.read("delta-5.gfd");
  s.site.write("delta-5.gfd", {good.begin(), good.end() - 10});
  CHECK_THAT(s.refused_once(*s.syncer, s.site.feed.now),
             Catch::StartsWith("feed: feed sync refused: delta-5.gfd: size: ") &&
                 Catch::EndsWith("; cache unchanged"));
  s.site.write("delta-5.gfd", good);
  s.next_sync_good(*s.syncer);
}

TEST_CASE("FeedSyncer: an old manifest served again is a rollback, refused", "[feed-syncer]") {
  Synced s;
  const auto manifest5 = s.site.read("manifest.gfd");
  REQUIRE(s.syncer->run_once(s.site.feed.now).ok());  // the cache at 5
  s.site.feed.publish(8, "",
                      R"({"type":"deny","credential":"bj:0123456789abcdef","note":"x"})"
                      "\n");
  const auto manifest8 = s.site.read("manifest.gfd");
  REQUIRE(s.syncer->run_once(s.site.feed.now).ok());  // the cache at 8
  s.logs.take();
  s.site.write("manifest.gfd", manifest5);
  CHECK_THAT(s.refused_once(*s.syncer, s.site.feed.now),
             Catch::StartsWith("feed: feed sync refused: manifest.gfd: rollback: sequence 5 is "
                               "older than the cache's 8"));
  s.site.write("manifest.gfd", manifest8);
  auto again = s.syncer->run_once(s.site.feed.now);
  REQUIRE(again.ok());
  CHECK(again->sequence_after == 8);
  CHECK(s.logs.take().size() == 1);
}

TEST_CASE("FeedSyncer: an expired manifest is refused, cache unchanged", "[feed-syncer]") {
  Synced s;
  CHECK(s.refused_once(*s.syncer, s.site.feed.now + hours(2)) ==
        "feed: feed sync refused: manifest.gfd: expiry: the feed has expired; cache unchanged");
  s.next_sync_good(*s.syncer);
}

TEST_CASE("FeedSyncer: a manifest signed by another key is refused", "[feed-syncer]") {
  Synced s;
  const auto good = s.site.read("manifest.gfd");
  TestFeed other;
  auto m = gate::backoffice::read_published_manifest(s.site.feed.path()).value();
  auto forged = gate::backoffice::make_manifest_file(m, other.key, nullptr, other.rng);
  REQUIRE(forged.ok());
  s.site.write("manifest.gfd", {forged->begin(), forged->end()});
  CHECK(s.refused_once(*s.syncer, s.site.feed.now) ==
        "feed: feed sync refused: manifest.gfd: signature: not signed by the feed key; cache "
        "unchanged");
  s.site.write("manifest.gfd", good);
  s.next_sync_good(*s.syncer);
}

TEST_CASE("FeedSyncer: a server the configured CA did not sign is a failure, retried",
          "[feed-syncer]") {
  Synced s;
  auto config = s.site.config();
  config.https.ca_file = s.site.pki.other_ca_cert;
  auto wrong_ca = s.site.syncer(config);
  const std::string line = s.refused_once(*wrong_ca, s.site.feed.now);
  CHECK_THAT(line, Catch::StartsWith("feed: feed sync failed: manifest.gfd: ") &&
                       Catch::Contains("certificate verification failed") &&
                       Catch::EndsWith("; will retry"));
  wrong_ca.reset();
  s.next_sync_good(*s.syncer);  // the right CA configured again
}

TEST_CASE("FeedSyncer: nginx killed mid-snapshot: cache unchanged, the next sync resumes it",
          "[feed-syncer]") {
  Synced s;
  // A snapshot of about 2 MB that only a snapshot can bring (the manifest lists no delta the
  // cache is at); nginx sends it at 1 MB/s under /slow/.
  s.site.feed.publish(9, big_state(80'000), "", true);
  auto syncer = s.site.syncer(s.site.config("slow/"));
  const std::string staged = s.site.staging + "/snapshot-9.gfd";
  const std::string before = dump_cache(s.site.cache);
  gate::Result<gate::feed::SyncOutcome> cut = gate::make_error(gate::Errc::io_error, "not run");
  std::thread syncing([&] { cut = syncer->run_once(s.site.feed.now); });
  const bool started = wait_for_size(staged, 256u << 10, seconds(20));
  s.site.nginx.stop(SIGKILL);
  syncing.join();
  REQUIRE(started);
  REQUIRE_FALSE(cut.ok());
  CHECK(dump_cache(s.site.cache) == before);
  auto lines = s.logs.take();
  REQUIRE(lines.size() == 1);
  CHECK_THAT(lines[0], Catch::StartsWith("feed: feed sync failed: snapshot-9.gfd: ") &&
                           Catch::Contains("closed mid-body") && Catch::EndsWith("; will retry"));
  const auto partial = std::filesystem::file_size(staged);  // kept to be resumed
  CHECK(partial >= (256u << 10));

  s.site.nginx.start();
  auto resumed = syncer->run_once(s.site.feed.now);
  INFO((resumed.ok() ? std::string() : resumed.error().message));
  REQUIRE(resumed.ok());
  CHECK(resumed->snapshot_applied);
  CHECK(resumed->sequence_after == 9);
  CHECK_THAT(s.site.nginx.access_log(), Catch::Contains(" 206 /slow/snapshot-9.gfd"));
  CHECK(s.site.binding_status("qr:100000080000") == "active");
  CHECK(s.site.binding_status(kTu) == "active");
  CHECK(s.logs.take() ==
        std::vector<std::string>{"feed: feed sync: sequence 3 -> 9, snapshot, 0 delta(s)"});
  CHECK(staging_empty(s.site));
}

TEST_CASE("FeedSyncer: a key rotation is persisted, and a restarted syncer pins the new key",
          "[feed-syncer]") {
  Synced s;
  const Sec1Key configured = s.site.feed.pub();
  auto old_key = std::move(s.site.feed.key);
  s.site.feed.key = gate::sim::P256KeyPair::generate(s.site.feed.rng).value();
  s.site.feed.publish(6, "", kDelta, false, &old_key);  // rotates to the new key
  auto rotated = s.syncer->run_once(s.site.feed.now);
  REQUIRE(rotated.ok());
  REQUIRE(rotated->new_pinned_key);
  CHECK(s.syncer->pinned_key() == s.site.feed.pub());
  CHECK(s.logs.take() == std::vector<std::string>{"feed: feed sync: sequence 3 -> 6, 2 delta(s), "
                                                  "feed key rotated"});
  s.syncer.reset();

  // The next manifest no longer carries the rotation: only the new key verifies it.
  s.site.feed.publish(8, "",
                      R"({"type":"deny","credential":"bj:0123456789abcdef","note":"x"})"
                      "\n");
  auto config = s.site.config();
  config.configured_key = configured;  // the configuration still names the old key
  auto restarted = s.site.syncer(config);
  CHECK(restarted->pinned_key() == s.site.feed.pub());
  CHECK(s.logs.take() == std::vector<std::string>{
                             "feed: pinning the feed key rotated 1 time(s) since the configured "
                             "one (" +
                             s.site.dir.file("feed-key") + ")"});
  auto r = restarted->run_once(s.site.feed.now);
  REQUIRE(r.ok());
  CHECK(r->sequence_after == 8);

  // Without the key state the configured key alone refuses the new key's manifest.
  config.key_state_path = s.site.dir.file("absent-key-state");
  auto forgetful = s.site.syncer(config);
  CHECK(forgetful->pinned_key() == configured);
  s.logs.take();
  CHECK_THAT(s.refused_once(*forgetful, s.site.feed.now),
             Catch::Contains("manifest.gfd: signature"));

  // A key state that does not lead from the configured key is ignored, with a warning.
  auto other_origin = s.site.config();
  other_origin.configured_key = s.site.feed.pub();
  auto reconfigured = s.site.syncer(other_origin);
  CHECK(reconfigured->pinned_key() == s.site.feed.pub());
  auto warned = s.logs.take();
  REQUIRE(warned.size() == 1);
  CHECK_THAT(warned[0], Catch::Contains("starts from another feed key; pinning the configured"));
}

TEST_CASE("FeedSyncer: mutual TLS with the gate's client certificate", "[feed-syncer]") {
  Site site;
  AllLogs logs;
  site.feed.publish(3, kState, "", true);
  auto config = site.config("", site.nginx.mtls_port());
  config.https.client_cert_file = site.pki.client_cert;
  config.https.client_key_file = site.pki.client_key;
  auto r = site.syncer(config)->run_once(site.feed.now);
  REQUIRE(r.ok());
  CHECK(r->sequence_after == 3);

  auto without = site.syncer(site.config("", site.nginx.mtls_port()));
  auto refused = without->run_once(site.feed.now);
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(without->status().last_error, Catch::Contains("HTTP status 400"));
}

TEST_CASE("FeedSyncer: the thread syncs at start, and stop() ends a download in progress",
          "[feed-syncer]") {
  Synced s;  // one sync made by run_once
  s.syncer->start();
  auto status = s.syncer->wait_for_attempts(2, seconds(30));
  s.syncer->stop();
  REQUIRE(status.attempts == 2);
  CHECK(status.good_syncs == 2);
  CHECK(status.sequence == 5);
  CHECK(s.site.binding_status(kTu) == "lost");
  s.logs.take();

  // A 2 MB snapshot at 1 MB/s: stop() comes while it flows in.
  s.site.feed.publish(9, big_state(80'000), "", true);
  auto slow = s.site.syncer(s.site.config("slow/"));
  const std::string before = dump_cache(s.site.cache);
  slow->start();
  REQUIRE(wait_for_size(s.site.staging + "/snapshot-9.gfd", 128u << 10, seconds(20)));
  const auto asked = steady_clock::now();
  slow->stop();
  CHECK(steady_clock::now() - asked < seconds(5));  // a hang guard, not a timing goal
  CHECK(dump_cache(s.site.cache) == before);
  CHECK_THAT(slow->status().last_error,
             Catch::Contains("snapshot-9.gfd") && Catch::Contains("interrupted"));
  CHECK(s.logs.take().size() == 1);

  // Started again, it resumes the download and finishes the sync.
  slow->start();
  status = slow->wait_for_attempts(2, seconds(30));
  slow->stop();
  CHECK(status.good_syncs == 1);
  CHECK(status.sequence == 9);
  CHECK_THAT(s.site.nginx.access_log(), Catch::Contains(" 206 /slow/snapshot-9.gfd"));
}

TEST_CASE("FeedSyncer: a bad record in a signed delta keeps the deltas before it, and says so",
          "[feed-syncer]") {
  Site site;
  AllLogs logs;
  HandFeed hand{site.feed};
  hand.put(gate::feed::FileKind::snapshot, 3, payload_of(bindings(0, 10)));
  auto syncer = site.syncer(site.config());
  REQUIRE(syncer->run_once(site.feed.now).ok());
  hand.put(gate::feed::FileKind::delta, 5, payload_of(bindings(10, 10)));
  hand.put(gate::feed::FileKind::delta, 8, with_bad_record(bindings(20, 10), 9));
  logs.take();
  REQUIRE_FALSE(syncer->run_once(site.feed.now).ok());
  auto lines = logs.take();
  REQUIRE(lines.size() == 1);
  CHECK_THAT(lines[0], Catch::StartsWith("feed: feed sync refused: delta-8.gfd: records: ") &&
                           Catch::EndsWith("; cache now at sequence 5"));
  CHECK(site.binding_status("qr:100019") == "active");  // delta 5's last binding
  CHECK(site.binding_status("qr:100020") == "none");    // nothing of delta 8
}
