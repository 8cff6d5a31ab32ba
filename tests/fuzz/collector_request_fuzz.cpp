// The collector's request handling (sim/backoffice/collector_http.h) on a POST /batches body, and
// the secrets file parser on the raw input. The first byte is flags; the rest is the body. With
// flag bit 0 a parsed batch of the known gate has its macs recomputed under the gate's secret, so
// the chain verifies and the path that stores rows and reads their JSON bodies is reached (the
// fuzzer cannot forge a mac). The collector lives in an in-memory database, fresh per input.
// Promises checked: only the statuses of the contract, a reply that parses on 200 and 409, and a
// repeated request (a retry after a lost reply) answered with the same status and the same
// acknowledgement. The problem a 409 names may differ on the retry: the first request's good rows
// are held by then, and a row at or below them is judged against the held one (`altered`), not
// against the chain (corpus/collector_request/retry-of-duplicate-seq: two rows with seq 1 are
// `reordered` at 2 the first time, `altered` at 1 the second; the gate's acknowledgement is 1
// both times).
#include <set>
#include <string>

#include "firmware/store/journal_batch.h"
#include "firmware/store/journal_chain.h"
#include "sim/backoffice/collector.h"
#include "sim/backoffice/collector_http.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

using gate::fuzz::fuzz_require;

constexpr std::string_view kGate = "L1-S07-G03";
const std::string kSecret(gate::store::kMinJournalSecretBytes, '\x5a');

// Chains the rows of `batch` from its chain_start under the known secret, in the order given.
bool resign(gate::store::JournalBatch& batch) {
  const gate::store::ChainKey key{kSecret, std::string(kGate)};
  auto anchor = gate::store::chain_start_anchor(key, batch.chain_start);
  if (!anchor) return false;
  gate::store::Mac prev = anchor->prev;
  for (gate::store::ChainRow& row : batch.rows) {
    auto mac = gate::store::chain_mac(kSecret, prev, row.seq, row.body);
    if (!mac) return false;
    row.mac = *mac;
    prev = *mac;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)gate::backoffice::parse_gate_secrets(gate::fuzz::as_text(data, size));

  gate::fuzz::FuzzInput input(data, size);
  const std::uint8_t flags = input.byte();
  std::string body(gate::fuzz::as_text(input.rest().data(), input.rest().size()));

  gate::sim::HttpRequest request;
  request.method = "POST";
  request.target = "/batches";
  request.headers.emplace_back("Content-Type", std::string(gate::store::kBatchContentType));
  if (auto batch = gate::store::parse_batch(body)) {
    if ((flags & 1) != 0 && batch->gate == kGate && resign(*batch)) {
      body = gate::store::encode_batch(*batch);
    }
    request.headers.emplace_back("Idempotency-Key", batch->id());
  }
  request.body = std::move(body);

  auto collector = gate::backoffice::Collector::open(
      ":memory:", gate::backoffice::GateSecrets{{std::string(kGate), kSecret}});
  fuzz_require(collector.ok(), "in-memory collector opens");
  const gate::sim::HttpReply first = gate::backoffice::handle_collector_request(*collector, request);
  static const std::set<int> kContract = {200, 400, 403, 409, 413};
  fuzz_require(kContract.contains(first.status), "a status of the contract");
  if (first.status == 200 || first.status == 409) {
    fuzz_require(gate::store::parse_reply(first.body).ok(), "the reply parses");
  }
  const gate::sim::HttpReply again = gate::backoffice::handle_collector_request(*collector, request);
  fuzz_require(again.status == first.status, "a repeated request gets the same status");
  if (first.status == 200) {
    fuzz_require(again.body == first.body, "a repeated stored batch gets the same reply");
  } else if (first.status == 409) {
    fuzz_require(gate::store::parse_reply(again.body)->acked ==
                     gate::store::parse_reply(first.body)->acked,
                 "a repeated refused batch gets the same acknowledgement");
  }
  return 0;
}
