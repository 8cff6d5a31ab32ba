// JournalUploader: sends the journal's chained rows to the back office's collector (issue 7),
// beside the decision loop on its own thread, its own connection to the collector and its own
// Journal connection on the same file (the loop's connection appends; WAL and the busy timeout let
// the two coexist). Rows go in batches (journal_batch.h) after the acknowledged seq; the
// collector's acknowledgement is persisted in the journal, so a restart, a lost reply or a power
// cut resends at most a batch the collector recognises by its id and does not store twice. Rows
// acknowledged and older than the retention are then pruned in small transactions.
//
// Logging is by change, not by batch: one warning when the collector becomes unreachable (with
// the reason), one line when uploads resume (rows acknowledged), and an error once per distinct
// chain refusal (the collector's 409: the problem and its seq). Bodies and secrets never appear.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "firmware/store/journal.h"
#include "firmware/store/journal_batch.h"
#include "firmware/sync/heartbeat.h"
#include "firmware/sync/https_client.h"
#include "hal/clock.h"
#include "hal/result.h"
#include "hal/time.h"

namespace gate::sync {

// How a batch reaches the collector: HTTPS in the gate, an in-memory collector in unit tests.
// post() returns the collector's reply (a chain refusal is a reply with a problem, not an error);
// an error is anything that leaves the batch's fate unknown (no answer, a refusal of the request).
class BatchPoster {
 public:
  virtual ~BatchPoster() = default;
  virtual Result<store::BatchReply> post(const store::JournalBatch& batch) = 0;
  // From any thread: the post in progress (and later ones, until clear_interrupt()) fails at once.
  virtual void interrupt() {}
  virtual void clear_interrupt() {}
};

// POSTs to `<collector_url>batches` (kBatchContentType, Idempotency-Key: the batch id). 200 and
// 409 carry a reply; 400, 403, 413, 5xx and anything else are errors naming the status.
class HttpsBatchPoster final : public BatchPoster {
 public:
  static Result<std::unique_ptr<HttpsBatchPoster>> create(HttpsClientConfig config);
  Result<store::BatchReply> post(const store::JournalBatch& batch) override;
  void interrupt() override { client_->interrupt(); }
  void clear_interrupt() override { client_->clear_interrupt(); }
  const HttpsClient& client() const { return *client_; }

 private:
  explicit HttpsBatchPoster(std::unique_ptr<HttpsClient> client) : client_(std::move(client)) {}
  std::unique_ptr<HttpsClient> client_;
};

struct JournalUploaderConfig {
  std::string journal_path;
  store::ChainKey key;                             // the loop's journal's: same secret, same gate
  std::size_t batch_rows = 500;                    // upload_batch, 1..kMaxBatchRows
  Duration interval = std::chrono::seconds(10);    // upload_interval: between rounds when caught up
  Duration backoff_max = std::chrono::minutes(5);  // upload_backoff_max
  Duration retention = std::chrono::hours(24 * 7);  // journal_retention: acknowledged rows kept
};

// A snapshot for other threads (status screens, tests).
struct UploadStatus {
  std::optional<Instant> last_attempt;
  std::optional<Instant> last_success;  // the last round that ended caught up
  std::uint64_t acked = 0;              // the journal's acknowledged seq
  std::uint64_t pending = 0;            // chained rows not yet acknowledged
  std::string last_error;               // empty after a good round
  std::uint64_t attempts = 0;           // rounds ended (run_once calls)
  std::uint64_t failures = 0;           // consecutive failed rounds (0 after a good one)
  std::uint64_t pruned = 0;             // rows pruned since start
  // The last round's chain refusal (the collector's 409: problem and seq), if it ended in one.
  // Retrying does not change it; only people can repair the journal.
  std::optional<store::BatchReply> refusal;
};

// What one good round did.
struct UploadOutcome {
  std::size_t batches = 0;
  std::uint64_t rows_acked = 0;  // how far the acknowledgement moved
  std::size_t pruned = 0;
  std::uint64_t pending = 0;  // after the round: rows appended meanwhile
};

// After a failed round the thread tries again after kFirstUploadRetry, doubling with each further
// failure up to `backoff_max` (a collector restarting is caught within seconds, a long outage
// costs a request every backoff_max). With no failure: `interval`.
inline constexpr Duration kFirstUploadRetry = std::chrono::seconds(1);
Duration next_upload_delay(Duration interval, Duration backoff_max, int consecutive_failures);

class JournalUploader {
 public:
  // Opens the uploader's own journal connection (the file must exist or is created like the
  // loop's). Connects nothing yet.
  static Result<std::unique_ptr<JournalUploader>> create(JournalUploaderConfig config,
                                                         std::unique_ptr<BatchPoster> poster,
                                                         const hal::Clock& clock);
  ~JournalUploader();  // stop()
  JournalUploader(const JournalUploader&) = delete;
  JournalUploader& operator=(const JournalUploader&) = delete;

  // One round at `now` on the calling thread (the upload thread calls it; tests and `gate-sim
  // upload` call it directly while no thread runs): batches after the acknowledged seq until
  // caught up, then pruning. An error when a batch failed or was refused (what was acknowledged
  // before it stays acknowledged).
  Result<UploadOutcome> run_once(Instant now);

  // Runs run_once(clock.wall_now()) at once, then every `interval`, sooner or later after failures
  // (next_upload_delay; a chain refusal retries at backoff_max: only people can fix it).
  void start();
  // Ends the thread promptly: the wait is woken, a post in progress interrupted (the batch is
  // sent again next time, and recognised). Idempotent.
  void stop();
  // An upload round now, whatever the wait (e.g. the disk budget wants acknowledged rows to prune).
  void wake();
  // Beaten by the upload thread around each step (each batch posted, each prune chunk) and rested
  // in its wait between rounds, for the runtime's watchdog health check. Set it before start();
  // it must outlive the thread.
  void set_heartbeat(Heartbeat* heartbeat) { heartbeat_ = heartbeat; }

  UploadStatus status() const;
  // Waits (at most `bound`) until at least `attempts` rounds have ended; the status then.
  UploadStatus wait_for_attempts(std::uint64_t attempts, std::chrono::milliseconds bound) const;

 private:
  JournalUploader(JournalUploaderConfig config, std::unique_ptr<BatchPoster> poster,
                  store::Journal journal, const hal::Clock& clock)
      : config_(std::move(config)),
        poster_(std::move(poster)),
        journal_(std::move(journal)),
        clock_(clock) {}
  Result<UploadOutcome> upload();
  Result<std::size_t> prune(Instant now);
  void report(const Result<UploadOutcome>& outcome);
  void thread_main();

  JournalUploaderConfig config_;
  std::unique_ptr<BatchPoster> poster_;
  store::Journal journal_;
  const hal::Clock& clock_;
  // Touched only by run_once (one at a time): the state the log lines follow.
  bool unreachable_ = false;
  bool chain_refused_ = false;
  std::optional<store::BatchReply> refusal_;       // this round's, if the collector refused
  std::optional<store::BatchReply> last_refusal_;  // logged already
  bool prune_failing_ = false;
  Heartbeat* heartbeat_ = nullptr;

  std::mutex run_mutex_;      // one run_once at a time
  mutable std::mutex mutex_;  // status_, stop_requested_, wake_requested_
  mutable std::condition_variable changed_;
  UploadStatus status_;
  bool stop_requested_ = false;
  bool wake_requested_ = false;
  std::thread thread_;
};

}  // namespace gate::sync
