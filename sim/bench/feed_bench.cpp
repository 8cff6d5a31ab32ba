// feed-bench: the signed feed at scale, in one run. (a) Publishes a snapshot of N bindings plus a
// health record per identity (two credentials each) through the real publisher; (b) applies it to
// an empty cache through sync_once from a DirectoryFeedSource; (c) inserts the same rows into the
// same schema with a bare prepared INSERT OR REPLACE in one transaction, the baseline; (d)
// publishes and applies a delta of M changes; (e) measures decisions (Validator::decide, as
// decision-bench does) idle and while another thread syncs a new snapshot into the same cache;
// (f) prints the peak RSS. A program that prints numbers, never a pass/fail test.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "firmware/feed/feed_sync.h"
#include "firmware/gate/validator.h"
#include "firmware/store/iso_time.h"
#include "sim/backoffice/feed_publisher.h"
#include "sim/bench/bench_flags.h"
#include "sim/gate_sim/summary.h"

namespace {

using namespace gate;
using Clock = std::chrono::steady_clock;

int fail(const std::string& message) {
  std::cerr << "feed-bench: " << message << "\n";
  return 1;
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

constexpr const char* kSince = "2022-05-20T09:00:00+08:00";
constexpr std::int64_t kSinceUs = 1653008400LL * 1000000;  // kSince
constexpr const char* kPolicy =
    R"({"type":"policy","id":"p1","effective_from":"2022-05-01T00:00:00+08:00",)"
    R"("scope":{"lines":["L1"],"stations":[]},"health_mode":"enforce"})";

std::string credential(std::uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "tu:31%017llu", static_cast<unsigned long long>(i));
  return buf;
}
std::string identity(std::uint64_t j) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "id-%010llu", static_cast<unsigned long long>(j));
  return buf;
}

// A registry's state made up on the fly, in the registry's order (policy, bindings by credential,
// health by identity): the publisher reads it as it would read a RegistryRead.
class SyntheticState final : public backoffice::RecordSource {
 public:
  SyntheticState(std::uint64_t credentials, std::uint64_t changes, std::uint64_t sequence)
      : n_(credentials), m_(changes), sequence_(sequence) {}
  std::uint64_t identities() const { return (n_ + 1) / 2; }
  std::uint64_t sequence() const override { return sequence_; }
  Result<std::uint64_t> record_count() override { return 1 + n_ + identities(); }
  Status each_record(const backoffice::LineFn& each) override {
    GATE_TRY(each(kPolicy));
    char line[512];
    for (std::uint64_t i = 0; i < n_; ++i) {
      int len = std::snprintf(line, sizeof line,
                              R"({"type":"binding","credential":"%s","identity":"%s",)"
                              R"("media":"card","status":"active","since":"%s"})",
                              credential(i).c_str(), identity(i / 2).c_str(), kSince);
      GATE_TRY(each(std::string_view(line, static_cast<std::size_t>(len))));
    }
    for (std::uint64_t j = 0; j < identities(); ++j) {
      int len = std::snprintf(line, sizeof line,
                              R"({"type":"health","identity":"%s","colour":"green","popup":false,)"
                              R"("last_negative_test":"%s","as_of":"%s"})",
                              identity(j).c_str(), kSince, kSince);
      GATE_TRY(each(std::string_view(line, static_cast<std::size_t>(len))));
    }
    return ok_status();
  }
  Result<std::uint64_t> change_count(std::uint64_t) override { return m_; }
  // M cards reported lost, spread over the whole key range.
  Status each_change(std::uint64_t, const backoffice::LineFn& each) override {
    char line[512];
    for (std::uint64_t k = 0; k < m_; ++k) {
      std::uint64_t i = (k * 2654435761ULL) % n_;
      int len = std::snprintf(line, sizeof line,
                              R"({"type":"binding","credential":"%s","identity":"%s",)"
                              R"("media":"card","status":"lost","since":"%s"})",
                              credential(i).c_str(), identity(i / 2).c_str(), kSince);
      GATE_TRY(each(std::string_view(line, static_cast<std::size_t>(len))));
    }
    return ok_status();
  }

 private:
  std::uint64_t n_, m_, sequence_;
};

// The baseline: the same rows straight into the same schema (same pragmas, as CacheWriter::open
// sets them), one prepared INSERT OR REPLACE per table, one transaction.
Result<double> bare_insert(const std::string& path, std::uint64_t n, std::uint64_t identities) {
  GATE_TRY_ASSIGN(store::CacheWriter w, store::CacheWriter::open(path));
  sqlite3* db = w.db();
  auto t0 = Clock::now();
  GATE_TRY(store::exec(db, "BEGIN IMMEDIATE"));
  GATE_TRY_ASSIGN(store::StmtHandle b,
                  store::prepare(db, "INSERT OR REPLACE INTO binding VALUES (?1, ?2, 0, 0, ?3)"));
  GATE_TRY_ASSIGN(store::StmtHandle h,
                  store::prepare(db, "INSERT OR REPLACE INTO health VALUES (?1, 0, 0, ?2, ?2)"));
  std::string key, id;
  for (std::uint64_t i = 0; i < n; ++i) {
    key = credential(i);
    id = identity(i / 2);
    store::bind_text(b.get(), 1, key);
    store::bind_text(b.get(), 2, id);
    sqlite3_bind_int64(b.get(), 3, kSinceUs);
    if (sqlite3_step(b.get()) != SQLITE_DONE) return store::sqlite_error(db, "bare binding");
    sqlite3_reset(b.get());
  }
  for (std::uint64_t j = 0; j < identities; ++j) {
    id = identity(j);
    store::bind_text(h.get(), 1, id);
    sqlite3_bind_int64(h.get(), 2, kSinceUs);
    if (sqlite3_step(h.get()) != SQLITE_DONE) return store::sqlite_error(db, "bare health");
    sqlite3_reset(h.get());
  }
  GATE_TRY(store::exec(db, "COMMIT"));
  return seconds_since(t0);
}

struct Latency {
  std::vector<std::int64_t> ns;
  void print(const char* what) const {
    std::printf("  %-34s %8zu decisions  median %7.2f us  p99 %8.2f us\n", what, ns.size(),
                sim::percentile(ns, 50) / 1000.0, sim::percentile(ns, 99) / 1000.0);
  }
};

// Decisions on keys drawn like decision-bench's (95 % present, 5 % absent) until `keep_going`
// turns false (or `max` decisions).
Latency decide_while(control::Validator& v, std::uint64_t n, const std::atomic<bool>& keep_going,
                     std::size_t max, Instant now) {
  std::mt19937_64 rng(42);
  Latency out;
  out.ns.reserve(std::min<std::size_t>(max, 1 << 20));
  while (keep_going.load(std::memory_order_relaxed) && out.ns.size() < max) {
    core::Presentation p;
    p.credential = rng() % 100 < 5 ? credential(n + rng() % n) : credential(rng() % n);
    auto t0 = Clock::now();
    (void)v.decide(std::move(p), now);
    out.ns.push_back(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t n = 10'000'000;
  std::uint64_t m = 10'000;
  std::string dir = (std::filesystem::temp_directory_path() / "feed-bench").string();
  if (!sim::parse_bench_flags(argc, argv,
                              {sim::count_flag("credentials", n),
                               sim::count_flag("delta-changes", m), sim::text_flag("dir", dir)})) {
    return fail("usage: feed-bench [--credentials N] [--delta-changes M] [--dir DIR]");
  }
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir + "/feed");
  const std::string feed_dir = dir + "/feed";
  const std::string cache_path = dir + "/cache.db";
  auto rng = sim::CtrDrbg::from_system_entropy();
  if (!rng.ok()) return fail(rng.error().message);
  auto key = sim::P256KeyPair::generate(*rng);
  if (!key.ok()) return fail(key.error().message);
  const Instant now = *store::parse_iso8601("2022-05-23T05:30:00+08:00");
  backoffice::PublishRequest req;
  req.feed_dir = feed_dir;
  req.now = now;
  req.expires_in = std::chrono::hours(24 * 365 * 30);

  SyntheticState state(n, m, 1);
  const std::uint64_t rows = *state.record_count();
  std::printf("feed-bench: %llu credentials, %llu identities, %llu records; delta of %llu\n",
              static_cast<unsigned long long>(n),
              static_cast<unsigned long long>(state.identities()),
              static_cast<unsigned long long>(rows), static_cast<unsigned long long>(m));

  // (a) publish
  auto t0 = Clock::now();
  auto published = backoffice::publish(req, state, *key, *rng);
  if (!published.ok()) return fail("publish: " + published.error().message);
  double publish_s = seconds_since(t0);
  auto size = std::filesystem::file_size(feed_dir + "/" + published->file);
  std::printf("(a) publish snapshot: %.1f s, %.0f records/s, %s %.1f MiB (%.1f bytes/record)\n",
              publish_s, rows / publish_s, published->file.c_str(), size / 1048576.0,
              static_cast<double>(size) / static_cast<double>(rows));
  std::printf("    peak RSS so far %.1f MiB\n", peak_rss_mib());

  // (b) apply to an empty cache
  double apply_s = 0;
  {
    auto cache = store::CacheWriter::open(cache_path);
    if (!cache.ok()) return fail(cache.error().message);
    feed::DirectoryFeedSource source(feed_dir);
    t0 = Clock::now();
    auto synced = feed::sync_once(source, *cache, key->public_key(), now);
    if (!synced.ok()) return fail("sync: " + synced.error().message);
    apply_s = seconds_since(t0);
  }
  std::printf("(b) sync_once snapshot into an empty cache: %.1f s, %.0f rows/s (cache %.1f MiB)\n",
              apply_s, rows / apply_s, std::filesystem::file_size(cache_path) / 1048576.0);
  std::printf("    peak RSS so far %.1f MiB\n", peak_rss_mib());

  // (c) bare SQLite baseline
  {
    auto bare = bare_insert(dir + "/bare.db", n, state.identities());
    if (!bare.ok()) return fail("bare insert: " + bare.error().message);
    std::printf("(c) bare prepared INSERT OR REPLACE, one transaction: %.1f s, %.0f rows/s\n",
                *bare, (rows - 1) / *bare);
    std::printf("    sync_once / bare: %.0f %% of the bare insert rate\n",
                100.0 * (rows / apply_s) / ((rows - 1) / *bare));
    std::filesystem::remove(dir + "/bare.db");
    std::filesystem::remove(dir + "/bare.db-wal");
    std::filesystem::remove(dir + "/bare.db-shm");
  }

  // (d) a delta of M changes
  {
    SyntheticState next(n, m, 2);
    t0 = Clock::now();
    auto delta = backoffice::publish(req, next, *key, *rng);
    if (!delta.ok()) return fail("publish delta: " + delta.error().message);
    double pub_s = seconds_since(t0);
    auto cache = store::CacheWriter::open(cache_path);
    if (!cache.ok()) return fail(cache.error().message);
    feed::DirectoryFeedSource source(feed_dir);
    t0 = Clock::now();
    auto synced = feed::sync_once(source, *cache, key->public_key(), now);
    if (!synced.ok() || synced->deltas_applied != 1) return fail("delta sync failed");
    double s = seconds_since(t0);
    std::printf("(d) delta of %llu changes: published in %.3f s, sync_once %.3f s, %.0f rows/s\n",
                static_cast<unsigned long long>(m), pub_s, s, m / s);
    std::printf("    peak RSS after publishing and syncing (before the decision runs) %.1f MiB\n",
                peak_rss_mib());
  }

  // (e) decisions idle, then while a new snapshot is synced into the same cache
  {
    auto reader = store::CacheReader::open(cache_path);
    if (!reader.ok()) return fail(reader.error().message);
    store::PassbackMemory passback;
    control::Validator validator(*core::parse_gate_spec("L1:S07:G03:entry"), &*reader, passback);
    std::atomic<bool> yes{true};
    std::printf("(e) decision latency (Validator::decide on a %llu-credential cache)\n",
                static_cast<unsigned long long>(n));
    (void)decide_while(validator, n, yes, 20'000, now);  // warm-up
    decide_while(validator, n, yes, 200'000, now).print("idle");
    std::printf("    peak RSS after the idle decisions %.1f MiB\n", peak_rss_mib());

    req.snapshot = true;
    SyntheticState again(n, m, 3);
    auto snap = backoffice::publish(req, again, *key, *rng);
    if (!snap.ok()) return fail("publish: " + snap.error().message);
    std::atomic<bool> syncing{true};
    Status sync_status = ok_status();
    double sync_s = 0;
    std::thread sync_thread([&] {
      auto t = Clock::now();
      auto cache = store::CacheWriter::open(cache_path);
      if (!cache.ok()) {
        sync_status = cache.error();
      } else {
        feed::DirectoryFeedSource source(feed_dir);
        auto r = feed::sync_once(source, *cache, key->public_key(), now);
        if (!r.ok()) sync_status = r.error();
      }
      sync_s = seconds_since(t);
      syncing = false;
    });
    Latency during = decide_while(validator, n, syncing, 50'000'000, now);
    sync_thread.join();
    if (!sync_status.ok()) return fail("background sync: " + sync_status.error().message);
    during.print("during a snapshot sync");
    std::printf("    (the background snapshot sync took %.1f s)\n", sync_s);
  }

  // (f)
  // After (e), RSS includes the file pages CacheReader maps (PRAGMA mmap_size, up to 256 MiB):
  // page cache the kernel can drop, not heap. The line after (d) is the publisher's and sync's.
  std::printf("(f) peak RSS: %.1f MiB (from (e) on, with the reader's mmap of the cache file)\n",
              peak_rss_mib());
  std::filesystem::remove_all(dir);
  return 0;
}
