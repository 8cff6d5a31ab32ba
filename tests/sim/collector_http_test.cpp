// The collector's HTTP contract (sim/backoffice/collector_http.h, firmware/store/journal_batch.h):
// each status the contract names, from the handler directly, then through the real loopback
// HTTPS server with a raw TLS client (a batch acknowledged; a body over the bound refused before
// it is read).
#include "sim/backoffice/collector_http.h"

#include <catch2/catch.hpp>

#include "firmware/store/journal_batch.h"
#include "tests/sim/collector_fixture.h"
#include "tests/support/raw_tls_client.h"

using namespace gate::test::collector;
using gate::backoffice::handle_collector_request;
using gate::backoffice::kCollectorMaxBodyBytes;
using gate::sim::HttpReply;
using gate::sim::HttpRequest;
using gate::store::BatchReply;
using gate::store::ChainProblem;
using gate::test::TempDir;

namespace {

HttpRequest batch_request(const JournalBatch& batch) {
  HttpRequest r;
  r.method = "POST";
  r.target = "/batches";
  r.headers = {{"Content-Type", std::string(gate::store::kBatchContentType)},
               {"Idempotency-Key", batch.id()}};
  r.body = gate::store::encode_batch(batch);
  return r;
}

BatchReply reply_of(const HttpReply& r) {
  auto parsed = gate::store::parse_reply(r.body);
  INFO(r.body);
  REQUIRE(parsed.ok());
  return *parsed;
}

}  // namespace

TEST_CASE("collector http: 200 and 409 with the reply, 400, 403, 404, 413, 415") {
  TempDir dir;
  GateJournal g(dir, "L1-S07-G03");
  GateJournal stranger(dir, "L9-S99-G99");
  g.decisions(6);
  stranger.decisions(1);
  Collector c = open_collector(dir, secrets_for({&g}));
  auto handle = [&](const HttpRequest& r) { return handle_collector_request(c, r); };

  HttpReply first = handle(batch_request(g.batch(0, 3)));
  CHECK(first.status == 200);
  CHECK(first.body == "GJA1 acked=3\n");
  // Sent again (the reply was lost): 200, the same acknowledgement.
  CHECK(handle(batch_request(g.batch(0, 3))).body == "GJA1 acked=3\n");

  g.tamper("DELETE FROM journal WHERE seq = 5");
  HttpReply refused = handle(batch_request(g.batch(3)));
  CHECK(refused.status == 409);
  CHECK(reply_of(refused) == BatchReply{4, ChainProblem::gap, 5});

  HttpReply unknown = handle(batch_request(stranger.batch()));
  CHECK(unknown.status == 403);

  HttpRequest malformed = batch_request(g.batch(0, 3));
  malformed.body = "GJB1 L1-S07-G03 1 2\n1 00 {}\n";
  CHECK(handle(malformed).status == 400);

  HttpRequest wrong_key = batch_request(g.batch(0, 3));
  wrong_key.headers[1].second = "L1-S07-G03:1-4";
  CHECK(handle(wrong_key).status == 400);

  // More rows than a batch may hold, each well-formed: too large, not malformed.
  JournalBatch big = g.batch(0, 1);
  big.rows.resize(gate::store::kMaxBatchRows + 1, big.rows.front());
  CHECK(handle(batch_request(big)).status == 413);

  HttpRequest json = batch_request(g.batch(0, 3));
  json.headers[0].second = "application/json";
  CHECK(handle(json).status == 415);
  HttpRequest with_charset = batch_request(g.batch(0, 3));
  with_charset.headers[0].second += "; charset=utf-8";
  CHECK(handle(with_charset).status == 200);

  for (auto [method, target] : {std::pair{"GET", "/batches"}, std::pair{"POST", "/batch"},
                                std::pair{"POST", "/batches/1"}, std::pair{"PUT", "/batches"}}) {
    HttpRequest other = batch_request(g.batch(0, 3));
    other.method = method;
    other.target = target;
    INFO(method << " " << target);
    CHECK(handle(other).status == 404);
  }
  // None of the refusals moved the chain state.
  auto gates = c.gates();
  REQUIRE(gates.ok());
  REQUIRE(gates->size() == 1);
  CHECK(gates->front().rows == 4);
}

TEST_CASE(
    "collector http: through the HTTPS server, a batch acknowledged, an oversized body not read") {
  TempDir dir;
  GateJournal g(dir, "L1-S07-G03");
  g.decisions(5);
  Collector c = open_collector(dir, secrets_for({&g}));
  gate::sim::HttpsServerOptions o;
  o.tls_dir = dir.file("tls");
  o.max_body_bytes = kCollectorMaxBodyBytes;
  auto server = gate::sim::HttpsServer::start(
      o, [&](const HttpRequest& r) { return handle_collector_request(c, r); });
  REQUIRE(server.ok());

  auto ok = post_batch((*server)->port(), dir.file("tls/ca.pem"), g.batch());
  CHECK(ok.status_line == "HTTP/1.1 200 OK");
  CHECK(ok.body == "GJA1 acked=5\n");

  const std::string huge = "POST /batches HTTP/1.1\r\nHost: localhost\r\nContent-Length: " +
                           std::to_string(kCollectorMaxBodyBytes + 1) + "\r\n\r\n";
  auto refused = gate::test::split_raw_responses(
      gate::test::raw_tls_exchange((*server)->port(), dir.file("tls/ca.pem"), huge));
  REQUIRE(refused.size() == 1);
  CHECK(refused[0].status_line == "HTTP/1.1 413 Content Too Large");
}
