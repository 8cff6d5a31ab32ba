// The loopback feed server (sim/feed_server) against the gate's own HTTPS client: files byte-exact,
// a Range tail, a 404, a refused path, keep-alive over one connection, a client with another CA
// refusing it, a silent connection not holding others up, and stop() with a client connected.
#include "sim/feed_server/feed_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <random>

#include "firmware/sync/https_client.h"
#include "tests/support/temp_dir.h"

using namespace std::chrono;
using gate::sim::FeedServer;
using gate::sim::FeedServerOptions;
using gate::sync::HttpsClient;
using gate::sync::HttpsClientConfig;
using gate::test::TempDir;

namespace {

std::string random_bytes(std::size_t size, unsigned seed) {
  std::mt19937 gen(seed);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(gen());
  return out;
}

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
    HttpsClientConfig c;
    c.base_url = server->base_url();
    c.ca_file = ca_file.empty() ? dir.file("ca.pem") : ca_file;
    c.server_name = FeedServer::server_name();
    c.connect_timeout = seconds(2);
    c.handshake_timeout = seconds(2);
    c.io_timeout = seconds(2);
    c.request_timeout = seconds(10);
    return c;
  }
  std::unique_ptr<HttpsClient> client(const HttpsClientConfig& c) const {
    auto made = HttpsClient::create(c);
    REQUIRE(made.ok());
    return std::move(made).value();
  }
};

}  // namespace

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
  int raw = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(raw >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(site.server->port());
  REQUIRE(::connect(raw, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  // Connected, never says a word: the server must keep serving others meanwhile.
  auto r = site.client(site.config())->get("manifest.gfd");
  REQUIRE(r.ok());
  CHECK(text(*r) == "manifest");
  ::close(raw);
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
