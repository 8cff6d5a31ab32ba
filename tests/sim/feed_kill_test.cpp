// Power loss during a sync: `gate-sim sync` (a snapshot and several deltas, large enough that a
// sync takes a while) is SIGKILLed at random points spread over a sync's measured duration. After
// every kill the cache must pass PRAGMA integrity_check and hold exactly one whole-sequence state
// (never fed, the snapshot, or the snapshot plus the first k deltas) — never half a file. Syncing
// again always reaches the final sequence. At least 20 kills must land inside a running sync.
#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "child_process.h"
#include "firmware/store/cache.h"
#include "firmware/store/iso_time.h"
#include "firmware/store/sqlite.h"
#include "tests/firmware/feed/feed_test_support.h"
#include "tests/support/temp_dir.h"

using gate::test::ChildProcess;
using gate::test::gate_sim;
using gate::test::run_to_end;

namespace {

constexpr int kCredentials = 150'000;
constexpr int kDeltas = 4;
constexpr int kDeltaChanges = 15'000;
constexpr int kKillsInside = 20;  // kills that must land while a sync runs
constexpr int kMaxRounds = 60;    // a bound: kills after a sync finished do not count
const std::string kSince = "2022-05-20T09:00:00+08:00";
const std::string kNow = "2023-11-14T22:30:00Z";  // within TestFeed's manifest lifetime

std::string cred(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "tu:31%017d", i);
  return buf;
}

std::string binding_line(int i, const std::string& status) {
  return R"({"type":"binding","credential":")" + cred(i) + R"(","identity":"id-)" +
         std::to_string(i / 2) + R"(","media":"card","status":")" + status + R"(","since":")" +
         kSince + "\"}\n";
}

std::string snapshot_lines() {
  std::string out;
  for (int i = 0; i < kCredentials; ++i) out += binding_line(i, "active");
  return out;
}

// Delta d: cards reported lost spread over the key range, and a few deleted.
std::string delta_lines(int d) {
  std::string out;
  for (int k = 0; k < kDeltaChanges; ++k) {
    int i = static_cast<int>((static_cast<long long>(k) * 7919 + d * 104729) % kCredentials);
    if (k % 10 == 0) {
      out += R"({"type":"delete","kind":"binding","credential":")" + cred(i) + "\"}\n";
    } else {
      out += binding_line(i, "lost");
    }
  }
  return out;
}

// The cache's state (every table, the sync state too) as a short fingerprint, or "absent".
std::string state_of(const std::string& path) {
  if (!std::filesystem::exists(path)) return "absent";
  auto db = gate::store::open_db(path, SQLITE_OPEN_READWRITE);
  REQUIRE(db.ok());
  auto check = gate::store::prepare(db->get(), "PRAGMA integrity_check");
  REQUIRE(check.ok());
  REQUIRE(sqlite3_step(check->get()) == SQLITE_ROW);
  CHECK(gate::store::column_text(check->get(), 0) == "ok");
  check->reset();
  auto version = gate::store::user_version(db->get());
  REQUIRE(version.ok());
  if (*version == 0) return "no schema";  // killed before the first migration committed
  return std::to_string(std::hash<std::string>()(feed_test::dump_cache(db->get())));
}

void remove_cache(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

}  // namespace

TEST_CASE("feed sync killed at random points leaves a whole sequence, and resumes to the end") {
  feed_test::TestFeed feed;
  gate::test::TempDir dir;
  const std::string pub = dir.file("feed.pub");
  std::ofstream(pub) << feed.key.public_key_pem().value();
  const gate::Instant now = *gate::store::parse_iso8601(kNow);

  // Publish the snapshot and the deltas, syncing a reference cache after each: the states a
  // killed sync may leave behind, by name.
  std::map<std::string, std::string> states;  // fingerprint -> name
  const std::string reference = dir.file("reference.db");
  {
    auto w = gate::store::CacheWriter::open(reference);
    REQUIRE(w.ok());
    states[std::to_string(std::hash<std::string>()(feed_test::dump_cache(w->db())))] = "empty";
  }
  std::string final_state;
  for (int step = 0; step <= kDeltas; ++step) {
    std::uint64_t seq = 10 + static_cast<std::uint64_t>(step) * 10;
    if (step == 0) {
      feed.publish(seq, snapshot_lines(), "", true);
    } else {
      feed.publish(seq, "", delta_lines(step));
    }
    auto w = gate::store::CacheWriter::open(reference);
    REQUIRE(w.ok());
    gate::feed::DirectoryFeedSource source(feed.path());
    auto r = gate::feed::sync_once(source, *w, feed.pub(), now);
    REQUIRE(r.ok());
    final_state = std::to_string(std::hash<std::string>()(feed_test::dump_cache(w->db())));
    states[final_state] = "sequence " + std::to_string(seq);
  }
  REQUIRE(states.size() == kDeltas + 2);

  const std::string cache = dir.file("cache.db");
  auto sync_args = gate_sim(
      {"sync", "--feed-dir", feed.path(), "--cache", cache, "--feed-key", pub, "--now", kNow});

  // One whole sync from nothing, timed: the range the kills are spread over.
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE(run_to_end(sync_args).exit_code == 0);
  const auto full =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  REQUIRE(state_of(cache) == final_state);
  remove_cache(cache);

  std::mt19937 rng(20261126);
  std::uniform_int_distribution<long> delay_ms(0, std::max<long>(1, full.count()));
  std::map<std::string, int> seen;
  int killed_mid_sync = 0;
  std::string state = "absent";
  int rounds = 0;
  for (int round = 0; killed_mid_sync < kKillsInside && round < kMaxRounds; ++round) {
    ++rounds;
    // Every other round starts from nothing; the others resume from the last kill's state.
    if (round % 2 == 0 || state == final_state) remove_cache(cache);
    ChildProcess child(sync_args);
    REQUIRE(child.started());
    // Waits up to the delay for the child's one line of output (it prints only when done).
    std::string line;
    bool finished = child.read_line(line, std::chrono::milliseconds(delay_ms(rng)));
    int status = child.kill_and_wait(SIGKILL);
    if (!finished && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) ++killed_mid_sync;
    state = state_of(cache);
    INFO("round " << round << ": state " << state);
    bool whole = state == "absent" || state == "no schema" || states.count(state) == 1;
    CHECK(whole);
    ++seen[states.count(state) ? states[state] : state];
  }
  for (const auto& [name, count] : seen) WARN(name << ": " << count << " kills");
  WARN(killed_mid_sync << " of " << rounds << " kills landed inside a sync");
  // Kills after a sync finished prove nothing: at least kKillsInside must land inside one.
  REQUIRE(killed_mid_sync >= kKillsInside);

  // Syncing to the end from wherever the last kill left the cache.
  for (int attempt = 0; attempt < 2 && state_of(cache) != final_state; ++attempt) {
    CHECK(run_to_end(sync_args).exit_code == 0);
  }
  CHECK(state_of(cache) == final_state);
  auto w = gate::store::CacheWriter::open(cache);
  REQUIRE(w.ok());
  CHECK(w->sync_state()->sequence == 10 + kDeltas * 10);
}
