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
//
// Faults (the scenario's feed-slow and feed-garbage, set_fault): `slow` holds every answer back
// for slow_delay (longer than any gate timeout), so a client's own timeouts end its wait; `garbage`
// answers every file with 200 and random bytes, which no feed key signed.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "hal/result.h"
#include "sim/https_server/https_server.h"

namespace gate::sim {

struct FeedServerOptions {
  std::string root;          // the directory served
  std::string ca_cert_path;  // where the CA certificate (PEM) is written; replaced if present
  std::chrono::milliseconds io_timeout{5'000};
  std::chrono::milliseconds idle_timeout{30'000};
  // How long `slow` holds an answer back (then it is sent, late). Cut short by set_fault or stop.
  std::chrono::milliseconds slow_delay{60'000};
};

enum class FeedFault { none, slow, garbage };

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

  // Injects a fault into every answer from now on (none: the files again). A request held back by
  // `slow` is answered at once when the fault changes. Thread-safe.
  void set_fault(FeedFault fault);
  // Requests answered under each fault so far (held back or garbled), for tests.
  std::uint64_t slowed() const;
  std::uint64_t garbled() const;

  // Answers one request: GET of a feed file (the rules above). Pure of the server: a function of
  // the request and the directory's files.
  static HttpReply serve_file(const std::string& root, const HttpRequest& request);

  struct Faults;

 private:
  FeedServer(std::unique_ptr<HttpsServer> server, std::shared_ptr<Faults> faults)
      : server_(std::move(server)), faults_(std::move(faults)) {}
  std::unique_ptr<HttpsServer> server_;
  std::shared_ptr<Faults> faults_;  // shared with the handler on the server's thread
};

}  // namespace gate::sim
