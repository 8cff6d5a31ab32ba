// A throwaway PKI for the loopback feed server, made in-process with mbedTLS: a P-256 CA and a
// P-256 server certificate for the DNS name "localhost" signed by it. Nothing is reused between
// servers, so a client configured with one server's CA refuses every other server.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hal/result.h"
#include "sim/ride_code/ctr_drbg.h"

namespace gate::sim {

inline constexpr const char* kLoopbackServerName = "localhost";

struct LoopbackPki {
  std::string ca_cert_pem;                     // the CA's certificate, for the client's ca_file
  std::vector<unsigned char> server_cert_der;  // "CN=localhost", SAN DNS:localhost
  std::string server_key_pem;                  // the server certificate's private key (SEC1)
};

// Makes a fresh CA and server certificate, valid from 2020 to 2049 (the simulator's scenarios
// run in 2022, its clients check against the real clock). Errc::io_error when mbedTLS fails.
Result<LoopbackPki> make_loopback_pki(CtrDrbg& rng);

}  // namespace gate::sim
