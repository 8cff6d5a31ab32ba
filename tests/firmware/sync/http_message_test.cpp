#include "firmware/sync/http_message.h"

#include <catch2/catch.hpp>

using namespace gate::sync;

TEST_CASE("parse_response_head: status and the headers the client acts on", "[http]") {
  auto head = parse_response_head(
      "HTTP/1.1 206 Partial Content\r\nServer: nginx\r\ncontent-length: 10\r\n"
      "Content-Range: bytes 5-14/15\r\nETag: \"abc\"\r\nLast-Modified:  Tue, 01 Jan 2030 \r\n"
      "Connection: keep-alive");
  REQUIRE(head);
  CHECK(head->status == 206);
  CHECK(head->content_length == 10u);
  CHECK(head->content_range == "bytes 5-14/15");
  CHECK(head->etag == "\"abc\"");
  CHECK(head->last_modified == "Tue, 01 Jan 2030");
  CHECK_FALSE(head->chunked);
  CHECK_FALSE(head->connection_close);
}

TEST_CASE("parse_response_head: keep-alive defaults by HTTP version", "[http]") {
  CHECK_FALSE(parse_response_head("HTTP/1.1 200 OK")->connection_close);
  CHECK(parse_response_head("HTTP/1.0 200 OK")->connection_close);
  CHECK_FALSE(parse_response_head("HTTP/1.0 200 OK\r\nConnection: Keep-Alive")->connection_close);
  CHECK(parse_response_head("HTTP/1.1 200 OK\r\nConnection: close")->connection_close);
  CHECK(parse_response_head("HTTP/1.1 204 ")->status == 204);
  CHECK(parse_response_head("HTTP/1.1 204")->status == 204);
  CHECK(parse_response_head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked")->chunked);
}

TEST_CASE("parse_response_head: refuses malformed status lines and headers", "[http]") {
  for (const char* bad :
       {"", "HTTP/1.1", "HTTP/2 200 OK", "HTTP/1.1 2000 OK", "HTTP/1.1 20x OK", "HTTP/1.1  200 OK",
        "http/1.1 200 OK", "HTTP/1.1 099 Low", "ICY 200 OK", "HTTP/1.1 200OK"}) {
    INFO(bad);
    auto r = parse_response_head(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == gate::Errc::malformed);
  }
  CHECK_FALSE(parse_response_head("HTTP/1.1 200 OK\r\nno colon here"));
  CHECK_FALSE(parse_response_head("HTTP/1.1 200 OK\r\n: empty name"));
  CHECK_FALSE(parse_response_head("HTTP/1.1 200 OK\r\nContent-Length: -1"));
  CHECK_FALSE(parse_response_head("HTTP/1.1 200 OK\r\nContent-Length: 1 2"));
  CHECK_FALSE(parse_response_head("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999"));
  CHECK_FALSE(parse_response_head("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2"));
  CHECK(parse_response_head("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2"));
  CHECK_FALSE(parse_response_head("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip"));
}

TEST_CASE("parse_content_range: spans, totals and refusals", "[http]") {
  auto r = parse_content_range("bytes 100-199/1000");
  REQUIRE(r);
  CHECK(r->first == 100u);
  CHECK(r->last == 199u);
  CHECK(r->total == 1000u);
  auto unknown_total = parse_content_range("bytes 0-0/*");
  REQUIRE(unknown_total);
  CHECK_FALSE(unknown_total->total);
  auto unsatisfied = parse_content_range("bytes */1000");
  REQUIRE(unsatisfied);
  CHECK_FALSE(unsatisfied->first);
  CHECK(unsatisfied->total == 1000u);
  for (const char* bad : {"", "bytes", "items 0-1/2", "bytes 0-1", "bytes 5-4/10", "bytes 0-10/10",
                          "bytes */*", "bytes -1/10", "bytes 1-/10", "bytes a-b/c"}) {
    INFO(bad);
    CHECK_FALSE(parse_content_range(bad));
  }
}
