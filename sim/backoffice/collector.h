// The reference back office's journal collector (issue 7): it takes the gates' journal batches
// (firmware/store/journal_batch.h) and keeps every chained row exactly once, in a SQLite file
// (WAL, synchronous=FULL: a batch is durable before it is acknowledged), for tracing.
//
// Per gate it holds the chain state: chain_start, the last row held (seq and mac) and the last
// refusal (problem and seq). accept() verifies a batch with store::verify_chain, continuing from
// the last row held (a gate's first batch from chain_start_anchor(key, chain_start)); a row at or
// below the last held seq is a retry after a lost acknowledgement and must be byte-identical to
// the held row (body and mac), otherwise it is `altered`. Rows before the first bad one are
// stored and acknowledged; the problem is logged (tag "collector": gate, problem, seq; never a
// body or a secret) and kept. A batch's chain_start counts only for the gate's first batch: a
// gate whose journal was replaced sends rows that do not match the ones held (`altered`).
//
// Each record keeps the gate's canonical JSON body and mac as received, and the columns tracing
// needs, read from the body: ts_us, gate, station (line + station of the gate id, "L1-S07" of
// "L1-S07-G03"), kind, direction, media, credential (the full key), outcome, reason, event.
//
// Tracing (README "gate-backoffice collect"): a passage is an `open` decision or a
// `staff_confirm` event (decisions.md: a staff_check opens only when staff confirm, and the
// confirmation is its own record; the staff_check decision itself is not a passage, so a
// confirmed check counts once). Both directions count. Time ranges are [from, to) on the
// record's ts. Results are the stored bodies in time order (ts, then gate, then seq).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firmware/store/journal_batch.h"
#include "firmware/store/sqlite.h"
#include "hal/result.h"
#include "hal/time.h"
#include "sim/backoffice/registry.h"

namespace gate::backoffice {

// Gate id → journal secret (raw bytes). Never logged.
using GateSecrets = std::map<std::string, std::string, std::less<>>;

// Parses a secrets file: one gate per line, `<gate id> <secret as hex digits>` (the same secret
// as the gate's journal_secret file, at least 64 hex digits); blank lines and lines starting
// with '#' are skipped. Errors (Errc::malformed) say `line N: …` and never show a secret.
Result<GateSecrets> parse_gate_secrets(std::string_view text);
Result<GateSecrets> read_gate_secrets(const std::string& path);

// What accept() did with a batch.
struct Acceptance {
  enum class Verdict {
    stored,        // every row held now (new ones stored, repeated ones identical): HTTP 200
    refused,       // the chain did not verify at reply.problem_seq: HTTP 409
    unknown_gate,  // no secret for the batch's gate: HTTP 403, nothing stored
  };
  Verdict verdict = Verdict::stored;
  store::BatchReply reply;   // acked: the last seq held for the gate after this batch
  std::uint64_t stored = 0;  // rows new to the collector
};

// One gate's state as `gate-backoffice gates` shows it.
struct GateSummary {
  std::string gate;
  std::uint64_t chain_start = 1;
  std::uint64_t last_seq = 0;  // chain_start - 1 while nothing is held
  std::uint64_t rows = 0;
  store::ChainProblem problem = store::ChainProblem::none;  // the last refusal
  std::uint64_t problem_seq = 0;
};

// A time range [from, to); an absent end is open.
struct TimeRange {
  std::optional<Instant> from;
  std::optional<Instant> to;
};

class Collector {
 public:
  // Opens (creating when missing) the collector's database at `path`.
  static Result<Collector> open(const std::string& path, GateSecrets secrets);

  // Verifies and stores `batch` in one transaction, durable when this returns. Fails only when
  // the database or the HMAC fails (nothing of the batch is then stored or acknowledged).
  Result<Acceptance> accept(const store::JournalBatch& batch);

  // Every gate the collector holds rows or a refusal for, by gate id.
  Result<std::vector<GateSummary>> gates();

  // The passages (bodies) of one credential key.
  Result<std::vector<std::string>> passages_of_credential(std::string_view credential,
                                                          const TimeRange& range);

  // The passages of every credential bound to `identity` in `registry` at the passage's time:
  // from the `since` of a binding record naming the identity with status active or lost (the
  // states that hold the identity's S5 slot) to the `since` of the credential's next binding
  // record, from the registry's change log. A card passing while unbound, or while bound to
  // someone else, is not the identity's.
  Result<std::vector<std::string>> passages_of_identity(Registry& registry,
                                                        std::string_view identity,
                                                        const TimeRange& range);

  // The passages with a credential at a station ("L1-S07"): every rider through it. Openings
  // without a credential (emergency, staff) are nobody's and left out.
  Result<std::vector<std::string>> passages_at_station(std::string_view station,
                                                       const TimeRange& range);

 private:
  Collector(store::DbHandle db, GateSecrets secrets)
      : db_(std::move(db)), secrets_(std::move(secrets)) {}
  Result<Acceptance> accept_in_transaction(const store::JournalBatch& batch,
                                           const std::string& secret);

  store::DbHandle db_;
  GateSecrets secrets_;
};

// The station of a gate id: its first two '-'-separated parts ("L1-S07" of "L1-S07-G03"), empty
// when the id does not have three parts (core::GateContext::gate_id() makes them).
std::string station_of_gate(std::string_view gate);

}  // namespace gate::backoffice
