#include "sim/backoffice/collector_http.h"

#include <limits>

#include "firmware/store/journal_batch.h"

namespace gate::backoffice {

sim::HttpReply handle_collector_request(Collector& collector, const sim::HttpRequest& request) {
  using sim::HttpReply;
  if (request.method != "POST" || request.target != "/batches") {
    return HttpReply::text(404, "POST /batches only\n");
  }
  if (auto type = request.header("Content-Type")) {
    std::string_view media = type->substr(0, type->find(';'));
    while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
    if (media != store::kBatchContentType) {
      return HttpReply::text(415, "want " + std::string(store::kBatchContentType) + "\n");
    }
  }
  // Parsed without the row limit (the body is bounded already) so that too many rows is told
  // apart from a malformed batch: 413, the gate sends fewer.
  auto batch = store::parse_batch(request.body, std::numeric_limits<std::size_t>::max());
  if (!batch.ok()) return HttpReply::text(400, batch.error().message + "\n");
  if (batch->rows.size() > store::kMaxBatchRows) {
    return HttpReply::text(413, "more than " + std::to_string(store::kMaxBatchRows) + " rows\n");
  }
  if (auto key = request.header("Idempotency-Key"); key && *key != batch->id()) {
    return HttpReply::text(400, "Idempotency-Key is not the batch's id\n");
  }
  auto accepted = collector.accept(*batch);
  if (!accepted.ok()) return HttpReply::text(500, "collector: storage failed\n");
  switch (accepted->verdict) {
    case Acceptance::Verdict::unknown_gate:
      return HttpReply::text(403, "unknown gate\n");
    case Acceptance::Verdict::refused:
      return HttpReply::text(409, store::encode_reply(accepted->reply));
    case Acceptance::Verdict::stored:
      break;
  }
  return HttpReply::text(200, store::encode_reply(accepted->reply));
}

}  // namespace gate::backoffice
