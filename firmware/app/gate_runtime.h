// GateRuntime: the firmware half of a composition root, shared by the board program and the
// simulator. Given the devices a root picked, it opens the journal and the cache, rebuilds the
// anti-passback memory from the journal and starts the main loop. The roots differ only in their
// devices and in how they drive run_once(). With `feed_url` set it also runs the feed syncer on a
// thread of its own, with `collector_url` the journal uploader on another; the loop never waits
// for either. The syncer never touches the journal: each sync's outcome is handed over under a
// mutex and journaled (sync_success / sync_failure) by the loop thread in run_once(). With
// journal_max_size set, run_once() also keeps the journal's disk budget (control::JournalBudget)
// after appends, pruning acknowledged rows on the loop's connection when it is reached.
//
// The watchdog: the loop kicks only while the runtime is healthy (LoopConfig::healthy, set here):
// the iteration completed, and neither worker thread is stalled (sync::Heartbeat: on one step of
// its work, without a beat, for longer than stall_bound()). A stalled thread is logged once
// ("feed syncer stalled for 300s: watchdog will reset") and the kicks stop, so the board resets;
// a thread going again is logged once too and the kicks resume. A journal that cannot take
// records is NOT unhealthy: that is a defined state (out of service), which a reset would not
// cure.
//
// The cache is watched on the loop thread (keep_cache): a cache whose reads fail (the validator's
// failing streak, or the sync-state read the watch makes every kCacheRecheck), or whose path no
// longer names the file the gate reads (moved, replaced, turned into something else), is closed
// and the gate goes out of service (decisions.md row 2). Every
// kCacheRecheck it is reopened and checked (store::CacheReader::check); when it reads again it is
// given back to the validator and the gate is in service. A cache SQLite calls damaged is not
// retried: it is moved aside (kept for diagnosis, never deleted) and the feed syncer is asked for
// a new one from the snapshot, which the loop adopts when the syncer says it exists.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "firmware/app/config.h"
#include "firmware/gate/journal_budget.h"
#include "firmware/gate/main_loop.h"
#include "firmware/gate/validator.h"
#include "firmware/store/cache.h"
#include "firmware/store/durable_replay_guard.h"
#include "firmware/store/journal.h"
#include "firmware/store/passback_memory.h"
#include "firmware/sync/feed_syncer.h"
#include "firmware/sync/journal_uploader.h"
#include "hal/result.h"

namespace gate::app {

class GateRuntime {
 public:
  // Opens the journal (required: a gate that cannot record does not run) with the ride-code
  // replay memory in its file, and the cache (missing or unusable: the gate starts out of
  // service, logged, as decisions.md row 2 wants), loads the anti-passback memory from the
  // journal's last day and starts the loop at `now` (relay closed, a start-up event journaled).
  // `devices` must outlive the runtime.
  // `thread_clock` times the worker threads' heartbeats (null: devices.clock); the simulator
  // passes real time, the one its threads' I/O runs on.
  static Result<std::unique_ptr<GateRuntime>> start(const Config& config, control::Devices devices,
                                                    control::LoopConfig loop_config, Instant now,
                                                    control::EntryObserver observer = {},
                                                    const hal::Clock* thread_clock = nullptr);

  ~GateRuntime();  // stops the uploader and the feed syncer first
  GateRuntime(const GateRuntime&) = delete;
  GateRuntime& operator=(const GateRuntime&) = delete;

  // One loop iteration, on the loop thread. The cache watch runs first (on this thread: the
  // reader's connection belongs to it): when the gate has no usable cache and the syncer has since
  // made one, or a recheck finds the cache readable again, it is opened and given to the
  // validator, so the gate returns to service without a restart.
  Status run_once();

  control::MainLoop& loop() { return *loop_; }
  store::Journal& journal() { return *journal_; }
  control::JournalSpace journal_space() const {
    return budget_ ? budget_->state() : control::JournalSpace::ok;
  }
  bool cache_usable() const { return cache_.has_value(); }
  const std::string& cache_path() const { return cache_path_; }
  // How often a cache that cannot be used is tried again, and how often a cache in use is checked
  // to still be the file at cache_path and to read (one stat(), one one-row read).
  static constexpr Duration kCacheRecheck = std::chrono::seconds(5);
  // The feed syncer, or null without feed_url (or when it could not be set up: logged).
  sync::FeedSyncer* syncer() { return syncer_.get(); }
  // The journal uploader, or null without collector_url (or when it could not be set up: logged).
  sync::JournalUploader* uploader() { return uploader_.get(); }

 private:
  GateRuntime() = default;
  void start_syncer(const Config& config, const hal::Clock& clock);
  void start_uploader(const Config& config, const hal::Clock& clock);
  // The cache watch (see the header comment), at the top of run_once().
  void keep_cache();
  void drop_cache(const std::string& why, bool damaged);
  void reopen_cache(bool synced);
  void set_aside_damaged_cache();
  bool cache_file_moved() const;
  void use_cache(store::CacheReader reader);
  Status journal_sync_outcomes();
  void make_budget(const control::JournalBudgetConfig& config);
  sync::Heartbeat* watch_thread(std::string name, Duration longest_step);
  bool threads_healthy();

  // A worker thread the watchdog check follows; `stalled` is what was last logged.
  struct WatchedThread {
    std::string name;
    std::unique_ptr<sync::Heartbeat> heartbeat;
    bool stalled = false;
  };

  std::optional<store::CacheReader> cache_;
  std::optional<store::Journal> journal_;
  std::optional<store::DurableReplayGuard> replay_;
  store::PassbackMemory passback_;
  std::unique_ptr<control::Validator> validator_;
  std::unique_ptr<control::MainLoop> loop_;
  std::string cache_path_;
  const hal::Clock* clock_ = nullptr;
  std::atomic<bool> cache_made_{false};          // set by the sync thread, read by the loop thread
  std::optional<MonoInstant> next_cache_check_;  // the cache watch's next look
  std::string cache_problem_logged_;  // the reopen failure last logged (one line per change)
  std::uint64_t cache_dev_ = 0, cache_ino_ = 0;  // the file cache_ reads
  // Sync outcomes (true: good) not yet journaled: the sync thread appends, the loop thread takes.
  std::mutex sync_outcomes_mutex_;
  std::vector<bool> sync_outcomes_;
  std::optional<control::JournalBudget> budget_;
  bool appended_ = false;  // the journal took a record since the budget last looked
  const hal::Clock* thread_clock_ = nullptr;
  Duration watchdog_timeout_{};
  // Declared before the threads: their heartbeats outlive them.
  std::vector<WatchedThread> watched_;
  std::unique_ptr<sync::FeedSyncer> syncer_;  // destroyed (stopped) before the loop and journal
  std::unique_ptr<sync::JournalUploader> uploader_;  // last: destroyed (stopped) first
};

// How long a worker thread may be on one step without a beat before it counts as stalled: the
// longest that step may take by its own bounds (`longest_step`: an HTTPS request's whole-request
// timeout, plus what follows it) and a margin for a loaded board, and never less than three
// watchdog timeouts, so the threads are never judged on a finer scale than the loop itself.
Duration stall_bound(Duration watchdog_timeout, Duration longest_step);

// The journal uploader `config` asks for (collector_* and upload_* keys), over HTTPS, on its own
// connection to the journal; not started. For the runtime and `gate-sim upload`.
Result<std::unique_ptr<sync::JournalUploader>> make_journal_uploader(const Config& config,
                                                                     const hal::Clock& clock);

}  // namespace gate::app
