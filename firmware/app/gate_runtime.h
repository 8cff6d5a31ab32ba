// GateRuntime: the firmware half of a composition root, shared by the board program and the
// simulator. Given the devices a root picked, it opens the journal and the cache, rebuilds the
// anti-passback memory from the journal and starts the main loop. The roots differ only in their
// devices and in how they drive run_once(). With `feed_url` set it also runs the feed syncer on a
// thread of its own, with `collector_url` the journal uploader on another; the loop never waits
// for either.
#pragma once

#include <atomic>
#include <memory>
#include <optional>

#include "firmware/app/config.h"
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
  static Result<std::unique_ptr<GateRuntime>> start(const Config& config, control::Devices devices,
                                                    control::LoopConfig loop_config, Instant now,
                                                    control::EntryObserver observer = {});

  ~GateRuntime();  // stops the uploader and the feed syncer first
  GateRuntime(const GateRuntime&) = delete;
  GateRuntime& operator=(const GateRuntime&) = delete;

  // One loop iteration, on the loop thread. When the gate started without a usable cache and the
  // syncer has since made one, it is opened here first (on this thread: the reader's connection
  // belongs to it) and given to the validator, so the gate returns to service without a restart.
  Status run_once();

  control::MainLoop& loop() { return *loop_; }
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

  std::optional<store::CacheReader> cache_;
  std::optional<store::Journal> journal_;
  std::optional<store::DurableReplayGuard> replay_;
  store::PassbackMemory passback_;
  std::unique_ptr<control::Validator> validator_;
  std::unique_ptr<control::MainLoop> loop_;
  std::string cache_path_;
  std::atomic<bool> cache_made_{false};       // set by the sync thread, read by the loop thread
  std::unique_ptr<sync::FeedSyncer> syncer_;  // destroyed (stopped) before the loop and journal
  std::unique_ptr<sync::JournalUploader> uploader_;  // last: destroyed (stopped) first
};

// The journal uploader `config` asks for (collector_* and upload_* keys), over HTTPS, on its own
// connection to the journal; not started. For the runtime and `gate-sim upload`.
Result<std::unique_ptr<sync::JournalUploader>> make_journal_uploader(const Config& config,
                                                                     const hal::Clock& clock);

}  // namespace gate::app
