#include "firmware/app/gate_runtime.h"

#include "firmware/sync/feed_key.h"
#include "hal/log.h"

namespace gate::app {
namespace {
// How far back the anti-passback memory is rebuilt from the journal at start-up: longer than any
// sensible anti_passback_minutes.
constexpr Duration kPassbackHorizon = std::chrono::hours(24);
}  // namespace

Result<std::unique_ptr<GateRuntime>> GateRuntime::start(const Config& config,
                                                        control::Devices devices,
                                                        control::LoopConfig loop_config,
                                                        Instant now,
                                                        control::EntryObserver observer) {
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
  auto cache = store::CacheReader::open(config.cache_path);
  if (cache.ok()) {
    rt->cache_.emplace(std::move(*cache));
  } else {
    log(LogLevel::error, "app", "cache unusable, gate out of service: " + cache.error().message);
  }
  GATE_TRY(rt->passback_.load(*rt->journal_, now - kPassbackHorizon));
  core::Trc1Options code_options;
  code_options.skew = config.code_skew;
  rt->validator_ = std::make_unique<control::Validator>(
      config.gate, rt->cache_ ? &*rt->cache_ : nullptr, rt->passback_, code_options, &*rt->replay_);
  rt->loop_ = std::make_unique<control::MainLoop>(devices, *rt->validator_, *rt->journal_,
                                                  config.gate, loop_config, std::move(observer));
  GATE_TRY(rt->loop_->start());
  rt->cache_path_ = config.cache_path;
  if (!config.feed.url.empty()) rt->start_syncer(config, devices.clock);
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
  // A batch of 2000 rows is under a megabyte: a minute covers a slow link, and a stalled one is
  // cut after io_timeout anyway.
  https.request_timeout = std::chrono::minutes(1);
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
  if (!cache_) {
    syncer_->set_on_good_sync([this](const feed::SyncOutcome&) { cache_made_ = true; });
  }
  syncer_->start();
}

void GateRuntime::adopt_new_cache() {
  cache_made_ = false;
  auto cache = store::CacheReader::open(cache_path_);
  if (!cache.ok()) {
    log(LogLevel::error, "app", "synced cache unusable: " + cache.error().message);
    return;
  }
  cache_.emplace(std::move(*cache));
  validator_->attach_cache(&*cache_);
  log(LogLevel::info, "app", "cache synced, gate back in service");
}

Status GateRuntime::run_once() {
  if (!cache_ && cache_made_.load()) adopt_new_cache();
  return loop_->run_once();
}

}  // namespace gate::app
