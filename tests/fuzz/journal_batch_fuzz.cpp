// The journal batch codec (firmware/store/journal_batch.h) from both ends: a batch as the
// collector receives it and a reply as the gate receives it. What parses must encode to text
// that parses to the same batch or reply.
#include "firmware/store/journal_batch.h"
#include "tests/fuzz/fuzz_target.h"

using gate::fuzz::fuzz_require;

namespace {

bool same(const gate::store::JournalBatch& a, const gate::store::JournalBatch& b) {
  if (a.gate != b.gate || a.chain_start != b.chain_start || a.rows.size() != b.rows.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.rows.size(); ++i) {
    if (a.rows[i].seq != b.rows[i].seq || a.rows[i].body != b.rows[i].body ||
        a.rows[i].mac != b.rows[i].mac) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = gate::fuzz::as_text(data, size);
  if (auto batch = gate::store::parse_batch(text)) {
    fuzz_require(!batch->rows.empty() && batch->rows.size() <= gate::store::kMaxBatchRows,
                 "batch row count");
    fuzz_require(gate::store::valid_batch_gate(batch->gate), "batch gate id");
    auto again = gate::store::parse_batch(gate::store::encode_batch(*batch));
    fuzz_require(again && same(*batch, *again), "batch round trip");
    fuzz_require(again->id() == batch->id(), "batch id round trip");
  }
  if (auto reply = gate::store::parse_reply(text)) {
    auto again = gate::store::parse_reply(gate::store::encode_reply(*reply));
    fuzz_require(again && *again == *reply, "reply round trip");
  }
  return 0;
}
