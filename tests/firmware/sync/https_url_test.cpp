#include "firmware/sync/https_url.h"

#include <catch2/catch.hpp>

using namespace gate::sync;

TEST_CASE("parse_https_url: host, port and path", "[url]") {
  auto u = parse_https_url("https://feed.example.net:8443/gate/v1/");
  REQUIRE(u);
  CHECK(u->host == "feed.example.net");
  CHECK(u->port == 8443);
  CHECK(u->path == "/gate/v1/");
  auto plain = parse_https_url("https://127.0.0.1");
  REQUIRE(plain);
  CHECK(plain->port == 443);
  CHECK(plain->path == "/");
  auto v6 = parse_https_url("https://[::1]:9000/x");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == 9000);
}

TEST_CASE("parse_https_url: refuses what the client will not send", "[url]") {
  for (const char* bad :
       {"http://example.net/", "https://", "https:///path", "https://user:pw@example.net/",
        "https://example.net:/", "https://example.net:0/", "https://example.net:65536/",
        "https://example.net:8x/", "https://example.net/a b", "https://example.net/?q=1",
        "https://example.net/#frag", "https://[::1/", "https://[::1]x/", "ftp://example.net"}) {
    INFO(bad);
    auto r = parse_https_url(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == gate::Errc::invalid_argument);
  }
}

TEST_CASE("join_path: relative to the base path, absolute replaces it", "[url]") {
  CHECK(*join_path("/feed/", "delta/1.json") == "/feed/delta/1.json");
  CHECK(*join_path("/feed", "delta/1.json") == "/feed/delta/1.json");
  CHECK(*join_path("/feed/", "/other") == "/other");
  CHECK(*join_path("", "x") == "/x");
  CHECK_FALSE(join_path("/feed/", "a b"));
  CHECK_FALSE(join_path("/feed/", "a\r\nInjected: 1"));
}
