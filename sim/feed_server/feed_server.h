// FeedServer: a small static-file HTTPS server on 127.0.0.1 for the simulator, serving one feed
// directory to the gate's own HttpsClient (firmware/sync). GET only: 200 with the file, `Range:
// bytes=N-` → 206 with Content-Range (416 past the end), 404 for a missing file, 400 for a path
// that is not one feed file name (1-128 of [A-Za-z0-9._-], not starting with '.': no `..`, no
// subdirectories), 400 for a request with a body (413 past 64 KiB, unread), closing.
// HTTP/1.1 keep-alive; `Connection: close` (and HTTP/1.0) closes after the response. Its TLS
// identity is a throwaway CA and a "localhost" certificate made at start
// (sim/https_server/loopback_pki.h); the CA certificate is written to a file for the client's
// ca_file.
//
// It is one handler on the loopback HttpsServer (sim/https_server), which owns the connections,
// TLS and every timing bound: a client silent mid-request (or mid-handshake) for io_timeout, or
// idle between requests for idle_timeout, is dropped. For loopback use in the simulator and tests:
// one response at a time, no access control beyond the name rule.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "hal/result.h"
#include "sim/https_server/https_server.h"

namespace gate::sim {

struct FeedServerOptions {
  std::string root;          // the directory served
  std::string ca_cert_path;  // where the CA certificate (PEM) is written; replaced if present
  std::chrono::milliseconds io_timeout{5'000};
  std::chrono::milliseconds idle_timeout{30'000};
};

class FeedServer {
 public:
  // Makes the TLS identity, writes the CA certificate, listens on 127.0.0.1 on an ephemeral port
  // and starts serving. Errors name the step (the PKI, the CA file, the socket).
  static Result<std::unique_ptr<FeedServer>> start(FeedServerOptions options);

  ~FeedServer();  // stop()
  FeedServer(const FeedServer&) = delete;
  FeedServer& operator=(const FeedServer&) = delete;

  std::uint16_t port() const;
  std::string base_url() const;  // "https://127.0.0.1:PORT/"
  // The name the certificate carries (the client's server_name: mbedTLS 2.28 matches DNS names
  // only, not the address).
  static std::string server_name();
  // Responses sent so far (any status).
  std::uint64_t responses() const;

  // Stops serving and closes every connection and the listening socket. Idempotent.
  void stop();

  // Answers one request: GET of a feed file (the rules above). Pure of the server: a function of
  // the request and the directory's files.
  static HttpReply serve_file(const std::string& root, const HttpRequest& request);

 private:
  explicit FeedServer(std::unique_ptr<HttpsServer> server) : server_(std::move(server)) {}
  std::unique_ptr<HttpsServer> server_;
};

}  // namespace gate::sim
