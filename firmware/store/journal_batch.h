// The journal upload's wire format (issue 7): what a gate POSTs to the back office's collector and
// what the collector answers. Pure text codecs, no I/O; the gate (firmware/sync) and the collector
// (sim/backoffice) both link them.
//
// A batch is a run of chained journal rows, sent as text:
//   GJB1 <gate> <chain_start> <row count>\n
//   <seq> <mac: 64 lowercase hex digits> <body>\n        (once per row)
// `body` is the row's canonical JSON (journal.h), which never holds '\n' or '\r' (JSON escapes
// control characters), so a line is a row. The rows are sent as the journal holds them: parsing
// checks the form, not the order, so that a row deleted from the gate's file reaches the collector
// as a gap `verify_chain` names with its seq, instead of a refusal naming nothing.
//
// The gate POSTs it to `<collector_url>batches` with Content-Type kBatchContentType and the header
// `Idempotency-Key: <batch.id()>`. The collector answers with a reply:
//   GJA1 acked=<n>\n
//   GJA1 acked=<n> problem=<gap|altered|reordered|foreign_gate> seq=<m>\n
// `acked`: the collector holds every chained row of the gate up to n. A batch sent again (the
// reply was lost) is acknowledged, not stored twice; a row the collector holds already must be
// byte-identical to the held one. The gate marks acknowledged min(acked, the last seq it sent).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "firmware/store/journal_chain.h"
#include "hal/result.h"

namespace gate::store {

inline constexpr std::size_t kMaxBatchRows = 2000;
inline constexpr std::string_view kBatchContentType = "application/x-gate-journal-batch";

struct JournalBatch {
  std::string gate;               // the gate id of its records, [A-Za-z0-9._:-]{1,64}
  std::uint64_t chain_start = 1;  // the gate journal's chain_start()
  std::vector<ChainRow> rows;

  // "<gate>:<first seq>-<last seq>": the same rows give the same id, so a retry is recognised.
  std::string id() const;
};

// Whether `gate` may name a gate in a batch: 1-64 of [A-Za-z0-9._:-].
bool valid_batch_gate(std::string_view gate);

// The batch as text. The caller keeps rows non-empty and bodies free of '\n' and '\r' (every
// canonical body is), and the gate id valid.
std::string encode_batch(const JournalBatch& batch);

// Parses a batch. Errc::malformed, saying what and on which line, for anything not in the form
// above: a bad header, a row count that does not match the lines, an empty batch, more than
// `max_rows` rows, a seq of 0 or not a decimal, a mac not 64 lowercase hex digits, an empty body.
Result<JournalBatch> parse_batch(std::string_view text, std::size_t max_rows = kMaxBatchRows);

struct BatchReply {
  std::uint64_t acked = 0;                    // every chained row up to here is held
  ChainProblem problem = ChainProblem::none;  // why rows after `acked` were refused
  std::uint64_t problem_seq = 0;              // the first row at fault (with none: 0)
  bool operator==(const BatchReply&) const = default;
};

std::string encode_reply(const BatchReply& reply);
// Errc::malformed for anything but the two forms above.
Result<BatchReply> parse_reply(std::string_view text);

}  // namespace gate::store
