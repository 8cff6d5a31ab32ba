// HttpsServer: a small HTTPS/1.1 server on 127.0.0.1 for the simulator and the reference back
// office. It owns the connections, TLS and timing; what a request means is a handler's business
// (the feed's static files, sim/feed_server; the journal collector, sim/backoffice). A request is
// read whole before the handler sees it: its head (at most 8 KiB; 431 past it) and a body of
// exactly Content-Length bytes, at most max_body_bytes (413 past it, before reading the body). A
// POST or PUT without Content-Length is 411, any Transfer-Encoding too (nothing here decodes
// chunks); those three close the connection, since the body's end is unknown. HTTP/1.1
// keep-alive and pipelining; `Connection: close` (and HTTP/1.0) closes after the response.
//
// TLS identity (loopback_pki.h): a throwaway CA and "localhost" certificate made at start, the CA
// certificate written to ca_cert_path; or, with tls_dir, a persistent one kept in that directory
// (DIR/ca.pem is the clients' ca_file), so a restarted server keeps its clients' trust. A fixed
// port (SO_REUSEADDR: a restart binds again at once, even with connections of the last run in
// TIME_WAIT) keeps their URL too.
//
// One thread serves every connection: it poll()s the listening socket, the connections and a
// wake-up pipe with a bounded timeout, handshakes and reads without blocking, calls the handler on
// that thread, and writes a response in one go, each wait for the socket bounded by io_timeout. A
// client silent mid-request (or mid-handshake) for io_timeout, or idle between requests for
// idle_timeout, is dropped. stop() wakes the thread at once and returns when it has closed
// everything. For loopback use: one response at a time, no access control.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "hal/result.h"

namespace gate::sim {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;   // as sent: "GET", "POST"
  std::string target;   // as sent: "/batches", "/snapshot-1.gfd"
  HttpHeaders headers;  // in order, names as sent, values trimmed
  std::string body;
  // The first header named `name` (case-insensitive), if any.
  std::optional<std::string_view> header(std::string_view name) const;
};

struct HttpReply {
  int status = 200;
  std::string content_type = "text/plain";
  HttpHeaders headers;  // besides Content-Length, Content-Type and Connection
  std::string body;
  // A body streamed as it is sent instead of `body` (a large file, never held in memory whole):
  // `body_size` bytes, `body_source(offset, buffer)` filling the buffer from `offset` and
  // returning how many bytes it put there. Returning 0 (the file shrank or failed) drops the
  // connection: the client sees a short body.
  std::uint64_t body_size = 0;
  std::function<std::size_t(std::uint64_t offset, std::span<unsigned char> buffer)> body_source;
  bool close = false;  // close the connection after this reply

  static HttpReply text(int status, std::string body) {
    HttpReply r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
};

using HttpHandler = std::function<HttpReply(const HttpRequest&)>;

struct HttpsServerOptions {
  std::uint16_t port = 0;  // 0: an ephemeral port
  // With tls_dir, the persistent identity kept there (DIR/ca.pem for the clients). Without it, a
  // throwaway identity whose CA certificate is written to ca_cert_path (replaced if present).
  std::string tls_dir;
  std::string ca_cert_path;
  std::size_t max_body_bytes = 1 << 20;
  std::chrono::milliseconds io_timeout{5'000};
  std::chrono::milliseconds idle_timeout{30'000};
};

class HttpsServer {
 public:
  // Gets the TLS identity, listens on 127.0.0.1 and starts serving with `handler` (called on the
  // server's thread, one request at a time). Errors name the step (the PKI, the CA file, the
  // socket: a fixed port in use is Errc::io_error "… Address already in use").
  static Result<std::unique_ptr<HttpsServer>> start(HttpsServerOptions options,
                                                    HttpHandler handler);

  ~HttpsServer();  // stop()
  HttpsServer(const HttpsServer&) = delete;
  HttpsServer& operator=(const HttpsServer&) = delete;

  std::uint16_t port() const;
  std::string base_url() const;  // "https://127.0.0.1:PORT/"
  // The CA certificate's file: ca_cert_path, or DIR/ca.pem with a tls_dir.
  const std::string& ca_cert_path() const;
  // The name the certificate carries (the client's server_name: mbedTLS 2.28 matches DNS names
  // only, not the address).
  static std::string server_name();
  // Responses sent so far (any status, the server's own refusals included).
  std::uint64_t responses() const;

  // Stops serving and closes every connection and the listening socket. Idempotent.
  void stop();

  struct State;

 private:
  explicit HttpsServer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
  std::thread thread_;
};

// The reason phrase of a status ("Not Found"); "Unknown" for codes this server never sends.
std::string_view http_reason_phrase(int status);

}  // namespace gate::sim
