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

  // One loop iteration, on the loop thread. When the gate started without a usable cache and the
  // syncer has since made one, it is opened here first (on this thread: the reader's connection
  // belongs to it) and given to the validator, so the gate returns to service without a restart.
  Status run_once();

  control::MainLoop& loop() { return *loop_; }
  store::Journal& journal() { return *journal_; }
  control::JournalSpace journal_space() const {
    return budget_ ? budget_->state() : control::JournalSpace::ok;
  }
  bool cache_usable() const { return cache_.has_value(); }
  // The feed syncer, or null without feed_url (or when it could not be set up: logged).
  sync::FeedSyncer* syncer() { return syncer_.get(); }
  // The journal uploader, or null without collector_url (or when it could not be set up: logged).
  sync::JournalUploader* uploader() { return uploader_.get(); }

 private:
  GateRuntime() = default;
  void start_syncer(const Config& config, const hal::Clock& clock);
  void start_uploader(const Config& config, const hal::Clock& clock);
  void adopt_new_cache();
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
  std::atomic<bool> cache_made_{false};       // set by the sync thread, read by the loop thread
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
