// The loopback HTTPS server (sim/https_server) with a handler: request bodies read by
// Content-Length (pipelined, across TLS records), the server's own refusals (413 before reading,
// 411, 400, 431), a persistent TLS identity reused across restarts on a fixed port, and its
// directory's damaged or half-made states.
#include "sim/https_server/https_server.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "firmware/sync/https_client.h"
#include "sim/https_server/loopback_pki.h"
#include "sim/ride_code/pem_file.h"
#include "tests/support/https_test_config.h"
#include "tests/support/loopback.h"
#include "tests/support/raw_tls_client.h"
#include "tests/support/temp_dir.h"

using namespace std::chrono;
using gate::sim::HttpReply;
using gate::sim::HttpRequest;
using gate::sim::HttpsServer;
using gate::sim::HttpsServerOptions;
using gate::test::raw_tls_exchange;
using gate::test::split_raw_responses;
using gate::test::TempDir;

namespace {

// Answers every request with what it received: "METHOD TARGET <body bytes> <X-Tag>" and the body.
HttpReply echo(const HttpRequest& r) {
  HttpReply reply =
      HttpReply::text(201, r.method + " " + r.target + " " + std::to_string(r.body.size()) + " " +
                               std::string(r.header("x-tag").value_or("-")) + "\n" + r.body);
  reply.headers.emplace_back("X-Echo", "yes");
  return reply;
}

std::unique_ptr<HttpsServer> start(HttpsServerOptions o, gate::sim::HttpHandler handler = echo) {
  o.io_timeout = seconds(2);
  auto started = HttpsServer::start(std::move(o), std::move(handler));
  REQUIRE(started.ok());
  return std::move(started).value();
}

std::string read_file(const std::string& path) {
  auto text = gate::sim::read_small_file(path);
  REQUIRE(text.ok());
  return *text;
}

std::string post(const std::string& target, const std::string& body,
                 const std::string& extra = "") {
  return "POST " + target +
         " HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         extra + "\r\n" + body;
}

}  // namespace

TEST_CASE("https server: pipelined POST bodies reach the handler whole and in order") {
  TempDir dir;
  HttpsServerOptions o;
  o.ca_cert_path = dir.file("ca.pem");
  o.max_body_bytes = 200'000;
  auto server = start(o);
  // Bodies spanning several TLS records, and one empty, in one write; the last request closes.
  const std::string big = gate::test::random_bytes(150'000, 7);
  std::string request = post("/a", big, "X-Tag: first\r\n") + post("/b", "") +
                        post("/c", "tail", "Connection: close\r\n");
  auto responses = split_raw_responses(raw_tls_exchange(server->port(), o.ca_cert_path, request));
  REQUIRE(responses.size() == 3);
  CHECK(responses[0].status_line == "HTTP/1.1 201 Created");
  CHECK(responses[0].head.find("\r\nX-Echo: yes") != std::string::npos);
  CHECK(responses[0].body == "POST /a 150000 first\n" + big);
  CHECK(responses[1].body == "POST /b 0 -\n");
  CHECK(responses[2].body == "POST /c 4 -\ntail");
  CHECK(responses[2].head.find("\r\nConnection: close") != std::string::npos);
  CHECK(server->responses() == 3);
}

TEST_CASE("https server: refusals without the handler: 413, 411, 400, 431, each closing") {
  TempDir dir;
  HttpsServerOptions o;
  o.ca_cert_path = dir.file("ca.pem");
  o.max_body_bytes = 100;
  int handled = 0;
  auto server = start(o, [&](const HttpRequest& r) {
    ++handled;
    return echo(r);
  });
  struct Case {
    const char* what;
    std::string request;
    const char* status;
  };
  const Case cases[] = {
      // Refused from its Content-Length, before the body is read: the body is never sent here.
      {"body too large", "POST /x HTTP/1.1\r\nContent-Length: 101\r\n\r\n", "413"},
      {"POST without length", "POST /x HTTP/1.1\r\nHost: localhost\r\n\r\n", "411"},
      {"chunked", "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "411"},
      {"two lengths", "POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
       "400"},
      {"length not a number", "POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "400"},
      {"not HTTP", "HELLO\r\n\r\n", "400"},
      {"head too large", "GET /x HTTP/1.1\r\nX-Pad: " + std::string(9000, 'p') + "\r\n\r\n", "431"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    // A second request after the refused one is never answered: the connection was closed.
    auto responses = split_raw_responses(
        raw_tls_exchange(server->port(), o.ca_cert_path, c.request + post("/after", "")));
    REQUIRE(responses.size() == 1);
    CHECK(responses[0].status_line.substr(9, 3) == c.status);
    CHECK(responses[0].head.find("\r\nConnection: close") != std::string::npos);
  }
  CHECK(handled == 0);
  // At the bound exactly, the handler sees it.
  auto ok = split_raw_responses(raw_tls_exchange(
      server->port(), o.ca_cert_path, post("/x", std::string(100, 'b'), "Connection: close\r\n")));
  REQUIRE(ok.size() == 1);
  CHECK(ok[0].status_line == "HTTP/1.1 201 Created");
  CHECK(handled == 1);
}

TEST_CASE("https server: a TLS dir and a fixed port survive a restart, clients keep their CA") {
  TempDir dir;
  const std::string tls = dir.file("tls");  // made by the first start
  HttpsServerOptions o;
  o.tls_dir = tls;
  auto first = start(o);
  const std::uint16_t port = first->port();
  CHECK(first->ca_cert_path() == tls + "/ca.pem");
  const std::string ca = read_file(tls + "/ca.pem");
  REQUIRE(ca.find("BEGIN CERTIFICATE") != std::string::npos);
  struct stat key_stat {};
  REQUIRE(::stat((tls + "/server.key").c_str(), &key_stat) == 0);
  CHECK((key_stat.st_mode & 0777) == 0600);
  // A client given the CA before the restart, in its own copy as a gate would hold it.
  std::filesystem::copy_file(tls + "/ca.pem", dir.file("gate-ca.pem"));
  // Connection: close makes the server close first, leaving its side in TIME_WAIT: the restart
  // below binds the port anyway (SO_REUSEADDR).
  auto before = split_raw_responses(
      raw_tls_exchange(port, dir.file("gate-ca.pem"), post("/one", "1", "Connection: close\r\n")));
  REQUIRE(before.size() == 1);
  first->stop();

  o.port = port;
  auto second = start(o);
  CHECK(second->port() == port);
  CHECK(read_file(tls + "/ca.pem") == ca);  // the same CA, not a new one
  auto after = split_raw_responses(
      raw_tls_exchange(port, dir.file("gate-ca.pem"), post("/two", "2", "Connection: close\r\n")));
  REQUIRE(after.size() == 1);
  CHECK(after[0].body == "POST /two 1 -\n2");

  // The gate's own client, with the copy, verifies the restarted server too.
  auto client = gate::sync::HttpsClient::create(gate::test::local_https_config(
      second->base_url(), dir.file("gate-ca.pem"), HttpsServer::server_name(), seconds(10)));
  REQUIRE(client.ok());
  auto got = (*client)->get("three");
  REQUIRE(got.ok());
  CHECK(got->head.status == 201);

  // While it listens, a second server on the same port is refused with the reason.
  auto clash = HttpsServer::start(o, echo);
  REQUIRE_FALSE(clash.ok());
  CHECK(clash.error().message.find("in use") != std::string::npos);
}

TEST_CASE("https server: a throwaway identity is not another server's, a TLS dir's is kept") {
  TempDir dir;
  HttpsServerOptions kept;
  kept.tls_dir = dir.file("tls");
  HttpsServerOptions throwaway;
  throwaway.ca_cert_path = dir.file("throwaway-ca.pem");
  auto a = start(kept);
  auto b = start(throwaway);
  CHECK(read_file(a->ca_cert_path()) != read_file(b->ca_cert_path()));
  // A client trusting the kept CA refuses the throwaway server.
  auto client = gate::sync::HttpsClient::create(gate::test::local_https_config(
      b->base_url(), a->ca_cert_path(), HttpsServer::server_name(), seconds(10)));
  REQUIRE(client.ok());
  CHECK_FALSE((*client)->get("x").ok());
  CHECK(b->responses() == 0);
}

TEST_CASE(
    "https server: a TLS dir with ca.pem but no server key is refused, a half-made one redone") {
  TempDir dir;
  const std::string tls = dir.file("tls");
  {
    HttpsServerOptions o;
    o.tls_dir = tls;
    start(o)->stop();
  }
  const std::string ca = read_file(tls + "/ca.pem");

  SECTION("damaged: the CA stays, the server refuses to start rather than make a new CA") {
    std::filesystem::remove(tls + "/server.key");
    HttpsServerOptions o;
    o.tls_dir = tls;
    auto started = HttpsServer::start(o, echo);
    REQUIRE_FALSE(started.ok());
    CHECK(started.error().code == gate::Errc::storage_error);
    CHECK(started.error().message.find("server.key") != std::string::npos);
    CHECK(read_file(tls + "/ca.pem") == ca);
  }
  SECTION("half-made (killed before ca.pem was in place): a new identity, complete") {
    std::filesystem::remove(tls + "/ca.pem");
    std::ofstream(tls + "/server.pem.tmp") << "left by the killed start";
    HttpsServerOptions o;
    o.tls_dir = tls;
    auto server = start(o);
    const std::string made = read_file(tls + "/ca.pem");
    CHECK(made.find("BEGIN CERTIFICATE") != std::string::npos);
    CHECK(made != ca);
    CHECK_FALSE(std::filesystem::exists(tls + "/server.pem.tmp"));
    auto got = split_raw_responses(
        raw_tls_exchange(server->port(), tls + "/ca.pem", post("/x", "", "Connection: close\r\n")));
    CHECK(got.size() == 1);
  }
}
