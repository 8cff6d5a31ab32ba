// FeedSyncer: keeps the gate's cache up to date from the signed feed over HTTPS, beside the
// decision loop on its own thread, its own TLS connection and its own cache connection
// (CacheWriter); the loop never waits for it. Every file is verified against the pinned feed key
// before anything is applied (feed::sync_once); a rotation the feed makes is persisted so a
// restart pins the new key. One log line per good sync (what was applied); a failed sync logs why,
// unless the sync before it failed the same way (a server down for an hour is one line, not one
// per retry).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "firmware/feed/feed_sync.h"
#include "firmware/store/cache.h"
#include "firmware/sync/feed_key.h"
#include "firmware/sync/heartbeat.h"
#include "firmware/sync/https_client.h"
#include "firmware/sync/https_feed_source.h"
#include "hal/clock.h"
#include "hal/result.h"
#include "hal/time.h"

namespace gate::sync {

struct FeedSyncerConfig {
  HttpsClientConfig https;     // the feed's base URL, CA, names, client certificate, timeouts
  std::string cache_path;      // the gate's cache; a missing one is built aside and renamed in
  std::string staging_dir;     // downloads (created if missing); belongs to the syncer alone
  std::string key_state_path;  // the rotations since the configured key
  feed::Sec1Key configured_key{};
  Duration interval = std::chrono::minutes(5);
};

// A snapshot of the syncer's state, for other threads (status screens, tests).
struct FeedSyncStatus {
  std::optional<Instant> last_attempt;
  std::optional<Instant> last_good_sync;
  std::string last_error;      // the last failed sync's reason; empty after a good sync
  std::uint64_t sequence = 0;  // the cache's feed sequence after the last good sync
  std::uint64_t attempts = 0;
  std::uint64_t good_syncs = 0;
};

// After a failed sync the thread tries again sooner than `interval` (a gate that booted before its
// network came up, a server restarting): kFirstRetry, doubling with each further failure, never
// more than `interval`. A good sync goes back to `interval`.
inline constexpr Duration kFirstRetry = std::chrono::seconds(15);
Duration next_sync_delay(Duration interval, int consecutive_failures);

class FeedSyncer {
 public:
  // Loads the pinned key (the configured one, or the newest rotation the key state proves it led
  // to), creates the staging directory and the HTTPS client. Connects nothing yet.
  static Result<std::unique_ptr<FeedSyncer>> create(FeedSyncerConfig config,
                                                    const hal::Clock& clock);
  ~FeedSyncer();  // stop()
  FeedSyncer(const FeedSyncer&) = delete;
  FeedSyncer& operator=(const FeedSyncer&) = delete;

  // One sync at `now`, on the calling thread (the sync thread calls it; tests call it directly
  // while no thread runs). Logs one line and returns what happened.
  Result<feed::SyncOutcome> run_once(Instant now);

  // Runs run_once(clock.wall_now()) at once and then every `interval` (sooner after a failure:
  // next_sync_delay) on a thread of its own.
  // The wait between syncs ends early only for stop().
  void start();
  // Ends the thread promptly: the wait is woken and a download in progress is interrupted (the
  // partial file stays, to be resumed). Idempotent. Call it while no thread but the syncer's own
  // is in run_once() (a caller's direct run_once would lose the interrupt when the thread ends).
  void stop();

  FeedSyncStatus status() const;
  // Waits (at most `bound`) until at least `attempts` syncs have ended; the status then.
  FeedSyncStatus wait_for_attempts(std::uint64_t attempts, std::chrono::milliseconds bound) const;
  feed::Sec1Key pinned_key() const;

  // Asks for a new cache built from the feed's snapshot: the runtime found the cache damaged,
  // closed it and moved it (and its -wal) away from cache_path. At its next sync, which starts at
  // once (the wait between syncs ends), the syncer drops its own connection to the old file and
  // builds the cache aside from the snapshot as for a missing one, renaming it in after a good
  // sync (the good-sync callback then says a cache exists). Thread-safe.
  void request_rebuild();

  // Called on the syncing thread after each good sync, outside every lock of the syncer and
  // before status() counts the sync (e.g. to tell the decision loop a cache now exists). Set it
  // before start().
  void set_on_good_sync(std::function<void(const feed::SyncOutcome&)> callback) {
    on_good_sync_ = std::move(callback);
  }
  // Called on the syncing thread after every sync, good or not (`ok`), right after the good-sync
  // callback and under the same rules (e.g. for the runtime to journal sync_success /
  // sync_failure on the loop thread). Set it before start().
  void set_on_sync_end(std::function<void(bool ok)> callback) {
    on_sync_end_ = std::move(callback);
  }
  // Beaten by the sync thread around each step (each file fetched, the apply, the rename) and
  // rested in its wait between syncs, for the runtime's watchdog health check. Set it before
  // start(); it must outlive the thread.
  void set_heartbeat(Heartbeat* heartbeat) { heartbeat_ = heartbeat; }

 private:
  FeedSyncer(FeedSyncerConfig config, const hal::Clock& clock)
      : config_(std::move(config)), clock_(clock) {}
  Result<feed::SyncOutcome> sync(Instant now);
  Status open_cache();
  Status finish_new_cache();
  void drop_new_cache();
  Status remember_rotation(const feed::Sec1Key& new_key);
  void thread_main();

  FeedSyncerConfig config_;
  const hal::Clock& clock_;
  std::unique_ptr<HttpsClient> client_;
  std::unique_ptr<HttpsFeedSource> source_;
  KeyChain keys_;
  std::optional<store::CacheWriter> cache_;
  bool building_new_cache_ = false;
  std::string cache_note_;  // for a refusal's log line: "cache unchanged" or where it is now  //
                            // cache_ is the aside file, renamed in after a good sync
  std::function<void(const feed::SyncOutcome&)> on_good_sync_;
  std::function<void(bool)> on_sync_end_;
  Heartbeat* heartbeat_ = nullptr;

  std::mutex run_mutex_;      // one run_once at a time
  mutable std::mutex mutex_;  // status_, stop_requested_, keys_ for readers
  mutable std::condition_variable changed_;
  FeedSyncStatus status_;
  bool stop_requested_ = false;
  bool rebuild_requested_ = false;   // under mutex_: request_rebuild() not yet acted on
  std::string last_failure_logged_;  // the last failed sync's line; empty after a good one
  std::thread thread_;
};

}  // namespace gate::sync
