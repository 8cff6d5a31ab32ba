#include "firmware/sync/feed_syncer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <utility>

#include "hal/log.h"

namespace gate::sync {
namespace {

constexpr const char* kTag = "feed";

// The aside file a missing cache is built in: renamed over the cache path only after a good sync,
// so a gate never finds a cache that a failed first sync left empty.
std::string new_cache_path(const std::string& cache_path) {
  return cache_path + ".new";
}

void remove_db_files(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    ::unlink((path + suffix).c_str());
  }
}

Status fsync_dir_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return make_error(Errc::storage_error, "open directory " + dir + ": " + std::strerror(errno));
  }
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) {
    return make_error(Errc::storage_error, "fsync directory " + dir + ": " + std::strerror(errno));
  }
  return ok_status();
}

Status make_dirs(const std::string& dir) {
  std::string sofar;
  for (std::size_t i = 0; i <= dir.size(); ++i) {
    if (i == dir.size() || (dir[i] == '/' && i > 0)) {
      sofar = dir.substr(0, i);
      if (::mkdir(sofar.c_str(), 0750) != 0 && errno != EEXIST) {
        return make_error(Errc::storage_error,
                          "feed staging " + sofar + ": " + std::strerror(errno));
      }
    }
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return make_error(Errc::storage_error, "feed staging " + dir + ": not a directory");
  }
  return ok_status();
}

// The syncer's source as sync_once sees it: the same files, with a heartbeat before and after each
// fetch, so a sync of many files beats once per file rather than once per sync.
class BeatingSource final : public feed::FeedSource {
 public:
  BeatingSource(feed::FeedSource& source, Heartbeat* heartbeat)
      : source_(source), heartbeat_(heartbeat) {}
  Result<std::string> fetch(std::string_view name, std::uint64_t max_size) override {
    if (heartbeat_) heartbeat_->beat();
    auto path = source_.fetch(name, max_size);
    if (heartbeat_) heartbeat_->beat();
    return path;
  }
  void forget(std::string_view name) override { source_.forget(name); }

 private:
  feed::FeedSource& source_;
  Heartbeat* heartbeat_;
};

}  // namespace

Result<std::unique_ptr<FeedSyncer>> FeedSyncer::create(FeedSyncerConfig config,
                                                       const hal::Clock& clock) {
  if (config.interval.count() <= 0) {
    return make_error(Errc::invalid_argument, "feed_interval: must be positive");
  }
  std::string staging = config.staging_dir;
  while (staging.size() > 1 && staging.back() == '/') staging.pop_back();
  GATE_TRY(make_dirs(staging));
  config.https.log_failures = false;  // the syncer logs one line per sync itself
  std::unique_ptr<FeedSyncer> s(new FeedSyncer(std::move(config), clock));
  GATE_TRY_ASSIGN(s->client_, HttpsClient::create(s->config_.https));
  s->source_ = std::make_unique<HttpsFeedSource>(*s->client_, staging);
  auto chain = load_key_chain(s->config_.key_state_path, s->config_.configured_key);
  if (chain.ok()) {
    s->keys_ = std::move(*chain);
    if (!s->keys_.rotations.empty()) {
      log(LogLevel::info, kTag,
          "pinning the feed key rotated " + std::to_string(s->keys_.rotations.size()) +
              " time(s) since the configured one (" + s->config_.key_state_path + ")");
    }
  } else {
    // The configured key is the operator's word; a state that does not lead from it is ignored
    // (and replaced at the next rotation).
    s->keys_ = KeyChain{s->config_.configured_key, {}};
    log(LogLevel::warning, kTag, chain.error().message + "; pinning the configured feed key");
  }
  return s;
}

FeedSyncer::~FeedSyncer() {
  stop();
}

FeedSyncStatus FeedSyncer::status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return status_;
}

FeedSyncStatus FeedSyncer::wait_for_attempts(std::uint64_t attempts,
                                             std::chrono::milliseconds bound) const {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, bound, [&] { return status_.attempts >= attempts; });
  return status_;
}

feed::Sec1Key FeedSyncer::pinned_key() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return keys_.current();
}

Status FeedSyncer::open_cache() {
  if (cache_) return ok_status();
  if (::access(config_.cache_path.c_str(), F_OK) == 0) {
    GATE_TRY_ASSIGN(store::CacheWriter w, store::CacheWriter::open(config_.cache_path));
    cache_.emplace(std::move(w));
    building_new_cache_ = false;
    return ok_status();
  }
  const std::string aside = new_cache_path(config_.cache_path);
  remove_db_files(aside);  // a leftover of an interrupted first sync
  GATE_TRY_ASSIGN(store::CacheWriter w, store::CacheWriter::open(aside));
  cache_.emplace(std::move(w));
  building_new_cache_ = true;
  return ok_status();
}

// The first good sync of a missing cache: close the aside file (SQLite checkpoints its WAL into it
// and removes the WAL as the last connection closes), then rename it in.
Status FeedSyncer::finish_new_cache() {
  cache_.reset();
  building_new_cache_ = false;
  const std::string aside = new_cache_path(config_.cache_path);
  if (::rename(aside.c_str(), config_.cache_path.c_str()) != 0) {
    return make_error(Errc::storage_error,
                      "rename " + aside + " to the cache path: " + std::strerror(errno));
  }
  return fsync_dir_of(config_.cache_path);
}

void FeedSyncer::drop_new_cache() {
  if (!building_new_cache_) return;
  cache_.reset();
  building_new_cache_ = false;
  remove_db_files(new_cache_path(config_.cache_path));
}

// The staged manifest that introduced `new_key` holds the old key's signature over it: kept in
// the key state, it lets a restart check the chain from the configured key.
Status FeedSyncer::remember_rotation(const feed::Sec1Key& new_key) {
  std::ifstream in(source_->path_of(feed::kManifestName), std::ios::binary);
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
  auto file = feed::parse_container(bytes);
  if (!file.ok()) return make_error(Errc::io_error, "staged manifest: " + file.error().message);
  auto manifest = feed::decode_manifest(file->payload);
  if (!manifest.ok()) {
    return make_error(Errc::io_error, "staged manifest: " + manifest.error().message);
  }
  if (!manifest->rotation || manifest->rotation->new_key != new_key ||
      !rotation_signed_by(*manifest->rotation, keys_.current())) {
    return make_error(Errc::io_error, "staged manifest: not the rotation sync_once accepted");
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    keys_.rotations.push_back(*manifest->rotation);  // pinned from now on, saved or not
  }
  return save_key_chain(config_.key_state_path, keys_);
}

void FeedSyncer::request_rebuild() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    rebuild_requested_ = true;
  }
  changed_.notify_all();
}

Result<feed::SyncOutcome> FeedSyncer::sync(Instant now) {
  bool rebuild = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    rebuild = std::exchange(rebuild_requested_, false);
  }
  if (rebuild) {
    // The old file was moved away by the runtime: closing this connection to it lets open_cache()
    // find the path free and build a new cache from the snapshot.
    log(LogLevel::info, kTag, "cache set aside as damaged: rebuilding it from the snapshot");
    cache_.reset();
    building_new_cache_ = false;
  }
  if (Status s = open_cache(); !s.ok()) {
    return make_error(s.error().code, "cache: " + s.error().message);
  }
  const auto before = cache_->sync_state();
  BeatingSource source(*source_, heartbeat_);
  auto outcome = feed::sync_once(source, *cache_, keys_.current(), now);
  if (heartbeat_) heartbeat_->beat();
  if (!outcome.ok()) {
    // A verification refusal changes nothing; a record that fails to decode at apply time (only
    // in a file the feed key signed) leaves the files before it applied: say where the cache is.
    cache_note_ = "cache unchanged";
    const auto after = cache_->sync_state();
    if (!building_new_cache_ && before.ok() && after.ok() && after->sequence != before->sequence) {
      cache_note_ = "cache now at sequence " + std::to_string(after->sequence);
    }
    drop_new_cache();
    return outcome.error();
  }
  if (outcome->new_pinned_key) {
    if (Status s = remember_rotation(*outcome->new_pinned_key); !s.ok()) {
      // The cache is good already. The new key is pinned for this run when the staged manifest
      // gave its proof; a restart pins the configured key again and needs the rotation re-served.
      if (keys_.current() != *outcome->new_pinned_key) {
        std::lock_guard<std::mutex> lock(mutex_);
        keys_.rotations.push_back(feed::KeyRotation{*outcome->new_pinned_key, {}});
      }
      log(LogLevel::error, kTag, "feed key rotated but not persisted: " + s.error().message);
    }
  }
  if (building_new_cache_) {
    if (Status s = finish_new_cache(); !s.ok()) {
      drop_new_cache();
      return make_error(s.error().code, "cache: " + s.error().message);
    }
  }
  if (Status s = source_->clear(); !s.ok()) {
    log(LogLevel::warning, kTag, "staging not cleared: " + s.error().message);
  }
  return outcome;
}

Result<feed::SyncOutcome> FeedSyncer::run_once(Instant now) {
  std::lock_guard<std::mutex> run(run_mutex_);
  auto outcome = sync(now);
  std::string line;
  if (outcome.ok()) {
    line = "feed sync: sequence " + std::to_string(outcome->sequence_before) + " -> " +
           std::to_string(outcome->sequence_after) +
           (outcome->snapshot_applied ? ", snapshot" : "") + ", " +
           std::to_string(outcome->deltas_applied) + " delta(s)" +
           (outcome->new_pinned_key ? ", feed key rotated" : "");
    log(LogLevel::info, kTag, line);
  } else if (outcome.error().code == Errc::malformed) {
    line = "feed sync refused: " + outcome.error().message + "; " + cache_note_;
    if (line != last_failure_logged_) log(LogLevel::error, kTag, line);
  } else {
    line = "feed sync failed: " + outcome.error().message + "; will retry";
    if (line != last_failure_logged_) log(LogLevel::warning, kTag, line);
  }
  last_failure_logged_ = outcome.ok() ? std::string() : line;
  // Before the status says the sync ended, so whoever waits on the status sees the callback's
  // effect (the runtime's "cache made" flag).
  if (outcome.ok() && on_good_sync_) on_good_sync_(*outcome);
  if (on_sync_end_) on_sync_end_(outcome.ok());
  {
    std::lock_guard<std::mutex> lock(mutex_);
    status_.last_attempt = now;
    ++status_.attempts;
    if (outcome.ok()) {
      status_.last_good_sync = now;
      status_.last_error.clear();
      status_.sequence = outcome->sequence_after;
      ++status_.good_syncs;
    } else {
      status_.last_error = line;
    }
  }
  changed_.notify_all();
  return outcome;
}

void FeedSyncer::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (thread_.joinable()) return;
  stop_requested_ = false;
  client_->clear_interrupt();
  thread_ = std::thread([this] { thread_main(); });
}

Duration next_sync_delay(Duration interval, int consecutive_failures) {
  if (consecutive_failures <= 0) return interval;
  Duration delay = kFirstRetry;
  for (int i = 1; i < consecutive_failures && delay < interval; ++i) delay *= 2;
  return std::min(delay, interval);
}

void FeedSyncer::thread_main() {
  std::unique_lock<std::mutex> lock(mutex_);
  int failures = 0;
  while (!stop_requested_) {
    lock.unlock();
    if (heartbeat_) heartbeat_->beat();
    failures = run_once(clock_.wall_now()).ok() ? 0 : failures + 1;
    if (heartbeat_) heartbeat_->rest();
    lock.lock();
    changed_.wait_for(lock, next_sync_delay(config_.interval, failures),
                      [this] { return stop_requested_ || rebuild_requested_; });
  }
}

void FeedSyncer::stop() {
  std::thread joining;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_requested_ = true;
    joining = std::move(thread_);
  }
  changed_.notify_all();
  if (!joining.joinable()) return;  // no thread: nothing to interrupt
  client_->interrupt();
  joining.join();
  client_->clear_interrupt();  // run_once works again without a thread
}

}  // namespace gate::sync
