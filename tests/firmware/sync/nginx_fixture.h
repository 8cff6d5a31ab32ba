// Test support for the HTTPS client: a throwaway PKI made with the openssl command line, and a
// real nginx (run in the foreground as a child process) serving a directory over TLS.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "tests/sim/child_process.h"

namespace gate::test {

// PEM files in one directory: a CA, a server certificate it signed for localhost and 127.0.0.1, a
// client certificate it signed, and an unrelated second CA.
struct TestPki {
  std::string ca_cert;
  std::string other_ca_cert;
  std::string server_cert, server_key;
  std::string client_cert, client_key;
};

// Makes the PKI under `dir` with openssl; REQUIREs that every step succeeds.
TestPki make_test_pki(const std::string& dir);

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
std::uint16_t free_port();

// True once 127.0.0.1:`port` accepts a connection, false if it did not within `bound`.
bool wait_for_port(std::uint16_t port, std::chrono::milliseconds bound);

// nginx serving `root` on two ports: `port()` (server certificate only) and `mtls_port()`
// (client certificate required). Files under `root`/slow/ are sent at `slow_rate` (nginx syntax);
// under `root`/norange/ Range is ignored (always 200). A POST under /post/ (at most 2 MB) is
// answered 200 with one line, "<method> <uri> <Content-Type> <Content-Length> <Idempotency-Key>",
// and logged in post_log(); under /post/small/ a body over 1 KB gets 413; under
// /post/status/ every request gets 503, under /post/forbidden/ 403; under /post/acked/ and
// /post/conflict/ the answer is a collector's reply (journal_batch.h), 200 "GJA1 acked=2" and 409
// "GJA1 acked=1 problem=gap seq=2"; under /post/garbled/ a 200 that is no reply.
class NginxServer {
 public:
  NginxServer(std::string dir, const TestPki& pki, std::string root, std::string slow_rate = "8m");
  ~NginxServer();
  // Starts nginx and waits (bounded) until both ports accept; REQUIREs success.
  void start();
  // Sends `signal` to nginx and reaps it.
  void stop(int signal);
  std::uint16_t port() const { return port_; }
  std::uint16_t mtls_port() const { return mtls_port_; }
  // The access log: one line per request, "<connection> <connection_requests> <status> <uri>".
  std::string access_log() const;
  // The POSTs under /post/, one "<Content-Type> <Idempotency-Key, or nothing> <body>|\n" each,
  // once it holds at least `entries` of them (or after a few seconds, whatever it holds).
  std::string post_log(std::size_t entries) const;

 private:
  std::string dir_;
  std::uint16_t port_, mtls_port_, echo_port_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace gate::test
