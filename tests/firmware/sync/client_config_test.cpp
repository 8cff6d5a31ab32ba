// HttpsClient::create's refusals: no network and no host programs, so these run on every target
// (and link the client with mbedTLS there).
#include <catch2/catch.hpp>

#include "firmware/sync/https_client.h"

using gate::Errc;
using gate::sync::HttpsClient;
using gate::sync::HttpsClientConfig;

namespace {

HttpsClientConfig valid_looking() {
  HttpsClientConfig c;
  c.base_url = "https://feed.example.net/gate/";
  c.ca_file = GATE_SOURCE_DIR "/tests/firmware/sync/no-such-ca.pem";
  return c;
}

}  // namespace

TEST_CASE("HttpsClient::create refuses a bad URL, timeouts and certificate files", "[https]") {
  HttpsClientConfig bad_url = valid_looking();
  bad_url.base_url = "http://feed.example.net/";
  auto r = HttpsClient::create(bad_url);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::invalid_argument);

  HttpsClientConfig zero = valid_looking();
  zero.io_timeout = std::chrono::milliseconds(0);
  auto z = HttpsClient::create(zero);
  REQUIRE_FALSE(z);
  CHECK_THAT(z.error().message, Catch::Contains("timeout"));

  auto no_ca = HttpsClient::create(valid_looking());
  REQUIRE_FALSE(no_ca);
  CHECK(no_ca.error().code == Errc::invalid_argument);
  CHECK_THAT(no_ca.error().message, Catch::Contains("CA file"));
}
