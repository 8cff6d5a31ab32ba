// The uploader's HTTPS poster against a real nginx (host builds only): what it sends (the batch
// text, its content type and Idempotency-Key) and how it maps the collector's statuses: 200 and
// 409 carry a reply, every other status is an error naming it.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "firmware/store/journal_batch.h"
#include "firmware/sync/journal_uploader.h"
#include "tests/firmware/sync/nginx_fixture.h"
#include "tests/support/https_test_config.h"
#include "tests/support/log_capture.h"
#include "tests/support/temp_dir.h"

using gate::store::BatchReply;
using gate::store::ChainProblem;
using gate::sync::HttpsBatchPoster;

namespace {

struct Collector {
  gate::test::TempDir dir;
  gate::test::TestPki pki = gate::test::make_test_pki(dir.path());
  gate::test::NginxServer nginx{dir.path(), pki, dir.file("www")};
  Collector() { nginx.start(); }
  std::unique_ptr<HttpsBatchPoster> poster(const std::string& path) const {
    auto made = HttpsBatchPoster::create(
        gate::test::local_https_config("https://127.0.0.1:" + std::to_string(nginx.port()) + path,
                                       pki.ca_cert, "localhost", std::chrono::seconds(10)));
    REQUIRE(made);
    return std::move(made).value();
  }
};

gate::store::JournalBatch batch() {
  gate::store::JournalBatch b;
  b.gate = "L1-S07-G03";
  b.rows.push_back({1, R"({"kind":"event","ts_us":1})", gate::store::Mac{}});
  b.rows.push_back({2, R"({"kind":"event","ts_us":2})", gate::store::Mac{}});
  return b;
}

}  // namespace

TEST_CASE("HttpsBatchPoster: POSTs the batch text to <collector_url>batches", "[https][poster]") {
  gate::test::LogCapture logs;
  Collector c;
  auto r = c.poster("/post/")->post(batch());
  // The echo location answers with a line of its own, which is no reply.
  REQUIRE_FALSE(r);
  CHECK(r.error().code == gate::Errc::malformed);
  CHECK(c.nginx.post_log(1) == "application/x-gate-journal-batch L1-S07-G03:1-2 " +
                                   gate::store::encode_batch(batch()) + "|\n");
  CHECK(logs.messages(gate::LogLevel::warning, "sync").empty());  // the uploader logs, not it
}

TEST_CASE("HttpsBatchPoster: 200 and 409 are replies, other statuses errors", "[https][poster]") {
  gate::test::LogCapture logs;
  Collector c;
  auto acked = c.poster("/post/acked/")->post(batch());
  REQUIRE(acked);
  CHECK(*acked == BatchReply{2, ChainProblem::none, 0});
  auto conflict = c.poster("/post/conflict/")->post(batch());
  REQUIRE(conflict);
  CHECK(*conflict == BatchReply{1, ChainProblem::gap, 2});

  auto forbidden = c.poster("/post/forbidden/")->post(batch());
  REQUIRE_FALSE(forbidden);
  CHECK(forbidden.error().message ==
        "collector answered HTTP 403 (the collector has no secret for this gate)");
  auto busy = c.poster("/post/status/")->post(batch());
  REQUIRE_FALSE(busy);
  CHECK(busy.error().code == gate::Errc::io_error);
  CHECK_THAT(busy.error().message, Catch::StartsWith("collector answered HTTP 503"));
  auto garbled = c.poster("/post/garbled/")->post(batch());
  REQUIRE_FALSE(garbled);
  CHECK(garbled.error().code == gate::Errc::malformed);
  CHECK_THAT(garbled.error().message, Catch::StartsWith("collector's HTTP 200 reply: "));
}
