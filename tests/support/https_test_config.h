// The HTTPS client configuration the network tests use against a local server: short bounds on
// connect, handshake and idle reads (a broken server fails the test in seconds instead of hanging
// it), and a whole-request bound the test picks for the sizes it transfers.
#pragma once

#include <chrono>
#include <string>

#include "firmware/sync/https_client.h"

namespace gate::test {

inline sync::HttpsClientConfig local_https_config(std::string base_url, std::string ca_file,
                                                  std::string server_name,
                                                  std::chrono::seconds request_timeout) {
  sync::HttpsClientConfig c;
  c.base_url = std::move(base_url);
  c.ca_file = std::move(ca_file);
  c.server_name = std::move(server_name);
  c.connect_timeout = std::chrono::seconds(2);
  c.handshake_timeout = std::chrono::seconds(2);
  c.io_timeout = std::chrono::seconds(2);
  c.request_timeout = request_timeout;
  return c;
}

}  // namespace gate::test
