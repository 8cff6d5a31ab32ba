// A bare mbedTLS client for the loopback HTTPS servers' tests: it writes raw bytes and reads until
// the server closes, for what HttpsClient never sends (pipelined requests, malformed or oversized
// ones, a POST before HttpsClient has one). Reads and writes are bounded by 2 s timeouts.
#pragma once

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace gate::test {

// Connects to 127.0.0.1:`port` trusting `ca_file` for the name "localhost", sends `request` and
// returns everything the server sent until it closed the connection (or went silent for 2 s).
inline std::string raw_tls_exchange(std::uint16_t port, const std::string& ca_file,
                                    const std::string& request) {
  mbedtls_net_context net;
  mbedtls_ssl_context ssl;
  mbedtls_ssl_config conf;
  mbedtls_x509_crt ca;
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  mbedtls_net_init(&net);
  mbedtls_ssl_init(&ssl);
  mbedtls_ssl_config_init(&conf);
  mbedtls_x509_crt_init(&ca);
  mbedtls_entropy_init(&entropy);
  mbedtls_ctr_drbg_init(&drbg);
  std::string got;
  bool ok = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, nullptr, 0) == 0 &&
            mbedtls_x509_crt_parse_file(&ca, ca_file.c_str()) == 0 &&
            mbedtls_net_connect(&net, "127.0.0.1", std::to_string(port).c_str(),
                                MBEDTLS_NET_PROTO_TCP) == 0 &&
            mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                        MBEDTLS_SSL_PRESET_DEFAULT) == 0;
  if (ok) {
    timeval send_bound{2, 0};  // writes are bounded too
    ok = ::setsockopt(net.fd, SOL_SOCKET, SO_SNDTIMEO, &send_bound, sizeof send_bound) == 0;
  }
  if (ok) {
    mbedtls_ssl_conf_ca_chain(&conf, &ca, nullptr);
    mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
    mbedtls_ssl_conf_read_timeout(&conf, 2000);
    ok = mbedtls_ssl_setup(&ssl, &conf) == 0 && mbedtls_ssl_set_hostname(&ssl, "localhost") == 0;
  }
  if (ok) {
    mbedtls_ssl_set_bio(&ssl, &net, mbedtls_net_send, nullptr, mbedtls_net_recv_timeout);
    ok = mbedtls_ssl_handshake(&ssl) == 0;
  }
  if (ok) {
    const auto* data = reinterpret_cast<const unsigned char*>(request.data());
    for (std::size_t at = 0; ok && at < request.size();) {
      int n = mbedtls_ssl_write(&ssl, data + at, request.size() - at);
      ok = n > 0;
      at += ok ? static_cast<std::size_t>(n) : 0;
    }
  }
  unsigned char buf[4096];
  for (int n; ok && (n = mbedtls_ssl_read(&ssl, buf, sizeof buf)) > 0;) {
    got.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
  }
  mbedtls_ctr_drbg_free(&drbg);
  mbedtls_entropy_free(&entropy);
  mbedtls_x509_crt_free(&ca);
  mbedtls_ssl_config_free(&conf);
  mbedtls_ssl_free(&ssl);
  mbedtls_net_free(&net);
  REQUIRE(ok);
  return got;
}

struct RawResponse {
  std::string status_line;  // "HTTP/1.1 200 OK"
  std::string head;         // the whole head, status line included
  std::string body;
};

// Splits concatenated responses by their Content-Length.
inline std::vector<RawResponse> split_raw_responses(std::string text) {
  std::vector<RawResponse> out;
  while (!text.empty()) {
    std::size_t end = text.find("\r\n\r\n");
    REQUIRE(end != std::string::npos);
    std::string head = text.substr(0, end);
    std::size_t cl = head.find("Content-Length: ");
    REQUIRE(cl != std::string::npos);
    std::size_t length = std::stoul(head.substr(cl + 16));
    REQUIRE(text.size() >= end + 4 + length);
    out.push_back({head.substr(0, head.find("\r\n")), head, text.substr(end + 4, length)});
    text.erase(0, end + 4 + length);
  }
  return out;
}

}  // namespace gate::test
