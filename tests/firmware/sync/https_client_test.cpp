// The HTTPS client against a real nginx and a PKI made with openssl (host builds only).
#include "firmware/sync/https_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "tests/firmware/sync/nginx_fixture.h"
#include "tests/support/https_test_config.h"
#include "tests/support/log_capture.h"
#include "tests/support/loopback.h"
#include "tests/support/temp_dir.h"

using namespace std::chrono;
using gate::sync::HttpsClient;
using gate::sync::HttpsClientConfig;
using gate::test::NginxServer;
using gate::test::random_bytes;

namespace {

void write_file(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string body_text(const gate::sync::HttpResponse& r) {
  return std::string(r.body.begin(), r.body.end());
}

// A temp dir with a PKI, a document root and a running nginx.
struct Site {
  gate::test::TempDir dir;
  gate::test::TestPki pki = gate::test::make_test_pki(dir.path());
  std::string root = dir.file("www");
  std::string small = random_bytes(100'000, 1);
  std::string large = random_bytes(6 << 20, 2);
  NginxServer nginx{dir.path(), pki, root, "8m"};
  Site() {
    write_file(root + "/feed/snapshot.bin", small);
    write_file(root + "/slow/large.bin", large);
    nginx.start();
  }
  HttpsClientConfig config(std::uint16_t port = 0) const {
    // mbedTLS 2.28 matches DNS names only, not IP addresses: the name is "localhost".
    return gate::test::local_https_config(
        "https://127.0.0.1:" + std::to_string(port ? port : nginx.port()) + "/feed/", pki.ca_cert,
        "localhost", seconds(20));
  }
  std::unique_ptr<HttpsClient> client(const HttpsClientConfig& c) const {
    auto made = HttpsClient::create(c);
    REQUIRE(made);
    return std::move(made).value();
  }
};

}  // namespace

TEST_CASE("HttpsClient: fetches a file byte-exact, a Range tail, and a 404", "[https]") {
  gate::test::LogCapture logs;
  Site site;
  auto client = site.client(site.config());
  auto whole = client->get("snapshot.bin");
  REQUIRE(whole);
  CHECK(whole->head.status == 200);
  CHECK(whole->head.content_length == site.small.size());
  CHECK_FALSE(whole->head.etag.empty());
  CHECK(body_text(*whole) == site.small);

  auto tail = client->get("snapshot.bin", 99'000);
  REQUIRE(tail);
  CHECK(tail->head.status == 206);
  CHECK(tail->head.content_range == "bytes 99000-99999/100000");
  CHECK(body_text(*tail) == site.small.substr(99'000));

  auto missing = client->get("absent.bin");
  REQUIRE(missing);
  CHECK(missing->head.status == 404);
}

TEST_CASE("HttpsClient: a download longer than its bound is refused before a byte is kept",
          "[https]") {
  gate::test::LogCapture logs;
  Site site;
  auto client = site.client(site.config());
  const std::string target = site.dir.file("bounded.bin");
  auto refused = client->download("snapshot.bin", target, site.small.size() - 1);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == gate::Errc::malformed);
  CHECK_THAT(refused.error().message, Catch::StartsWith("size: the server's file is 100000 bytes"));
  CHECK(std::filesystem::file_size(target) == 0);
  // A partial copy resumed with Range counts what it holds: 99,000 kept + 1,000 sent > 99,999.
  std::ofstream(target, std::ios::binary) << site.small.substr(0, 99'000);
  REQUIRE_FALSE(client->download("snapshot.bin", target, site.small.size() - 1));
  auto exact = client->download("snapshot.bin", target, site.small.size());
  REQUIRE(exact);
  CHECK(read_file(target) == site.small);
}

TEST_CASE("HttpsClient: keep-alive reuses one TLS connection, reconnects after a restart",
          "[https]") {
  gate::test::LogCapture logs;
  Site site;
  auto client = site.client(site.config());
  for (int i = 0; i < 3; ++i) REQUIRE(client->get("snapshot.bin"));
  CHECK(client->connections_opened() == 1);
  // nginx's own view: one connection, requests 1, 2, 3 on it.
  std::istringstream log(site.nginx.access_log());
  std::string connection, first_connection;
  int requests = 0, status = 0;
  std::string uri;
  for (int i = 1; i <= 3; ++i) {
    REQUIRE(log >> connection >> requests >> status >> uri);
    if (i == 1) first_connection = connection;
    CHECK(connection == first_connection);
    CHECK(requests == i);
    CHECK(status == 200);
  }

  // A restart closes the kept-alive connection: the next request opens a new one by itself.
  site.nginx.stop(SIGTERM);
  site.nginx.start();
  auto again = client->get("snapshot.bin");
  REQUIRE(again);
  CHECK(body_text(*again) == site.small);
  CHECK(client->connections_opened() == 2);
}

TEST_CASE("HttpsClient: refuses a server the CA did not sign, or with another name", "[https]") {
  gate::test::LogCapture logs;
  Site site;
  HttpsClientConfig wrong_ca = site.config();
  wrong_ca.ca_file = site.pki.other_ca_cert;
  auto r = site.client(wrong_ca)->get("snapshot.bin");
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("certificate verification failed") &&
                                    Catch::Contains("not correctly signed by the trusted CA"));

  HttpsClientConfig wrong_name = site.config();
  wrong_name.server_name = "feed.example.net";
  auto named = site.client(wrong_name)->get("snapshot.bin");
  REQUIRE_FALSE(named);
  CHECK_THAT(named.error().message,
             Catch::Contains("certificate verification failed") && Catch::Contains("CN"));
  CHECK(logs.messages(gate::LogLevel::warning, "sync").size() == 2);  // once per failure
}

TEST_CASE("HttpsClient: mutual TLS with a client certificate, refused without", "[https]") {
  gate::test::LogCapture logs;
  Site site;
  HttpsClientConfig with_cert = site.config(site.nginx.mtls_port());
  with_cert.client_cert_file = site.pki.client_cert;
  with_cert.client_key_file = site.pki.client_key;
  auto ok = site.client(with_cert)->get("snapshot.bin");
  REQUIRE(ok);
  CHECK(ok->head.status == 200);
  CHECK(body_text(*ok) == site.small);

  auto without = site.client(site.config(site.nginx.mtls_port()))->get("snapshot.bin");
  REQUIRE(without);
  CHECK(without->head.status == 400);  // nginx: "No required SSL certificate was sent"
  CHECK(without->body.size() < 1000);
}

TEST_CASE("HttpsClient: refuses a body over the configured maximum", "[https]") {
  gate::test::LogCapture logs;
  Site site;
  HttpsClientConfig c = site.config();
  c.max_body_bytes = 1000;
  auto r = site.client(c)->get("snapshot.bin");
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("body too large: 100000 bytes > 1000"));
}

TEST_CASE("HttpsClient: nginx killed mid-download, download resumes with Range", "[https]") {
  gate::test::LogCapture logs;
  Site site;
  const std::string target = site.dir.file("large.bin");
  auto client = site.client(site.config());
  gate::Result<gate::sync::DownloadResult> first = gate::make_error(gate::Errc::io_error, "");
  std::thread downloading([&] { first = client->download("/slow/large.bin", target); });
  const auto bound = steady_clock::now() + seconds(10);
  while (steady_clock::now() < bound) {
    std::error_code ec;
    if (std::filesystem::file_size(target, ec) >= (512u << 10) && !ec) break;
    std::this_thread::sleep_for(milliseconds(2));  // watching the transfer progress
  }
  site.nginx.stop(SIGKILL);
  downloading.join();
  REQUIRE_FALSE(first);
  CHECK_THAT(first.error().message, Catch::Contains("closed mid-body after"));
  const auto partial = std::filesystem::file_size(target);
  CHECK(partial >= (512u << 10));
  CHECK(partial < site.large.size());

  site.nginx.start();
  auto resumed = client->download("/slow/large.bin", target);
  REQUIRE(resumed);
  CHECK(resumed->resumed_from == partial);
  CHECK(resumed->size == site.large.size());
  CHECK(read_file(target) == site.large);
  CHECK_THAT(site.nginx.access_log(), Catch::Contains(" 206 /slow/large.bin"));

  auto complete = client->download("/slow/large.bin", target);  // 416: nothing left to fetch
  REQUIRE(complete);
  CHECK(complete->resumed_from == site.large.size());
  CHECK(read_file(target) == site.large);
}

// A TLS "server" that listens and never answers: the kernel completes TCP, nobody answers the
// ClientHello; and a client for it that trusts a real CA.
struct SilentServer {
  gate::test::LogCapture logs;
  gate::test::TempDir dir;
  const gate::test::TestPki pki = gate::test::make_test_pki(dir.path());
  gate::test::SilentListener listener;

  std::unique_ptr<HttpsClient> client(milliseconds handshake_timeout) const {
    HttpsClientConfig c;
    c.base_url = "https://127.0.0.1:" + std::to_string(listener.port()) + "/";
    c.ca_file = pki.ca_cert;
    c.handshake_timeout = handshake_timeout;
    auto made = HttpsClient::create(c);
    REQUIRE(made);
    return std::move(*made);
  }
};

TEST_CASE("HttpsClient: a server that never speaks times the handshake out", "[https]") {
  SilentServer silent;
  auto client = silent.client(milliseconds(300));
  const auto start = steady_clock::now();
  auto r = client->get("x");
  const auto took = steady_clock::now() - start;
  REQUIRE_FALSE(r);
  CHECK(r.error().code == gate::Errc::timeout);
  CHECK_THAT(r.error().message, Catch::Contains("handshake") && Catch::Contains("timed out"));
  CHECK(took >= milliseconds(290));
  CHECK(took < milliseconds(1500));
}

TEST_CASE("HttpsClient: a closed port is refused at once", "[https]") {
  gate::test::LogCapture logs;
  gate::test::TempDir dir;
  const gate::test::TestPki pki = gate::test::make_test_pki(dir.path());
  HttpsClientConfig c;
  c.base_url = "https://127.0.0.1:" + std::to_string(gate::test::free_port()) + "/";
  c.ca_file = pki.ca_cert;
  auto client = HttpsClient::create(c);
  REQUIRE(client);
  const auto start = steady_clock::now();
  auto r = (*client)->get("x");
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("Connection refused"));
  CHECK(steady_clock::now() - start < milliseconds(500));
}

TEST_CASE("HttpsClient: the server name defaults to the URL's host", "[https]") {
  gate::test::LogCapture logs;
  Site site;
  HttpsClientConfig by_address = site.config();
  by_address.server_name.clear();  // 127.0.0.1: mbedTLS 2.28 matches DNS names, not IP addresses
  auto r = site.client(by_address)->get("snapshot.bin");
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("CN"));

  HttpsClientConfig by_name = site.config();
  by_name.base_url = "https://localhost:" + std::to_string(site.nginx.port()) + "/feed/";
  by_name.server_name.clear();
  auto named = site.client(by_name)->get("snapshot.bin");
  REQUIRE(named);
  CHECK(body_text(*named) == site.small);
}

TEST_CASE("HttpsClient: a 200 to a Range request starts the file over", "[https]") {
  gate::test::LogCapture logs;
  Site site;
  write_file(site.root + "/norange/snapshot.bin", site.small);
  const std::string target = site.dir.file("snapshot.bin");
  write_file(target, "stale partial bytes");
  auto client = site.client(site.config());
  auto r = client->download("/norange/snapshot.bin", target);
  REQUIRE(r);
  CHECK(r->resumed_from == 0);
  CHECK(r->size == site.small.size());
  CHECK(read_file(target) == site.small);

  auto got = client->get("/norange/snapshot.bin", 1000);
  REQUIRE(got);
  CHECK(got->head.status == 200);
  CHECK(body_text(*got) == site.small);
}

TEST_CASE("HttpsClient: interrupt() ends a wait on a silent server at once", "[https]") {
  SilentServer silent;
  auto client = silent.client(seconds(60));
  gate::Result<gate::sync::HttpResponse> r = gate::make_error(gate::Errc::io_error, "not run");
  std::thread getting([&] { r = client->get("x"); });
  pollfd pending{silent.listener.fd(), POLLIN, 0};
  const bool connected = ::poll(&pending, 1, 5000) == 1;  // the TCP connection is queued
  const auto asked = steady_clock::now();
  client->interrupt();
  getting.join();
  const auto took = steady_clock::now() - asked;
  CHECK(connected);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("interrupted"));
  CHECK(took < seconds(5));  // a hang guard: the handshake alone would wait 60 s

  auto again = client->get("x");  // still interrupted until cleared
  REQUIRE_FALSE(again);
  CHECK_THAT(again.error().message, Catch::Contains("interrupted"));
  client->clear_interrupt();
}

TEST_CASE("HttpsClient: post() sends the body, its type and extra headers", "[https][post]") {
  gate::test::LogCapture logs;
  Site site;
  auto client = site.client(site.config());
  const std::string batch = "GJB1 L1-S07-G03 1 1\n1 " + std::string(64, 'a') + " {\"kind\":1}\n";
  auto r = client->post("/post/batches", "application/x-gate-journal-batch", batch,
                        {{"Idempotency-Key", "L1-S07-G03:1-1"}});
  REQUIRE(r);
  CHECK(r->head.status == 200);
  CHECK(body_text(*r) == "POST /post/batches application/x-gate-journal-batch " +
                             std::to_string(batch.size()) + " L1-S07-G03:1-1\n");
  // A body larger than one write piece (64 KiB) arrives whole, on the same connection.
  const std::string large = random_bytes(300'000, 3);
  std::string printable;
  for (char c : large) printable += static_cast<char>('a' + static_cast<unsigned char>(c) % 26);
  auto big = client->post("/post/big", "text/plain", printable);
  REQUIRE(big);
  CHECK(big->head.status == 200);
  CHECK(client->connections_opened() == 1);
  CHECK(site.nginx.post_log(2) == "application/x-gate-journal-batch L1-S07-G03:1-1 " + batch +
                                      "|\ntext/plain  " + printable + "|\n");
}

TEST_CASE("HttpsClient: post() returns the server's refusals as responses", "[https][post]") {
  gate::test::LogCapture logs;
  Site site;
  auto client = site.client(site.config());
  auto too_large = client->post("/post/small/batches", "text/plain", std::string(2000, 'x'));
  REQUIRE(too_large);
  CHECK(too_large->head.status == 413);
  auto busy = client->post("/post/status/batches", "text/plain", "x");
  REQUIRE(busy);
  CHECK(busy->head.status == 503);
  CHECK(body_text(*busy) == "busy\n");
}

TEST_CASE("HttpsClient: post() refuses header text that would break the request's lines",
          "[https][post]") {
  gate::test::LogCapture logs;
  gate::test::TempDir dir;
  HttpsClientConfig c;
  c.base_url = "https://127.0.0.1:" + std::to_string(gate::test::free_port()) + "/";
  c.ca_file = gate::test::make_test_pki(dir.path()).ca_cert;
  auto client = HttpsClient::create(c);
  REQUIRE(client);
  for (const gate::sync::HttpHeader& bad : std::vector<gate::sync::HttpHeader>{
           {"Idempotency-Key", "a\r\nX-Injected: 1"}, {"Bad Name", "v"}, {"", "v"}}) {
    auto r = (*client)->post("batches", "text/plain", "x", {bad});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == gate::Errc::invalid_argument);
  }
  auto type = (*client)->post("batches", "text/plain\nX: y", "x");
  REQUIRE_FALSE(type);
  CHECK(type.error().code == gate::Errc::invalid_argument);
  CHECK((*client)->connections_opened() == 0);  // refused before connecting
}

TEST_CASE("HttpsClient: a POST on a connection the server closed is sent again on a new one",
          "[https][post]") {
  gate::test::LogCapture logs;
  Site site;
  auto client = site.client(site.config());
  REQUIRE(client->post("/post/one", "text/plain", "first")->head.status == 200);
  REQUIRE(site.nginx.post_log(1) == "text/plain  first|\n");
  site.nginx.stop(SIGTERM);
  site.nginx.start();
  auto again = client->post("/post/two", "text/plain", "second");
  REQUIRE(again);
  CHECK(again->head.status == 200);
  CHECK(client->connections_opened() == 2);
  CHECK(site.nginx.post_log(2) == "text/plain  first|\ntext/plain  second|\n");
}

TEST_CASE("HttpsClient: interrupt() ends a POST waiting on a silent server", "[https][post]") {
  SilentServer silent;
  auto client = silent.client(seconds(60));
  gate::Result<gate::sync::HttpResponse> r = gate::make_error(gate::Errc::io_error, "not run");
  std::thread posting([&] { r = client->post("batches", "text/plain", "x"); });
  pollfd pending{silent.listener.fd(), POLLIN, 0};
  const bool connected = ::poll(&pending, 1, 5000) == 1;
  client->interrupt();
  posting.join();
  CHECK(connected);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("interrupted"));
  CHECK(silent.logs.messages(gate::LogLevel::warning, "sync").size() == 1);
  CHECK_THAT(silent.logs.messages(gate::LogLevel::warning, "sync").front(),
             Catch::StartsWith("POST /batches: "));
  client->clear_interrupt();
}
