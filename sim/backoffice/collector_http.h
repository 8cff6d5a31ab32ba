// The collector's HTTP face (issue 7's contract, firmware/store/journal_batch.h): POST /batches
// with a GJB1 batch → 200 + GJA1 reply (every row held), 409 + reply with the problem (the rows
// before the bad one held and acknowledged), 400 malformed (or an Idempotency-Key that is not the
// batch's id), 403 a gate without a secret, 413 more than kMaxBatchRows rows (the server refuses
// bodies over kCollectorMaxBodyBytes before reading them), 415 another Content-Type, 500 when the
// database fails (nothing acknowledged: the gate sends again). Anything but POST /batches is 404.
#pragma once

#include <cstddef>

#include "sim/backoffice/collector.h"
#include "sim/https_server/https_server.h"

namespace gate::backoffice {

// A full batch of long records fits with room to spare (kMaxBatchRows rows of a few hundred bytes).
inline constexpr std::size_t kCollectorMaxBodyBytes = 4u << 20;

// Answers one request; called on the HTTPS server's thread.
sim::HttpReply handle_collector_request(Collector& collector, const sim::HttpRequest& request);

}  // namespace gate::backoffice
