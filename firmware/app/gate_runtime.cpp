#include "firmware/app/gate_runtime.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "firmware/sync/feed_key.h"
#include "hal/log.h"

namespace gate::app {
namespace {
// How far back the anti-passback memory is rebuilt from the journal at start-up: longer than any
// sensible anti_passback_minutes.
constexpr Duration kPassbackHorizon = std::chrono::hours(24);
// Sync outcomes waiting for the loop thread. The loop takes them every iteration (100 ms on a
// board) and syncs are 15 s apart at the least, so this is only reached by a loop that has
// stopped; the watchdog deals with that, and the memory stays bounded meanwhile.
constexpr std::size_t kMaxPendingSyncOutcomes = 64;
// The disk budget's prune on the loop thread: batches of kBudgetPruneBatch rows (one short write
// transaction each, as the uploader's), at most kBudgetPruneRows (about 6 MiB of records) a call.
constexpr std::size_t kBudgetPruneBatch = 1000;
constexpr std::uint64_t kBudgetPruneRows = 20 * kBudgetPruneBatch;
// Added to a worker's longest bounded step before it counts as stalled: SQLite's own waits (busy
// timeouts, fsyncs) on a loaded board's flash between two beats.
constexpr Duration kStallMargin = std::chrono::minutes(1);
// After a feed file is downloaded (within its request timeout), sync_once verifies every file and
// streams the records into one transaction before the syncer beats again: for the largest
// snapshot (40 million credentials, 1.4 GB) that is minutes of hashing and SQLite work on a
// board. Generous on purpose; a reset in the middle of a healthy apply would only start it over.
constexpr Duration kFeedApplyAllowance = std::chrono::minutes(30);

// A batch of 2000 rows is under a megabyte: a minute covers a slow link, and a stalled one is
// cut after io_timeout anyway.
constexpr std::chrono::minutes kUploadRequestTimeout{1};

std::string whole_seconds(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + "s";
}
}  // namespace

Duration stall_bound(Duration watchdog_timeout, Duration longest_step) {
  return std::max(3 * watchdog_timeout, longest_step + kStallMargin);
}

Result<std::unique_ptr<GateRuntime>> GateRuntime::start(
    const Config& config, control::Devices devices, control::LoopConfig loop_config, Instant now,
    control::EntryObserver observer, const hal::Clock* thread_clock) {
  // A board never falls back to a default secret: it would chain under a key everyone knows.
  if (config.journal_secret.empty()) {
    return make_error(Errc::invalid_argument, missing_journal_secret());
  }
  std::unique_ptr<GateRuntime> rt(new GateRuntime());
  GATE_TRY_ASSIGN(store::Journal journal, store::Journal::open(config.journal_path,
                                      store::ChainKey{config.journal_secret, config.gate.gate_id()}));
  rt->journal_.emplace(std::move(journal));
  GATE_TRY_ASSIGN(store::DurableReplayGuard replay,
                  store::DurableReplayGuard::open(rt->journal_->db()));
  rt->replay_.emplace(std::move(replay));
  rt->cache_path_ = config.cache_path;
  store::CacheCheck cache = store::CacheReader::check(config.cache_path);
  if (cache.condition == store::CacheCondition::good) {
    rt->use_cache(std::move(*cache.reader));
  } else {
    log(LogLevel::error, "app", "cache unusable, gate out of service: " + cache.detail);
    rt->cache_problem_logged_ = cache.detail;
  }
  GATE_TRY(rt->passback_.load(*rt->journal_, now - kPassbackHorizon));
  core::Trc1Options code_options;
  code_options.skew = config.code_skew;
  rt->validator_ = std::make_unique<control::Validator>(
      config.gate, rt->cache_ ? &*rt->cache_ : nullptr, rt->passback_, code_options, &*rt->replay_);
  rt->clock_ = &devices.clock;
  rt->thread_clock_ = thread_clock ? thread_clock : &devices.clock;
  rt->watchdog_timeout_ = config.watchdog_timeout;
  rt->next_cache_check_ = devices.clock.mono_now() + kCacheRecheck;
  GateRuntime* self = rt.get();
  loop_config.healthy = [self] { return self->threads_healthy(); };
  rt->loop_ = std::make_unique<control::MainLoop>(
      devices, *rt->validator_, *rt->journal_, config.gate, loop_config,
      [self, observer = std::move(observer)](std::uint64_t seq, const store::JournalEntry& e) {
        self->appended_ = true;
        if (observer) observer(seq, e);
      });
  rt->make_budget(config.journal_budget);
  GATE_TRY(rt->loop_->start());
  if (!config.feed.url.empty()) rt->start_syncer(config, devices.clock);
  if (cache.condition == store::CacheCondition::damaged) rt->set_aside_damaged_cache();
  if (!config.collector.url.empty()) rt->start_uploader(config, devices.clock);
  return rt;
}

GateRuntime::~GateRuntime() {
  // The uploader first: it holds a connection to the journal file the loop writes.
  if (uploader_) uploader_->stop();
  if (syncer_) syncer_->stop();
}

Result<std::unique_ptr<sync::JournalUploader>> make_journal_uploader(const Config& config,
                                                                     const hal::Clock& clock) {
  sync::HttpsClientConfig https = https_client_config(config.collector);
  https.request_timeout = kUploadRequestTimeout;
  GATE_TRY_ASSIGN(auto poster, sync::HttpsBatchPoster::create(std::move(https)));
  sync::JournalUploaderConfig uc;
  uc.journal_path = config.journal_path;
  uc.key = store::ChainKey{config.journal_secret, config.gate.gate_id()};
  uc.batch_rows = config.collector.upload_batch;
  uc.interval = config.collector.upload_interval;
  uc.backoff_max = config.collector.upload_backoff_max;
  uc.retention = config.collector.journal_retention;
  return sync::JournalUploader::create(std::move(uc), std::move(poster), clock);
}

// Like the syncer: an uploader that cannot be set up is logged, and the gate keeps deciding and
// journaling (the rows wait in the journal for a fixed configuration).
void GateRuntime::start_uploader(const Config& config, const hal::Clock& clock) {
  auto uploader = make_journal_uploader(config, clock);
  if (!uploader.ok()) {
    log(LogLevel::error, "app", "journal upload disabled: " + uploader.error().message);
    return;
  }
  uploader_ = std::move(*uploader);
  // One step: a batch's POST, within the collector's request timeout.
  uploader_->set_heartbeat(watch_thread("journal uploader", kUploadRequestTimeout));
  log(LogLevel::info, "app",
      "journal upload to " + config.collector.url + ", " +
          std::to_string(uploader_->status().pending) + " row(s) pending");
  uploader_->start();
}

// A sync that cannot be set up (an unreadable CA or key file) is logged and leaves the gate
// deciding on the cache it has: `--check-config` names such problems before a gate runs.
void GateRuntime::start_syncer(const Config& config, const hal::Clock& clock) {
  auto key = sync::load_feed_public_key(config.feed.key_file);
  if (!key.ok()) {
    log(LogLevel::error, "app", "feed sync disabled: " + key.error().message);
    return;
  }
  sync::FeedSyncerConfig sc;
  sc.https = https_client_config(config.feed);
  sc.https.max_body_bytes = 4ull << 30;  // a 40-million-credential snapshot is about 1.4 GB
  // A whole snapshot at a slow site's rate (1.4 GB at 10 Mbit/s is about 19 min); a stalled
  // server is still cut after io_timeout, and a cut download resumes with Range.
  sc.https.request_timeout = std::chrono::hours(1);
  const Duration download_bound = sc.https.request_timeout;
  sc.cache_path = config.cache_path;
  sc.staging_dir = feed_staging_dir(config);
  sc.key_state_path = feed_key_state_path(config);
  sc.configured_key = *key;
  sc.interval = config.feed.interval;
  auto syncer = sync::FeedSyncer::create(std::move(sc), clock);
  if (!syncer.ok()) {
    log(LogLevel::error, "app", "feed sync disabled: " + syncer.error().message);
    return;
  }
  syncer_ = std::move(*syncer);
  // One step: a file's download within the request timeout, or verifying and applying them.
  syncer_->set_heartbeat(watch_thread("feed syncer", download_bound + kFeedApplyAllowance));
  // Every good sync, not only the first: a cache taken away as damaged is rebuilt by a later one.
  syncer_->set_on_good_sync([this](const feed::SyncOutcome&) { cache_made_ = true; });
  syncer_->set_on_sync_end([this](bool ok) {
    std::lock_guard<std::mutex> lock(sync_outcomes_mutex_);
    if (sync_outcomes_.size() < kMaxPendingSyncOutcomes) sync_outcomes_.push_back(ok);
  });
  syncer_->start();
}

// The budget's hooks on the loop's own journal connection. Its prune is the emergency path:
// acknowledged rows whatever the retention (the uploader prunes past the retention on its own
// connection), in short transactions, and at most kBudgetPruneRows per call so the loop is held up
// for a fraction of a second at most; a budget that needs more is pruned further at each recheck.
void GateRuntime::make_budget(const control::JournalBudgetConfig& config) {
  control::JournalBudgetHooks hooks;
  hooks.used_bytes = [this] { return journal_->used_bytes(); };
  hooks.prune = [this]() -> Result<std::uint64_t> {
    std::uint64_t pruned = 0;
    while (pruned < kBudgetPruneRows) {
      GATE_TRY_ASSIGN(std::size_t n, journal_->prune_acknowledged(kBudgetPruneBatch));
      pruned += n;
      if (n < kBudgetPruneBatch) break;
    }
    return pruned;
  };
  hooks.unacknowledged = [this] { return journal_->pending_count(); };
  hooks.record = [this](core::EventKind kind) { return loop_->journal_event(kind); };
  budget_.emplace(config, std::move(hooks));
}

sync::Heartbeat* GateRuntime::watch_thread(std::string name, Duration longest_step) {
  const Duration bound = stall_bound(watchdog_timeout_, longest_step);
  watched_.push_back(WatchedThread{
      std::move(name), std::make_unique<sync::Heartbeat>(*thread_clock_, bound), false});
  return watched_.back().heartbeat.get();
}

// On the loop thread, once per iteration, just before the kick: two atomic loads and a clock read.
bool GateRuntime::threads_healthy() {
  bool healthy = true;
  for (WatchedThread& t : watched_) {
    const Duration silent = t.heartbeat->silent_for();
    const bool stalled = silent > t.heartbeat->bound();
    if (stalled && !t.stalled) {
      log(LogLevel::error, "app",
          t.name + " stalled for " + whole_seconds(silent) + ": watchdog will reset");
    } else if (!stalled && t.stalled) {
      log(LogLevel::info, "app", t.name + " going again: watchdog kicks resume");
    }
    t.stalled = stalled;
    healthy = healthy && !stalled;
  }
  return healthy;
}

// Each sync's outcome becomes a gate event here, on the loop thread: the journal's connection is
// the loop's alone, and the sync thread must never wait for a journal write (nor the reverse).
Status GateRuntime::journal_sync_outcomes() {
  std::vector<bool> outcomes;
  {
    std::lock_guard<std::mutex> lock(sync_outcomes_mutex_);
    outcomes.swap(sync_outcomes_);
  }
  Status status = ok_status();
  for (bool ok : outcomes) {
    Status s =
        loop_->journal_event(ok ? core::EventKind::sync_success : core::EventKind::sync_failure);
    if (status.ok()) status = std::move(s);
  }
  return status;
}

Status GateRuntime::run_once() {
  keep_cache();
  Status status = loop_->run_once();
  Status synced = journal_sync_outcomes();
  if (status.ok()) status = std::move(synced);
  if (budget_->enabled()) {
    const control::JournalSpace before = budget_->state();
    const control::JournalSpace now =
        budget_->check(clock_->mono_now(), std::exchange(appended_, false));
    // Full: what the collector acknowledges next is what the recheck can prune, so the uploader
    // goes at once rather than at its next interval.
    if (before == control::JournalSpace::ok && now != before && uploader_) uploader_->wake();
    loop_->set_journal_space(now);
  }
  return status;
}

namespace {
std::uint64_t unix_seconds(Instant t) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}
}  // namespace

void GateRuntime::use_cache(store::CacheReader reader) {
  cache_.emplace(std::move(reader));
  struct stat st {};
  if (::stat(cache_path_.c_str(), &st) == 0) {
    cache_dev_ = static_cast<std::uint64_t>(st.st_dev);
    cache_ino_ = static_cast<std::uint64_t>(st.st_ino);
  }
  cache_problem_logged_.clear();
}

// Whether cache_path no longer names the file cache_ reads: moved, deleted, replaced by another
// file or by something that is not a file. One stat(), cheap enough for every recheck.
bool GateRuntime::cache_file_moved() const {
  struct stat st {};
  if (::stat(cache_path_.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return true;
  return static_cast<std::uint64_t>(st.st_dev) != cache_dev_ ||
         static_cast<std::uint64_t>(st.st_ino) != cache_ino_;
}

void GateRuntime::keep_cache() {
  const MonoInstant now = clock_->mono_now();
  const bool due = !next_cache_check_ || now >= *next_cache_check_;
  if (due) next_cache_check_ = now + kCacheRecheck;
  if (cache_) {
    if (validator_->cache_failing()) {
      drop_cache("cache unreadable, gate out of service", cache_->damage_seen());
    } else if (due && cache_file_moved()) {
      drop_cache("cache file " + cache_path_ + " is no longer the one open", false);
      reopen_cache(false);  // a cache put in its place is taken up at once
    } else if (due) {
      // One small read, so damage is found by the gate and not by the next rider to tap.
      auto state = cache_->sync_state();
      if (!state.ok()) {
        drop_cache("cache unreadable, gate out of service: " + state.error().message,
                   cache_->damage_seen());
      }
    }
    return;
  }
  if (cache_made_.exchange(false)) {
    reopen_cache(true);
  } else if (due) {
    reopen_cache(false);
  }
}

// Takes the cache away from the validator (the gate goes out of service at this iteration's
// service check) and closes it; a damaged one is set aside for the syncer to rebuild.
void GateRuntime::drop_cache(const std::string& why, bool damaged) {
  validator_->detach_cache();
  cache_.reset();
  cache_made_ = false;
  log(LogLevel::error, "app", damaged ? "cache damaged, gate out of service" : why);
  cache_problem_logged_ = damaged ? "damaged" : why;
  if (damaged) set_aside_damaged_cache();
}

// Tries the cache at cache_path; `synced`: the syncer just said it made or updated one.
void GateRuntime::reopen_cache(bool synced) {
  store::CacheCheck check = store::CacheReader::check(cache_path_);
  if (check.condition == store::CacheCondition::good) {
    use_cache(std::move(*check.reader));
    validator_->attach_cache(&*cache_);
    log(LogLevel::info, "app",
        synced ? "cache synced, gate back in service" : "cache readable, gate back in service");
    return;
  }
  if (check.condition == store::CacheCondition::damaged) {
    log(LogLevel::error, "app", "cache damaged: " + check.detail);
    cache_problem_logged_ = check.detail;
    set_aside_damaged_cache();
    return;
  }
  // Unreadable (missing while the syncer builds it, a directory, I/O errors): tried again at the
  // next recheck, logged only when the reason changes.
  if (check.detail != cache_problem_logged_) {
    log(LogLevel::warning, "app", "cache still unusable: " + check.detail);
    cache_problem_logged_ = check.detail;
  }
}

// The damaged file and its WAL move to <cache>.damaged-<unix time> (kept for whoever looks into
// why), its shared-memory index is dropped (rebuilt from the WAL by whoever opens the aside file),
// and the syncer is asked for a new cache from the snapshot. Without a syncer the gate stays out
// of service until a cache is installed at cache_path (the recheck takes it up).
void GateRuntime::set_aside_damaged_cache() {
  const std::string aside =
      cache_path_ + ".damaged-" + std::to_string(unix_seconds(clock_->wall_now()));
  if (::rename(cache_path_.c_str(), aside.c_str()) != 0) {
    log(LogLevel::error, "app",
        "cannot set the damaged cache aside (" + std::string(std::strerror(errno)) +
            "); it stays out of service");
    return;
  }
  (void)::rename((cache_path_ + "-wal").c_str(), (aside + "-wal").c_str());
  (void)::unlink((cache_path_ + "-shm").c_str());
  if (syncer_) {
    log(LogLevel::error, "app",
        "damaged cache kept as " + aside + "; asking the feed for a new one");
    syncer_->request_rebuild();
  } else {
    log(LogLevel::error, "app",
        "damaged cache kept as " + aside + "; no feed configured: install a cache to resume");
  }
}

}  // namespace gate::app
