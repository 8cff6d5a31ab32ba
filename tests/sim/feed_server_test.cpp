// The loopback feed server (sim/feed_server) against the gate's own HTTPS client: files byte-exact,
// a Range tail, a 404, a refused path, keep-alive over one connection, a client with another CA
// refusing it, a silent connection not holding others up, and stop() with a client connected.
#include "sim/feed_server/feed_server.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <random>

#include "firmware/sync/https_client.h"
#include "tests/support/https_test_config.h"
#include "tests/support/loopback.h"
#include "tests/support/raw_tls_client.h"
#include "tests/support/temp_dir.h"

using namespace std::chrono;
using gate::sim::FeedServer;
using gate::sim::FeedServerOptions;
using gate::sync::HttpsClient;
using gate::sync::HttpsClientConfig;
using gate::test::random_bytes;
using gate::test::TempDir;

namespace {

std::string text(const gate::sync::HttpResponse& r) {
  return {r.body.begin(), r.body.end()};
}

struct Site {
  TempDir dir;
  std::string root = dir.file("feed");
  std::string snapshot = random_bytes(300'000, 1);  // several TLS records and write chunks
  std::unique_ptr<FeedServer> server;

  explicit Site(const std::string& ca_name = "ca.pem") {
    std::filesystem::create_directory(root);
    std::ofstream(root + "/snapshot-1.gfd", std::ios::binary) << snapshot;
    std::ofstream(root + "/manifest.gfd", std::ios::binary) << "manifest";
    std::ofstream(dir.file("secret.txt")) << "outside the feed directory";
    FeedServerOptions o;
    o.root = root;
    o.ca_cert_path = dir.file(ca_name);
    o.io_timeout = seconds(2);
    auto started = FeedServer::start(o);
    REQUIRE(started.ok());
    server = std::move(started).value();
  }
  HttpsClientConfig config(const std::string& ca_file = "") const {
    return gate::test::local_https_config(server->base_url(),
                                          ca_file.empty() ? dir.file("ca.pem") : ca_file,
                                          FeedServer::server_name(), seconds(10));
  }
  std::unique_ptr<HttpsClient> client(const HttpsClientConfig& c) const {
    auto made = HttpsClient::create(c);
    REQUIRE(made.ok());
    return std::move(made).value();
  }
};

std::string raw_exchange(const Site& site, const std::string& request) {
  return gate::test::raw_tls_exchange(site.server->port(), site.dir.file("ca.pem"), request);
}

}  // namespace

TEST_CASE("feed server: pipelined requests are answered in order, the last one closing") {
  // Enough heads in one write that some wait decrypted inside mbedTLS, where poll() cannot see
  // them, while others are answered; padded to several sizes to vary where TLS records end.
  const std::size_t padding = GENERATE(range(600, 1000, 50));
  INFO("padding " << padding);
  Site site;
  std::string request;
  for (int i = 0; i < 40; ++i) {
    request +=
        "GET /manifest.gfd HTTP/1.1\r\nHost: localhost\r\nX-Padding: " + std::string(padding, 'p') +
        "\r\n\r\n";
  }
  request += "GET /snapshot-1.gfd HTTP/1.1\r\nHost: localhost\r\nRange: bytes=299990-\r\n\r\n";
  request += "GET /manifest.gfd HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  request += "GET /manifest.gfd HTTP/1.1\r\nHost: localhost\r\n\r\n";  // after close: unanswered
  auto responses = gate::test::split_raw_responses(raw_exchange(site, request));
  REQUIRE(responses.size() == 42);
  for (int i = 0; i < 40; ++i) {
    CHECK(responses[i].status_line == "HTTP/1.1 200 OK");
    CHECK(responses[i].body == "manifest");
  }
  CHECK(responses[40].status_line == "HTTP/1.1 206 Partial Content");
  CHECK(responses[40].body == site.snapshot.substr(299'990));
  CHECK(responses[41].body == "manifest");
}

TEST_CASE("feed server: a file byte-exact, a Range tail, 416 past the end, 404, a refused path") {
  Site site;
  auto client = site.client(site.config());
  auto whole = client->get("snapshot-1.gfd");
  REQUIRE(whole.ok());
  CHECK(whole->head.status == 200);
  CHECK(whole->head.content_length == site.snapshot.size());
  CHECK(text(*whole) == site.snapshot);

  auto tail = client->get("snapshot-1.gfd", 123'456);
  REQUIRE(tail.ok());
  CHECK(tail->head.status == 206);
  CHECK(tail->head.content_range == "bytes 123456-299999/300000");
  CHECK(text(*tail) == site.snapshot.substr(123'456));

  auto past = client->get("snapshot-1.gfd", 300'000);
  REQUIRE(past.ok());
  CHECK(past->head.status == 416);
  CHECK(past->head.content_range == "bytes */300000");

  auto missing = client->get("delta-9.gfd");
  REQUIRE(missing.ok());
  CHECK(missing->head.status == 404);

  for (const char* bad : {"/../secret.txt", "/feed/../secret.txt", "/.hidden", "/a/b", "/%2e%2e"}) {
    INFO(bad);
    auto refused = client->get(bad);
    REQUIRE(refused.ok());
    CHECK(refused->head.status == 400);
  }

  // download() into a file, as HttpsFeedSource uses it.
  auto got = client->download("snapshot-1.gfd", site.dir.file("copy.gfd"));
  REQUIRE(got.ok());
  std::ifstream copy(site.dir.file("copy.gfd"), std::ios::binary);
  CHECK(std::string(std::istreambuf_iterator<char>(copy), {}) == site.snapshot);
  CHECK(site.server->responses() == 10);
}

TEST_CASE("feed server: keep-alive serves consecutive requests on one connection") {
  Site site;
  auto client = site.client(site.config());
  for (int i = 0; i < 5; ++i) {
    auto r = client->get(i % 2 ? "manifest.gfd" : "snapshot-1.gfd");
    REQUIRE(r.ok());
    CHECK(r->head.status == 200);
    CHECK_FALSE(r->head.connection_close);
  }
  CHECK(client->connections_opened() == 1);
}

TEST_CASE("feed server: a client configured with another CA refuses it") {
  Site site;
  Site other("other-ca.pem");  // a second server with its own throwaway CA
  auto client = site.client(site.config(other.dir.file("other-ca.pem")));
  auto r = client->get("manifest.gfd");
  REQUIRE_FALSE(r.ok());
  INFO(r.error().message);
  CHECK(r.error().message.find("certificate") != std::string::npos);
  CHECK(site.server->responses() == 0);
  // The right CA still works, so the refusal was the CA's.
  CHECK(site.client(site.config())->get("manifest.gfd").ok());
}

TEST_CASE("feed server: a silent connection does not hold up a client") {
  Site site;
  // Connected, never says a word: the server must keep serving others meanwhile.
  gate::test::SilentClient silent(site.server->port());
  auto r = site.client(site.config())->get("manifest.gfd");
  REQUIRE(r.ok());
  CHECK(text(*r) == "manifest");
}

TEST_CASE("feed server: stop() with a client connected is prompt and the client then fails") {
  Site site;
  auto client = site.client(site.config());
  REQUIRE(client->get("manifest.gfd").ok());  // a kept-alive connection is open now
  auto t0 = steady_clock::now();
  site.server->stop();
  CHECK(steady_clock::now() - t0 < milliseconds(500));
  auto after = client->get("manifest.gfd");
  CHECK_FALSE(after.ok());  // the connection was closed and nobody listens any more
  site.server->stop();      // idempotent
}

TEST_CASE("feed server: a request with a body is refused and closed, a large one unread") {
  Site site;
  for (std::size_t size : {std::size_t{5}, std::size_t{64 * 1024 + 1}}) {
    INFO(size);
    // The large body is never sent: the server answers from the length alone.
    std::string request = "POST /manifest.gfd HTTP/1.1\r\nHost: localhost\r\nContent-Length: " +
                          std::to_string(size) + "\r\n\r\n" + (size == 5 ? "hello" : "") +
                          "GET /manifest.gfd HTTP/1.1\r\nHost: localhost\r\n\r\n";
    auto responses = gate::test::split_raw_responses(raw_exchange(site, request));
    REQUIRE(responses.size() == 1);  // the GET after it is not answered
    CHECK(responses[0].status_line ==
          (size == 5 ? "HTTP/1.1 400 Bad Request" : "HTTP/1.1 413 Content Too Large"));
  }
}
