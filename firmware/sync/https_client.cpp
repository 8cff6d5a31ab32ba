#include "firmware/sync/https_client.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "hal/log.h"

namespace gate::sync {
namespace {

constexpr const char* kTag = "sync";
constexpr std::size_t kMaxHead = 16 * 1024;
constexpr std::size_t kReadChunk = 16 * 1024;

Error with_context(const Error& e, std::string_view step) {
  return make_error(e.code, std::string(step) + ": " + e.message);
}

}  // namespace

Result<std::unique_ptr<HttpsClient>> HttpsClient::create(HttpsClientConfig config) {
  GATE_TRY_ASSIGN(HttpsUrl url, parse_https_url(config.base_url));
  if (config.server_name.empty()) config.server_name = url.host;
  if (config.connect_timeout.count() <= 0 || config.handshake_timeout.count() <= 0 ||
      config.io_timeout.count() <= 0 || config.request_timeout.count() <= 0) {
    return make_error(Errc::invalid_argument, "https: every timeout must be positive");
  }
  GATE_TRY_ASSIGN(auto creds, load_tls_credentials(config.ca_file, config.client_cert_file,
                                                   config.client_key_file));
  std::unique_ptr<HttpsClient> client(
      new HttpsClient(std::move(config), std::move(url), std::move(creds)));
  client->interrupt_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (client->interrupt_fd_ < 0) {
    return make_error(Errc::io_error, std::string("https: eventfd: ") + std::strerror(errno));
  }
  return client;
}

HttpsClient::HttpsClient(HttpsClientConfig config, HttpsUrl url,
                         std::shared_ptr<TlsCredentials> creds)
    : config_(std::move(config)), url_(std::move(url)), credentials_(std::move(creds)) {}

HttpsClient::~HttpsClient() {
  stream_.reset();
  if (interrupt_fd_ >= 0) ::close(interrupt_fd_);
}

void HttpsClient::interrupt() {
  interrupted_ = true;
  const std::uint64_t one = 1;
  // Cannot fail short of a counter overflow; the flag alone still stops a flowing body.
  [[maybe_unused]] const ssize_t n = ::write(interrupt_fd_, &one, sizeof one);
}

void HttpsClient::clear_interrupt() {
  std::uint64_t count = 0;
  [[maybe_unused]] const ssize_t n = ::read(interrupt_fd_, &count, sizeof count);
  interrupted_ = false;
}

SteadyTime HttpsClient::step_deadline(std::chrono::milliseconds step,
                                      SteadyTime request_deadline) const {
  return std::min(std::chrono::steady_clock::now() + step, request_deadline);
}

Result<HttpResponse> HttpsClient::get(std::string_view path,
                                      std::optional<std::uint64_t> range_start) {
  Request request;
  request.range_start = range_start;
  return collect(path, request);
}

Result<HttpResponse> HttpsClient::post(std::string_view path, std::string_view content_type,
                                       std::string_view body,
                                       const std::vector<HttpHeader>& headers) {
  // Caller-supplied text goes into the head: a CR or LF would end a line early and let it add
  // headers or a second request of its own.
  auto breaks_line = [](std::string_view text) {
    return text.find_first_of("\r\n") != std::string_view::npos;
  };
  if (breaks_line(content_type)) {
    return make_error(Errc::invalid_argument, "http: line break in Content-Type");
  }
  for (const HttpHeader& h : headers) {
    if (h.name.empty() || h.name.find_first_of(":\r\n ") != std::string::npos ||
        breaks_line(h.value)) {
      return make_error(Errc::invalid_argument, "http: malformed request header '" + h.name + "'");
    }
  }
  Request request;
  request.method = "POST";
  request.content_type = content_type;
  request.body = body;
  request.headers = &headers;
  return collect(path, request);
}

Result<HttpResponse> HttpsClient::collect(std::string_view path, const Request& request) {
  HttpResponse response;
  BodySink sink;
  sink.on_head = [&](const ResponseHead&) {
    response.body.clear();  // a 200 to a Range request starts over
    return ok_status();
  };
  sink.on_body = [&](const std::uint8_t* data, std::size_t size) {
    response.body.insert(response.body.end(), data, data + size);
    return ok_status();
  };
  GATE_TRY_ASSIGN(response.head, exchange(path, request, sink));
  return response;
}

Result<ResponseHead> HttpsClient::exchange(std::string_view path, const Request& request,
                                           BodySink& sink) {
  const SteadyTime deadline = std::chrono::steady_clock::now() + config_.request_timeout;
  auto target = join_path(url_.path, path);
  if (!target) return target.error();
  if (interrupted_) return make_error(Errc::io_error, "https: interrupted");
  bool retry_on_new = false;
  auto result = attempt(*target, request, deadline, sink, retry_on_new);
  if (!result && retry_on_new && !interrupted_) {
    // The server closed the kept-alive connection as the request went out: once more, afresh.
    // A POST too: see post() in the header for why that is safe for this client's callers.
    result = attempt(*target, request, deadline, sink, retry_on_new);
  }
  if (!result) {
    stream_.reset();
    received_.clear();
    if (config_.log_failures) {
      log(LogLevel::warning, kTag,
          std::string(request.method) + " " + *target + ": " + result.error().message);
    }
  }
  return result;
}

// The request head, then the body (if any) in pieces, each piece bounded by io_timeout: a large
// batch on a slow link is cut only when the link stalls, not for being large.
Status HttpsClient::send(const std::string& target, const Request& request, SteadyTime deadline) {
  const bool ipv6 = url_.host.find(':') != std::string::npos;
  std::string host = ipv6 ? "[" + url_.host + "]" : url_.host;
  if (url_.port != 443) host += ":" + std::to_string(url_.port);
  std::string head = std::string(request.method) + " " + target + " HTTP/1.1\r\nHost: " + host +
                     "\r\nUser-Agent: gate-sync\r\nConnection: keep-alive\r\n";
  if (request.range_start) head += "Range: bytes=" + std::to_string(*request.range_start) + "-\r\n";
  if (request.method != "GET") {
    head += "Content-Type: " + std::string(request.content_type) +
            "\r\nContent-Length: " + std::to_string(request.body.size()) + "\r\n";
  }
  if (request.headers) {
    for (const HttpHeader& h : *request.headers) head += h.name + ": " + h.value + "\r\n";
  }
  head += "\r\n";
  constexpr std::size_t kPiece = 64 * 1024;
  // A small body goes with the head in one write (one TLS record, one round trip).
  if (request.body.size() <= kPiece) {
    head.append(request.body);
    return stream_->write_all(head, step_deadline(config_.io_timeout, deadline));
  }
  GATE_TRY(stream_->write_all(head, step_deadline(config_.io_timeout, deadline)));
  for (std::size_t at = 0; at < request.body.size(); at += kPiece) {
    if (interrupted_) return make_error(Errc::io_error, "https: interrupted");
    GATE_TRY(stream_->write_all(std::string(request.body.substr(at, kPiece)),
                                step_deadline(config_.io_timeout, deadline)));
  }
  return ok_status();
}

Result<ResponseHead> HttpsClient::attempt(const std::string& target, const Request& request,
                                          SteadyTime deadline, BodySink& sink, bool& retry_on_new) {
  retry_on_new = false;
  if (stream_ && stream_->peer_closed_while_idle()) stream_.reset();
  const bool reused = stream_ != nullptr;
  if (!stream_) {
    received_.clear();
    TlsEndpoint endpoint{url_.host, url_.port, config_.server_name, interrupt_fd_};
    GATE_TRY_ASSIGN(stream_, TlsStream::open(credentials_, endpoint,
                                             step_deadline(config_.connect_timeout, deadline),
                                             step_deadline(config_.handshake_timeout, deadline)));
    ++connections_opened_;
  }
  if (Status s = send(target, request, deadline); !s) {
    stream_.reset();
    retry_on_new = reused;
    return with_context(s.error(), "sending the request");
  }
  auto head_text = read_head(deadline);
  if (!head_text) {
    stream_.reset();
    retry_on_new = reused && closed_before_response_;
    return head_text.error();
  }
  GATE_TRY_ASSIGN(ResponseHead head, parse_response_head(*head_text));
  if (head.status < 200) return make_error(Errc::unsupported, "http: interim 1xx response");
  const auto range_start = request.range_start;
  if (head.status == 206) {
    if (!range_start) return make_error(Errc::malformed, "http: 206 to a request without Range");
    GATE_TRY_ASSIGN(ContentRange range, parse_content_range(head.content_range));
    if (range.first != range_start) {
      return make_error(Errc::malformed, "http: 206 starts at another byte than asked for");
    }
    if (head.content_length && *head.content_length != range.last - *range.first + 1) {
      return make_error(Errc::malformed, "http: Content-Range and Content-Length disagree");
    }
  }
  GATE_TRY(sink.on_head(head));
  GATE_TRY(read_body(head, deadline, sink));
  if (head.connection_close) stream_.reset();
  return head;
}

Result<std::string> HttpsClient::read_head(SteadyTime deadline) {
  closed_before_response_ = false;
  unsigned char chunk[kReadChunk];
  while (true) {
    const std::size_t end = received_.find("\r\n\r\n");
    if (end != std::string::npos) {
      std::string head = received_.substr(0, end);
      received_.erase(0, end + 4);
      return head;
    }
    if (received_.size() > kMaxHead) return make_error(Errc::malformed, "http: head too large");
    auto n = stream_->read_some(chunk, sizeof chunk, step_deadline(config_.io_timeout, deadline));
    if (!n) return with_context(n.error(), "waiting for the response head");
    if (*n == 0) {
      // Closed before any byte: on a kept-alive connection, the server let it go.
      closed_before_response_ = received_.empty();
      return received_.empty()
                 ? make_error(Errc::io_error, "http: connection closed before a response")
                 : make_error(Errc::malformed, "http: connection closed inside the head");
    }
    received_.append(reinterpret_cast<const char*>(chunk), *n);
  }
}

Status HttpsClient::read_body(const ResponseHead& head, SteadyTime deadline, BodySink& sink) {
  if (head.status == 204 || head.status == 304) return ok_status();
  if (head.chunked) {
    return make_error(Errc::unsupported,
                      "http: chunked bodies are not supported (the feed is "
                      "static files with a Content-Length)");
  }
  if (!head.content_length) return make_error(Errc::unsupported, "http: no Content-Length");
  const std::uint64_t expected = *head.content_length;
  if (expected > config_.max_body_bytes) {
    return make_error(Errc::unsupported, "http: body too large: " + std::to_string(expected) +
                                             " bytes > " + std::to_string(config_.max_body_bytes));
  }
  std::uint64_t done = 0;
  unsigned char chunk[kReadChunk];
  while (done < expected) {
    if (interrupted_) {
      return make_error(Errc::io_error, "https: interrupted after " + std::to_string(done) +
                                            " of " + std::to_string(expected) + " bytes");
    }
    const std::uint8_t* data = chunk;
    std::size_t size = 0;
    if (!received_.empty()) {
      size = static_cast<std::size_t>(std::min<std::uint64_t>(received_.size(), expected - done));
      GATE_TRY(sink.on_body(reinterpret_cast<const std::uint8_t*>(received_.data()), size));
      received_.erase(0, size);
      done += size;
      continue;
    }
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(sizeof chunk, expected - done));
    auto n = stream_->read_some(chunk, want, step_deadline(config_.io_timeout, deadline));
    if (!n) {
      return with_context(n.error(), "reading the body after " + std::to_string(done) + " of " +
                                         std::to_string(expected) + " bytes");
    }
    if (*n == 0) {
      return make_error(Errc::io_error, "http: connection closed mid-body after " +
                                            std::to_string(done) + " of " +
                                            std::to_string(expected) + " bytes");
    }
    size = *n;
    GATE_TRY(sink.on_body(data, size));
    done += size;
  }
  return ok_status();
}

}  // namespace gate::sync
