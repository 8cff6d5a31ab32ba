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
// under `root`/norange/ Range is ignored (always 200).
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

 private:
  std::string dir_;
  std::uint16_t port_, mtls_port_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace gate::test
