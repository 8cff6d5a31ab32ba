// The journal uploader against an in-memory collector that keeps the contract of journal_batch.h:
// it verifies every new row with verify_chain from the last row it holds, requires a row it holds
// already to come back byte-identical, and acknowledges what it holds. Batches, their ids, the
// persisted acknowledgement, retries after failures and lost replies, pruning, the log lines by
// change, stop() during a post, wake(), and the back-off schedule.
#include "firmware/sync/journal_uploader.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sim/devices/sim_clock.h"
#include "tests/firmware/store/journal_fixture.h"
#include "tests/support/log_capture.h"

using namespace std::chrono;
using namespace gate::store::testing;
using gate::Instant;
using gate::LogLevel;
using gate::store::BatchReply;
using gate::store::ChainProblem;
using gate::store::ChainRow;
using gate::store::Journal;
using gate::store::JournalBatch;
using gate::sync::JournalUploader;
using gate::sync::JournalUploaderConfig;
using gate::sync::next_upload_delay;

namespace {

const Instant kT0 = sys_days{2022y / May / 23} + 5h;

// One gate's rows as the collector holds them.
struct FakeCollector {
  gate::store::ChainKey key = test_key();
  std::map<std::uint64_t, ChainRow> held;
  std::uint64_t rows_stored = 0;        // each row counted once, when first stored
  std::vector<std::string> posted_ids;  // every post the gate made, in order (failed ones too)

  // Scripted trouble: posts that fail before reaching the collector, and posts whose rows are
  // stored but whose reply is lost.
  int refuse_next = 0;
  int lose_next_replies = 0;

  // A post that waits until interrupted (for stop()).
  std::mutex mutex;
  std::condition_variable changed;
  bool hang = false;
  bool hanging = false;
  bool interrupted = false;

  BatchReply receive(const JournalBatch& batch) {
    const std::uint64_t last_held = held.empty() ? 0 : held.rbegin()->first;
    std::vector<ChainRow> fresh;
    for (const ChainRow& row : batch.rows) {
      if (row.seq <= last_held) {
        auto it = held.find(row.seq);
        if (it == held.end() || it->second.body != row.body || it->second.mac != row.mac) {
          return BatchReply{last_held, ChainProblem::altered, row.seq};
        }
        continue;
      }
      fresh.push_back(row);
    }
    auto anchor = held.empty() ? gate::store::chain_start_anchor(key, batch.chain_start)
                               : gate::Result<gate::store::ChainAnchor>(gate::store::ChainAnchor{
                                     last_held + 1, held.rbegin()->second.mac});
    REQUIRE(anchor.ok());
    auto verdict = gate::store::verify_chain(key, *anchor, fresh);
    REQUIRE(verdict.ok());
    for (const ChainRow& row : fresh) {
      if (verdict->problem != ChainProblem::none && row.seq >= verdict->seq) break;
      held[row.seq] = row;
      ++rows_stored;
    }
    return BatchReply{held.empty() ? 0 : held.rbegin()->first, verdict->problem, verdict->seq};
  }
};

class FakePoster final : public gate::sync::BatchPoster {
 public:
  explicit FakePoster(FakeCollector& c) : c_(c) {}
  gate::Result<BatchReply> post(const JournalBatch& batch) override {
    c_.posted_ids.push_back(batch.id());
    {
      std::unique_lock<std::mutex> lock(c_.mutex);
      if (c_.hang) {
        c_.hanging = true;
        c_.changed.notify_all();
        c_.changed.wait(lock, [this] { return c_.interrupted; });
      }
      if (c_.interrupted) return gate::make_error(gate::Errc::io_error, "https: interrupted");
    }
    if (c_.refuse_next > 0) {
      --c_.refuse_next;
      return gate::make_error(gate::Errc::io_error, "connect: Connection refused");
    }
    BatchReply reply = c_.receive(batch);
    if (c_.lose_next_replies > 0) {
      --c_.lose_next_replies;
      return gate::make_error(gate::Errc::timeout, "waiting for the response head: timed out");
    }
    return reply;
  }
  void interrupt() override {
    std::lock_guard<std::mutex> lock(c_.mutex);
    c_.interrupted = true;
    c_.changed.notify_all();
  }
  void clear_interrupt() override {
    std::lock_guard<std::mutex> lock(c_.mutex);
    c_.interrupted = false;
  }

 private:
  FakeCollector& c_;
};

struct Gate {
  TempDir dir;
  std::string path = dir.file("journal.db");
  Journal journal = open_journal(path);  // the loop's connection
  gate::sim::SimClock clock{kT0};
  FakeCollector collector;
  int appended = 0;

  JournalUploaderConfig config(std::size_t batch_rows = 3) const {
    JournalUploaderConfig c;
    c.journal_path = path;
    c.key = test_key();
    c.batch_rows = batch_rows;
    return c;
  }
  std::unique_ptr<JournalUploader> uploader(JournalUploaderConfig c) {
    auto made =
        JournalUploader::create(std::move(c), std::make_unique<FakePoster>(collector), clock);
    INFO((made ? std::string() : made.error().message));
    REQUIRE(made.ok());
    return std::move(made).value();
  }
  std::unique_ptr<JournalUploader> uploader() { return uploader(config()); }
  // `n` decisions stamped `at`.
  void append_rows(int n, Instant at = kT0) {
    for (int i = 0; i < n; ++i) {
      ++appended;
      append(journal, decision("tu:31051700101709" + std::to_string(10000 + appended), at));
    }
  }
  std::uint64_t acked() { return journal.acknowledged().value(); }
  std::size_t rows_left() { return read_all(journal).size(); }
};

}  // namespace

TEST_CASE("upload schedule: interval when caught up, 1 s doubling to the maximum after failures",
          "[uploader]") {
  const gate::Duration interval = seconds(10);
  const gate::Duration max = minutes(5);
  CHECK(next_upload_delay(interval, max, 0) == interval);
  CHECK(next_upload_delay(interval, max, 1) == seconds(1));
  CHECK(next_upload_delay(interval, max, 2) == seconds(2));
  CHECK(next_upload_delay(interval, max, 4) == seconds(8));
  CHECK(next_upload_delay(interval, max, 9) == seconds(256));
  CHECK(next_upload_delay(interval, max, 10) == max);  // 512 s capped
  CHECK(next_upload_delay(interval, max, 100000) == max);
}

TEST_CASE("JournalUploader: rows go in batches of upload_batch rows, named by their seqs",
          "[uploader]") {
  gate::test::LogCapture logs;
  Gate g;
  g.append_rows(7);
  auto up = g.uploader();
  CHECK(up->status().pending == 7);
  auto round = up->run_once(kT0);
  REQUIRE(round.ok());
  CHECK(round->batches == 3);
  CHECK(round->rows_acked == 7);
  CHECK(round->pending == 0);
  CHECK(g.collector.posted_ids ==
        std::vector<std::string>{"L1-S07-G03:1-3", "L1-S07-G03:4-6", "L1-S07-G03:7-7"});
  CHECK(g.collector.rows_stored == 7);
  CHECK(g.acked() == 7);
  CHECK(up->status().acked == 7);
  CHECK(up->status().pending == 0);

  // Caught up: the next round sends nothing; new rows go in the next batch.
  REQUIRE(up->run_once(kT0).ok());
  CHECK(g.collector.posted_ids.size() == 3);
  g.append_rows(2);
  REQUIRE(up->run_once(kT0).ok());
  CHECK(g.collector.posted_ids.back() == "L1-S07-G03:8-9");
  CHECK(g.acked() == 9);
  CHECK(logs.messages(LogLevel::info, "upload").empty());  // no line per batch or round
  CHECK(logs.messages(LogLevel::warning, "upload").empty());
}

TEST_CASE("JournalUploader: the acknowledgement survives a restart, nothing is sent twice",
          "[uploader]") {
  gate::test::LogCapture logs;
  Gate g;
  g.append_rows(5);
  REQUIRE(g.uploader()->run_once(kT0).ok());
  CHECK(g.collector.posted_ids.size() == 2);
  auto again = g.uploader();  // a new process: a new journal connection
  CHECK(again->status().acked == 5);
  CHECK(again->status().pending == 0);
  REQUIRE(again->run_once(kT0).ok());
  CHECK(g.collector.posted_ids.size() == 2);
}

TEST_CASE("JournalUploader: after a failed post the same rows go again, under the same id",
          "[uploader]") {
  gate::test::LogCapture logs;
  Gate g;
  g.append_rows(4);
  auto up = g.uploader();
  g.collector.refuse_next = 1;
  auto failed = up->run_once(kT0);
  REQUIRE_FALSE(failed.ok());
  CHECK_THAT(failed.error().message, Catch::Contains("Connection refused"));
  CHECK(up->status().failures == 1);
  CHECK(up->status().pending == 4);
  CHECK_THAT(up->status().last_error, Catch::Contains("Connection refused"));
  CHECK(g.acked() == 0);

  REQUIRE(up->run_once(kT0).ok());
  CHECK(g.collector.posted_ids ==
        std::vector<std::string>{"L1-S07-G03:1-3", "L1-S07-G03:1-3", "L1-S07-G03:4-4"});
  CHECK(up->status().failures == 0);
  CHECK(up->status().last_error.empty());
  CHECK(g.acked() == 4);
}

TEST_CASE("JournalUploader: a lost reply resends the batch, and the collector stores it once",
          "[uploader]") {
  gate::test::LogCapture logs;
  Gate g;
  g.append_rows(6);
  auto up = g.uploader();
  g.collector.lose_next_replies = 1;  // rows 1-3 stored, the gate never hears it
  REQUIRE_FALSE(up->run_once(kT0).ok());
  CHECK(g.collector.held.size() == 3);
  CHECK(g.acked() == 0);
  REQUIRE(up->run_once(kT0).ok());
  CHECK(g.collector.posted_ids ==
        std::vector<std::string>{"L1-S07-G03:1-3", "L1-S07-G03:1-3", "L1-S07-G03:4-6"});
  CHECK(g.collector.rows_stored == 6);  // not 9
  CHECK(g.acked() == 6);
}

TEST_CASE("JournalUploader: prunes acknowledged rows past the retention, never pending ones",
          "[uploader]") {
  gate::test::LogCapture logs;
  Gate g;
  g.append_rows(4, kT0);            // old
  g.append_rows(2, kT0 + days(9));  // recent
  JournalUploaderConfig c = g.config();
  c.retention = days(7);
  auto up = g.uploader(c);
  const Instant now = kT0 + days(10);

  // The collector is down: nothing acknowledged, nothing pruned however old.
  g.collector.refuse_next = 1;
  REQUIRE_FALSE(up->run_once(now).ok());
  CHECK(g.rows_left() == 6);
  CHECK(up->status().pruned == 0);

  auto round = up->run_once(now);
  REQUIRE(round.ok());
  CHECK(round->pruned == 4);
  CHECK(g.rows_left() == 2);  // acknowledged, but within the retention
  CHECK(up->status().pruned == 4);
  CHECK(up->status().acked == 6);
  // Appending continues the chain, and the collector takes the next rows as they come.
  g.append_rows(1, now);
  REQUIRE(up->run_once(now).ok());
  CHECK(g.acked() == 7);
  CHECK(g.collector.held.size() == 7);
}

TEST_CASE("JournalUploader: one warning when the collector goes away, one line when it is back",
          "[uploader]") {
  gate::test::LogCapture logs;
  Gate g;
  g.append_rows(2);
  auto up = g.uploader();
  g.collector.refuse_next = 3;
  for (int i = 0; i < 3; ++i) REQUIRE_FALSE(up->run_once(kT0).ok());
  CHECK(up->status().failures == 3);
  auto warnings = logs.messages(LogLevel::warning, "upload");
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], Catch::StartsWith("journal upload failing: collector: connect: "
                                            "Connection refused; retrying, backoff up to 5min"));
  REQUIRE(up->run_once(kT0).ok());
  auto infos = logs.messages(LogLevel::info, "upload");
  REQUIRE(infos.size() == 1);
  CHECK(infos[0] == "journal upload resumed: 2 row(s) acknowledged, 0 pending");
  REQUIRE(up->run_once(kT0).ok());
  CHECK(logs.messages(LogLevel::info, "upload").size() == 1);
}

TEST_CASE(
    "JournalUploader: a refused chain is one error per distinct problem, rows before it "
    "acknowledged",
    "[uploader]") {
  gate::test::LogCapture logs;
  Gate g;
  g.append_rows(6);
  // Someone edits row 5 in the gate's file.
  REQUIRE(gate::store::exec(g.journal.db(),
                            "UPDATE journal SET body = replace(body, 'open', 'deny') WHERE seq = 5")
              .ok());
  auto up = g.uploader();
  for (int i = 0; i < 2; ++i) {
    auto r = up->run_once(kT0);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == "collector refused the journal chain: altered at seq 5");
  }
  CHECK(g.acked() == 4);
  CHECK(g.collector.held.size() == 4);
  auto errors = logs.messages(LogLevel::error, "upload");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] ==
        "collector refused the journal chain: altered at seq 5 (acknowledged up to seq 4); "
        "retrying every 5min");
  CHECK(logs.messages(LogLevel::warning, "upload").empty());

  // Another problem is another line: row 5 deleted now.
  REQUIRE(gate::store::exec(g.journal.db(), "DELETE FROM journal WHERE seq = 5").ok());
  REQUIRE_FALSE(up->run_once(kT0).ok());
  errors = logs.messages(LogLevel::error, "upload");
  REQUIRE(errors.size() == 2);
  CHECK_THAT(errors[1], Catch::StartsWith("collector refused the journal chain: gap at seq 5"));
}

TEST_CASE("JournalUploader: stop() ends a post in progress, the batch goes again later",
          "[uploader]") {
  gate::test::LogCapture logs;
  Gate g;
  g.append_rows(2);
  auto up = g.uploader();
  {
    std::lock_guard<std::mutex> lock(g.collector.mutex);
    g.collector.hang = true;
  }
  up->start();
  {
    std::unique_lock<std::mutex> lock(g.collector.mutex);
    REQUIRE(g.collector.changed.wait_for(lock, seconds(10), [&] { return g.collector.hanging; }));
    g.collector.hang = false;
  }
  up->stop();  // returns only once the thread ended: the interrupt reached the post
  CHECK(up->status().attempts == 1);
  CHECK(g.acked() == 0);
  CHECK(logs.messages(LogLevel::warning, "upload").empty());  // shutting down is no outage

  REQUIRE(up->run_once(kT0).ok());
  CHECK(g.collector.posted_ids == std::vector<std::string>{"L1-S07-G03:1-2", "L1-S07-G03:1-2"});
  CHECK(g.acked() == 2);
}

TEST_CASE("JournalUploader: the thread uploads at start and again when woken", "[uploader]") {
  gate::test::LogCapture logs;
  Gate g;
  g.append_rows(2);
  JournalUploaderConfig c = g.config();
  c.interval = hours(1);  // only wake() brings the second round
  auto up = g.uploader(c);
  up->start();
  auto first = up->wait_for_attempts(1, seconds(10));
  CHECK(first.attempts == 1);
  CHECK(first.acked == 2);
  g.append_rows(3);
  up->wake();
  auto second = up->wait_for_attempts(2, seconds(10));
  CHECK(second.attempts == 2);
  CHECK(second.acked == 5);
  CHECK(second.pending == 0);
  up->stop();
}

TEST_CASE("JournalUploader: refuses a batch size outside 1..kMaxBatchRows", "[uploader]") {
  Gate g;
  for (std::size_t rows : {std::size_t{0}, gate::store::kMaxBatchRows + 1}) {
    auto made =
        JournalUploader::create(g.config(rows), std::make_unique<FakePoster>(g.collector), g.clock);
    REQUIRE_FALSE(made.ok());
    CHECK_THAT(made.error().message, Catch::StartsWith("upload_batch"));
  }
}
