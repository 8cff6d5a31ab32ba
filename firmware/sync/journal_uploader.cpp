#include "firmware/sync/journal_uploader.h"

#include <algorithm>

#include "hal/log.h"

namespace gate::sync {
namespace {

constexpr const char* kTag = "upload";

// Rows per prune transaction: each one holds the journal's write lock while it deletes, and the
// decision loop's next append waits for it; a couple of hundred rows take milliseconds.
constexpr std::size_t kPruneChunk = 200;

// A reply is one short line; anything longer is not the collector speaking.
constexpr std::uint64_t kMaxReplyBytes = 4096;

std::string describe(Duration d) {
  using namespace std::chrono;
  if (d >= minutes(1) && d % minutes(1) == Duration::zero()) {
    return std::to_string(duration_cast<minutes>(d).count()) + "min";
  }
  if (d % seconds(1) == Duration::zero()) {
    return std::to_string(duration_cast<seconds>(d).count()) + "s";
  }
  return std::to_string(duration_cast<milliseconds>(d).count()) + "ms";
}

std::string refusal_text(const store::BatchReply& reply) {
  return std::string(store::chain_problem_name(reply.problem)) + " at seq " +
         std::to_string(reply.problem_seq);
}

// What each refusal status means for the gate; none of them changes by retrying at once.
std::string status_meaning(int status) {
  switch (status) {
    case 400:
      return " (batch malformed)";
    case 403:
      return " (the collector has no secret for this gate)";
    case 413:
      return " (batch too large: lower upload_batch)";
    default:
      return status >= 500 ? " (collector failing)" : "";
  }
}

}  // namespace

Result<std::unique_ptr<HttpsBatchPoster>> HttpsBatchPoster::create(HttpsClientConfig config) {
  config.log_failures = false;  // the uploader logs by change, not per request
  config.max_body_bytes = kMaxReplyBytes;
  GATE_TRY_ASSIGN(auto client, HttpsClient::create(std::move(config)));
  return std::unique_ptr<HttpsBatchPoster>(new HttpsBatchPoster(std::move(client)));
}

Result<store::BatchReply> HttpsBatchPoster::post(const store::JournalBatch& batch) {
  const std::string text = store::encode_batch(batch);
  GATE_TRY_ASSIGN(HttpResponse response,
                  client_->post("batches", store::kBatchContentType, text,
                                {HttpHeader{"Idempotency-Key", batch.id()}}));
  const int status = response.head.status;
  if (status != 200 && status != 409) {
    return make_error(status >= 500 ? Errc::io_error : Errc::invalid_argument,
                      "collector answered HTTP " + std::to_string(status) + status_meaning(status));
  }
  const std::string_view body(reinterpret_cast<const char*>(response.body.data()),
                              response.body.size());
  auto reply = store::parse_reply(body);
  if (!reply) {
    return make_error(Errc::malformed, "collector's HTTP " + std::to_string(status) +
                                           " reply: " + reply.error().message);
  }
  if (status == 409 && reply->problem == store::ChainProblem::none) {
    return make_error(Errc::malformed, "collector's HTTP 409 reply names no problem");
  }
  return *reply;
}

Duration next_upload_delay(Duration interval, Duration backoff_max, int consecutive_failures) {
  if (consecutive_failures <= 0) return interval;
  Duration delay = kFirstUploadRetry;
  for (int i = 1; i < consecutive_failures && delay < backoff_max; ++i) delay *= 2;
  return std::min(delay, backoff_max);
}

Result<std::unique_ptr<JournalUploader>> JournalUploader::create(
    JournalUploaderConfig config, std::unique_ptr<BatchPoster> poster, const hal::Clock& clock) {
  if (config.batch_rows == 0 || config.batch_rows > store::kMaxBatchRows) {
    return make_error(Errc::invalid_argument,
                      "upload_batch: must be 1.." + std::to_string(store::kMaxBatchRows) + " rows");
  }
  if (config.interval.count() <= 0 || config.backoff_max.count() <= 0) {
    return make_error(Errc::invalid_argument,
                      "upload_interval and upload_backoff_max must be positive");
  }
  if (config.retention.count() < 0) {
    return make_error(Errc::invalid_argument, "journal_retention: must not be negative");
  }
  if (!store::valid_batch_gate(config.key.gate)) {
    return make_error(Errc::invalid_argument,
                      "upload: gate id '" + config.key.gate + "' cannot name a batch");
  }
  if (!poster) return make_error(Errc::invalid_argument, "upload: no poster");
  GATE_TRY_ASSIGN(store::Journal journal, store::Journal::open(config.journal_path, config.key));
  std::unique_ptr<JournalUploader> u(
      new JournalUploader(std::move(config), std::move(poster), std::move(journal), clock));
  GATE_TRY_ASSIGN(u->status_.acked, u->journal_.acknowledged());
  GATE_TRY_ASSIGN(u->status_.pending, u->journal_.pending_count());
  return u;
}

JournalUploader::~JournalUploader() {
  stop();
}

UploadStatus JournalUploader::status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return status_;
}

UploadStatus JournalUploader::wait_for_attempts(std::uint64_t attempts,
                                                std::chrono::milliseconds bound) const {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, bound, [&] { return status_.attempts >= attempts; });
  return status_;
}

// Batches after the acknowledged seq until none is left. The acknowledgement is written after
// each batch: a round cut short (stop, power) resends at most the batch in flight.
Result<UploadOutcome> JournalUploader::upload() {
  UploadOutcome outcome;
  auto journal_error = [](const Error& e) { return make_error(e.code, "journal: " + e.message); };
  auto first = journal_.acknowledged();
  if (!first) return journal_error(first.error());
  std::uint64_t acked = *first;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stop_requested_) break;
    }
    auto rows = journal_.read_chain(acked, config_.batch_rows);
    if (!rows) return journal_error(rows.error());
    if (rows->empty()) break;
    store::JournalBatch batch{config_.key.gate, journal_.chain_start(), std::move(*rows)};
    const std::uint64_t last = batch.rows.back().seq;
    if (heartbeat_) heartbeat_->beat();
    auto reply = poster_->post(batch);
    if (heartbeat_) heartbeat_->beat();
    if (!reply) return make_error(reply.error().code, "collector: " + reply.error().message);
    ++outcome.batches;
    // The collector may hold more than this batch (another copy of the journal uploaded), but the
    // gate vouches only for what it sent.
    const std::uint64_t held = std::min(reply->acked, last);
    if (held > acked) {
      if (Status s = journal_.acknowledge(held); !s) return journal_error(s.error());
      outcome.rows_acked += held - acked;
      acked = held;
    }
    if (reply->problem != store::ChainProblem::none) {
      refusal_ = *reply;
      return make_error(Errc::malformed,
                        "collector refused the journal chain: " + refusal_text(*reply));
    }
    if (held < last) {
      // Without this the round would send the same rows forever.
      return make_error(Errc::malformed, "collector acknowledged batch " + batch.id() +
                                             " only up to seq " + std::to_string(reply->acked));
    }
  }
  return outcome;
}

// Acknowledged rows past the retention, in short transactions. A failure does not fail the round
// (the upload went through); it is logged once until pruning works again.
Result<std::size_t> JournalUploader::prune(Instant now) {
  std::size_t total = 0;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stop_requested_) break;
    }
    if (heartbeat_) heartbeat_->beat();
    GATE_TRY_ASSIGN(std::size_t n, journal_.prune(now - config_.retention, kPruneChunk));
    total += n;
    if (n < kPruneChunk) break;
  }
  return total;
}

void JournalUploader::report(const Result<UploadOutcome>& outcome) {
  bool stopping = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping = stop_requested_;
  }
  if (outcome) {
    if (unreachable_ || chain_refused_) {
      log(LogLevel::info, kTag,
          "journal upload resumed: " + std::to_string(outcome->rows_acked) +
              " row(s) acknowledged, " + std::to_string(outcome->pending) + " pending");
    }
    unreachable_ = false;
    chain_refused_ = false;
    last_refusal_.reset();
    return;
  }
  if (refusal_) {
    if (last_refusal_ != refusal_) {
      log(LogLevel::error, kTag,
          outcome.error().message + " (acknowledged up to seq " + std::to_string(refusal_->acked) +
              "); retrying every " + describe(config_.backoff_max));
    }
    last_refusal_ = refusal_;
    chain_refused_ = true;
    unreachable_ = false;
    return;
  }
  chain_refused_ = false;
  if (!unreachable_ && !stopping) {
    log(LogLevel::warning, kTag,
        "journal upload failing: " + outcome.error().message + "; retrying, backoff up to " +
            describe(config_.backoff_max));
    unreachable_ = true;
  }
}

Result<UploadOutcome> JournalUploader::run_once(Instant now) {
  std::lock_guard<std::mutex> run(run_mutex_);
  refusal_.reset();
  auto outcome = upload();
  auto pruned = prune(now);
  if (!pruned && !prune_failing_) {
    log(LogLevel::warning, kTag, "journal prune failed: " + pruned.error().message);
  }
  prune_failing_ = !pruned;
  auto pending = journal_.pending_count();
  auto acked = journal_.acknowledged();
  if (outcome) {
    outcome->pruned = pruned ? *pruned : 0;
    outcome->pending = pending ? *pending : 0;
  }
  report(outcome);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    status_.last_attempt = now;
    ++status_.attempts;
    if (pruned) status_.pruned += *pruned;
    if (pending) status_.pending = *pending;
    if (acked) status_.acked = *acked;
    status_.refusal = refusal_;
    if (outcome) {
      status_.last_success = now;
      status_.last_error.clear();
      status_.failures = 0;
    } else {
      status_.last_error = outcome.error().message;
      ++status_.failures;
    }
  }
  changed_.notify_all();
  return outcome;
}

void JournalUploader::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (thread_.joinable()) return;
  stop_requested_ = false;
  poster_->clear_interrupt();
  thread_ = std::thread([this] { thread_main(); });
}

void JournalUploader::wake() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    wake_requested_ = true;
  }
  changed_.notify_all();
}

void JournalUploader::thread_main() {
  std::unique_lock<std::mutex> lock(mutex_);
  int failures = 0;
  while (!stop_requested_) {
    wake_requested_ = false;  // a wake() during the round asks for another one
    lock.unlock();
    if (heartbeat_) heartbeat_->beat();
    failures = run_once(clock_.wall_now()).ok() ? 0 : failures + 1;
    if (heartbeat_) heartbeat_->rest();
    // A refused chain is not a network blip: only people can repair it.
    const Duration delay = chain_refused_
                               ? config_.backoff_max
                               : next_upload_delay(config_.interval, config_.backoff_max, failures);
    lock.lock();
    changed_.wait_for(lock, delay, [this] { return stop_requested_ || wake_requested_; });
  }
}

void JournalUploader::stop() {
  std::thread joining;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_requested_ = true;
    joining = std::move(thread_);
  }
  changed_.notify_all();
  if (!joining.joinable()) {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_requested_ = false;  // no thread: run_once keeps working for direct callers
    return;
  }
  poster_->interrupt();
  joining.join();
  poster_->clear_interrupt();
  std::lock_guard<std::mutex> lock(mutex_);
  stop_requested_ = false;
}

}  // namespace gate::sync
