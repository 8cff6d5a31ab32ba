// A PKI for the loopback HTTPS server, made in-process with mbedTLS: a P-256 CA and a P-256 server
// certificate for the DNS name "localhost" signed by it. A throwaway one is reused by nothing, so
// a client configured with one server's CA refuses every other server. A persistent one lives in
// a directory and outlives the process, so a client's CA file stays valid across restarts of the
// server (the back office's collector, whose CA the gates are configured with).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hal/result.h"
#include "sim/ride_code/ctr_drbg.h"

namespace gate::sim {

inline constexpr const char* kLoopbackServerName = "localhost";

struct LoopbackPki {
  std::string ca_cert_pem;      // the CA's certificate, for the client's ca_file
  std::string server_cert_pem;  // "CN=localhost", SAN DNS:localhost
  std::string server_key_pem;   // the server certificate's private key (SEC1)
};

// Makes a fresh CA and server certificate, valid from 2020 to 2049 (the simulator's scenarios
// run in 2022, its clients check against the real clock). Errc::io_error when mbedTLS fails.
Result<LoopbackPki> make_loopback_pki(CtrDrbg& rng);

// The files of a persistent identity in its directory. The CA's private key is not kept: nothing
// is ever signed again, and a key that is never written cannot leak.
inline constexpr const char* kTlsDirCaCert = "ca.pem";  // for the clients' ca_file
inline constexpr const char* kTlsDirServerCert = "server.pem";
inline constexpr const char* kTlsDirServerKey = "server.key";  // mode 0600

// Reads the identity kept in `dir`, or makes one and keeps it there when the directory has none
// (creating the directory, mode 0700, if missing). ca.pem is renamed into place last, so its
// presence means the identity is complete: a start killed while making one leaves no ca.pem and
// the next start makes a new one. ca.pem without the server's files is Errc::storage_error (the
// directory was damaged; a new CA would silently invalidate every client's ca_file).
Result<LoopbackPki> load_or_create_loopback_pki(const std::string& dir, CtrDrbg& rng);

}  // namespace gate::sim
