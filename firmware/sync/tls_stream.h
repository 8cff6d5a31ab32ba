// One TLS 1.2+ connection over TCP with mbedTLS: connect, handshake, write and read, each bounded
// by a deadline. Every wait is a poll() on the socket (and on the endpoint's interrupt fd, when
// given); nothing blocks without a bound. An interrupted wait fails with "tls: interrupted".
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "hal/result.h"

namespace gate::sync {

using SteadyTime = std::chrono::steady_clock::time_point;

// Certificates and keys loaded once and shared by every connection of one client.
class TlsCredentials;

struct TlsEndpoint {
  std::string host;  // resolved with getaddrinfo (IPv4 or IPv6)
  std::uint16_t port = 443;
  std::string server_name;  // checked against the certificate (and sent as SNI)
  // An fd (eventfd) that becomes readable to abandon every wait at once (shutdown); -1: none.
  int interrupt_fd = -1;
};

// Loads the CA bundle (PEM) and, when both paths are given, a client certificate and key.
Result<std::shared_ptr<TlsCredentials>> load_tls_credentials(const std::string& ca_file,
                                                             const std::string& client_cert_file,
                                                             const std::string& client_key_file);

class TlsStream {
 public:
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  // Connects by TCP by `connect_deadline` then completes the handshake by `handshake_deadline`,
  // verifying the server's chain and name. Errors say which step failed and why.
  static Result<std::unique_ptr<TlsStream>> open(std::shared_ptr<TlsCredentials> credentials,
                                                 const TlsEndpoint& endpoint,
                                                 SteadyTime connect_deadline,
                                                 SteadyTime handshake_deadline);

  // Writes all of `data` by `deadline`.
  Status write_all(const std::string& data, SteadyTime deadline);
  // Reads at most `size` bytes, waiting until `deadline`; 0 when the peer closed the connection.
  Result<std::size_t> read_some(unsigned char* data, std::size_t size, SteadyTime deadline);
  // True when the server has closed (or sent anything unasked on) this idle connection.
  bool peer_closed_while_idle();

  struct State;  // the socket and mbedTLS context, defined in the .cpp

 private:
  explicit TlsStream(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace gate::sync
