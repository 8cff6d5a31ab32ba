// HttpsClient: GETs the feed's static files and POSTs journal batches to the collector over HTTPS
// (mbedTLS, TLS 1.2+), verifying the server against a configured CA and name, optionally with a
// client certificate. HTTP/1.1 keep-alive, `Range: bytes=N-` resumption, and a bound on every
// wait and on the body size.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firmware/sync/http_message.h"
#include "firmware/sync/https_url.h"
#include "firmware/sync/tls_stream.h"
#include "hal/result.h"

namespace gate::sync {

struct HttpsClientConfig {
  std::string base_url;          // https://host[:port]/path/ (no user info)
  std::string ca_file;           // PEM bundle the server's chain must lead to
  std::string server_name;       // name the certificate must carry; empty: the URL's host
  std::string client_cert_file;  // PEM; with client_key_file, for mutual TLS
  std::string client_key_file;
  std::chrono::milliseconds connect_timeout{5'000};     // TCP connect
  std::chrono::milliseconds handshake_timeout{10'000};  // TLS handshake
  std::chrono::milliseconds io_timeout{15'000};         // each write or read (idle)
  std::chrono::milliseconds request_timeout{300'000};   // a whole request, connect to last byte
  std::uint64_t max_body_bytes = 256ull << 20;
  // Log each failed request (warning, tag "sync"). A caller that logs the outcome of its whole
  // operation itself (the feed syncer: one line per failed sync) turns this off.
  bool log_failures = true;
};

struct HttpResponse {
  ResponseHead head;  // status, Content-Length, Content-Range, ETag, Last-Modified
  std::vector<std::uint8_t> body;
};

// A request header the caller adds (name and value without CR or LF; refused otherwise).
struct HttpHeader {
  std::string name;
  std::string value;
};

struct DownloadResult {
  std::uint64_t resumed_from = 0;  // bytes kept from an earlier attempt
  std::uint64_t size = 0;          // the complete file's size
};

class HttpsClient {
 public:
  // Checks the configuration and loads the certificates; connects only on the first request.
  static Result<std::unique_ptr<HttpsClient>> create(HttpsClientConfig config);

  // GETs `path` (relative to the base URL's path, or absolute); from byte `range_start` on when
  // given (a 206 must start there; a 200 means the server sent the whole body instead). Any status
  // is a response; failures (connect, TLS, timeouts, bad HTTP, short or over-large body) are
  // errors.
  Result<HttpResponse> get(std::string_view path, std::optional<std::uint64_t> range_start = {});

  // POSTs `body` to `path` with `content_type` and `headers`, under the same bounds as get() (the
  // request's whole duration, each idle wait, the response's size, interrupt()). Any status is a
  // response. Like get(), a request that finds its kept-alive connection closed by the server
  // is sent once more on a new one: the server may then see it twice, which is safe only for
  // idempotent requests (the journal's batches are: the collector keys them by batch id and
  // acknowledges a repeat without storing it again).
  Result<HttpResponse> post(std::string_view path, std::string_view content_type,
                            std::string_view body, const std::vector<HttpHeader>& headers = {});

  // GETs `path` into `file_path`, resuming with Range from the bytes a failed earlier call left
  // there (the caller retries). Fails on any status but 200/206 (and 416 for a complete file), and
  // with Errc::malformed before writing a byte when the file would be longer than `max_size` (the
  // partial copy is then removed).
  Result<DownloadResult> download(
      std::string_view path, const std::string& file_path,
      std::uint64_t max_size = std::numeric_limits<std::uint64_t>::max());

  // TLS connections opened so far (keep-alive reuses one for consecutive requests).
  std::uint64_t connections_opened() const { return connections_opened_; }

  // From any thread: the request in progress (and every later one, until clear_interrupt()) fails
  // at once with "interrupted", whether it waits on the network or data is flowing. A download
  // keeps what it wrote, so it resumes later. For shutdown.
  void interrupt();
  // Lets requests run again after interrupt(). Call it from the thread that makes requests.
  void clear_interrupt();

  ~HttpsClient();
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;

 private:
  // What a request does with the response: `on_head` once, then `on_body` for each piece.
  struct BodySink {
    std::function<Status(const ResponseHead&)> on_head;
    std::function<Status(const std::uint8_t*, std::size_t)> on_body;
  };
  // What is sent: GET (with Range when range_start is set) or POST with a body.
  struct Request {
    std::string_view method = "GET";
    std::optional<std::uint64_t> range_start;
    std::string_view content_type;
    std::string_view body;
    const std::vector<HttpHeader>* headers = nullptr;
  };
  HttpsClient(HttpsClientConfig config, HttpsUrl url, std::shared_ptr<TlsCredentials> creds);
  Result<HttpResponse> collect(std::string_view path, const Request& request);
  Result<ResponseHead> exchange(std::string_view path, const Request& request, BodySink& sink);
  Result<ResponseHead> attempt(const std::string& target, const Request& request,
                               SteadyTime deadline, BodySink& sink, bool& retry_on_new);
  Status send(const std::string& target, const Request& request, SteadyTime deadline);
  Result<std::string> read_head(SteadyTime deadline);
  Status read_body(const ResponseHead& head, SteadyTime deadline, BodySink& sink);
  SteadyTime step_deadline(std::chrono::milliseconds step, SteadyTime request_deadline) const;

  HttpsClientConfig config_;
  HttpsUrl url_;
  std::shared_ptr<TlsCredentials> credentials_;
  std::unique_ptr<TlsStream> stream_;
  std::string received_;  // bytes read past the current head
  std::uint64_t connections_opened_ = 0;
  bool closed_before_response_ = false;  // set by read_head: the server closed without a byte
  int interrupt_fd_ = -1;                // eventfd, readable while interrupted
  std::atomic<bool> interrupted_{false};
};

}  // namespace gate::sync
