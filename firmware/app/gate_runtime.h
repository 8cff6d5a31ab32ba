// GateRuntime: the firmware half of a composition root, shared by the board program and the
// simulator. Given the devices a root picked, it opens the journal and the cache, rebuilds the
// anti-passback memory from the journal and starts the main loop. The roots differ only in their
// devices and in how they drive run_once(). With `feed_url` set it also runs the feed syncer on a
// thread of its own; the loop never waits for it, and the syncer never touches the journal: each
// sync's outcome is handed over under a mutex and journaled (sync_success / sync_failure) by the
// loop thread in run_once(). With journal_max_size set, run_once() also keeps the journal's disk
// budget (control::JournalBudget) after appends.
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
#include "hal/result.h"

namespace gate::app {

class GateRuntime {
 public:
  // Opens the journal (required: a gate that cannot record does not run) with the ride-code
  // replay memory in its file, and the cache (missing or unusable: the gate starts out of
  // service, logged, as decisions.md row 2 wants), loads the anti-passback memory from the
  // journal's last day and starts the loop at `now` (relay closed, a start-up event journaled).
  // `devices` must outlive the runtime.
  static Result<std::unique_ptr<GateRuntime>> start(const Config& config, control::Devices devices,
                                                    control::LoopConfig loop_config, Instant now,
                                                    control::EntryObserver observer = {});

  ~GateRuntime();  // stops the feed syncer first
  GateRuntime(const GateRuntime&) = delete;
  GateRuntime& operator=(const GateRuntime&) = delete;

  // One loop iteration, on the loop thread. When the gate started without a usable cache and the
  // syncer has since made one, it is opened here first (on this thread: the reader's connection
  // belongs to it) and given to the validator, so the gate returns to service without a restart.
  Status run_once();

  // What frees acknowledged journal rows (never others) and says how many it freed, for the disk
  // budget (called on reaching it and at every recheck while over it). Until one is set nothing
  // is pruned. Call on the loop thread (it runs there, in run_once()).
  void set_journal_prune(std::function<Result<std::uint64_t>()> prune) {
    prune_ = std::move(prune);
  }
  // How many records the back office has not acknowledged yet (for the budget's log line). Until
  // one is set, every row the journal holds counts.
  void set_unacknowledged_count(std::function<Result<std::uint64_t>()> count) {
    unacknowledged_ = std::move(count);
  }

  control::MainLoop& loop() { return *loop_; }
  store::Journal& journal() { return *journal_; }
  control::JournalSpace journal_space() const {
    return budget_ ? budget_->state() : control::JournalSpace::ok;
  }
  bool cache_usable() const { return cache_.has_value(); }
  // The feed syncer, or null without feed_url (or when it could not be set up: logged).
  sync::FeedSyncer* syncer() { return syncer_.get(); }

 private:
  GateRuntime() = default;
  void start_syncer(const Config& config, const hal::Clock& clock);
  void adopt_new_cache();
  Status journal_sync_outcomes();
  void make_budget(const control::JournalBudgetConfig& config);

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
  std::function<Result<std::uint64_t>()> prune_;
  std::function<Result<std::uint64_t>()> unacknowledged_;
  std::unique_ptr<sync::FeedSyncer> syncer_;  // last: destroyed (stopped) first
};

}  // namespace gate::app
