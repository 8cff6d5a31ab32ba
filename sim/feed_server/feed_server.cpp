#include "sim/feed_server/feed_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <string_view>
#include <vector>

#include "sim/feed_server/loopback_pki.h"
#include "sim/ride_code/ctr_drbg.h"

namespace gate::sim {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kMaxRequestHead = 8 * 1024;
constexpr std::size_t kChunk = 16 * 1024;

std::string tls_text(int rc) {
  char text[160];
  mbedtls_strerror(rc, text, sizeof text);
  return text;
}

std::string errno_text() {
  return std::strerror(errno);
}

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

// One feed file name as the manifest allows it: 1-128 of [A-Za-z0-9._-], not starting with '.'.
bool valid_feed_name(std::string_view n) {
  if (n.empty() || n.size() > 128 || n.front() == '.') return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::optional<std::uint64_t> decimal(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

struct Request {
  std::string method;
  std::string target;
  bool http11 = false;
  bool close = false;
  std::optional<std::uint64_t> range_start;  // only `bytes=N-`; any other Range is ignored
  bool has_body = false;
};

std::optional<Request> parse_request(std::string_view head) {
  Request r;
  std::size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  std::size_t sp1 = line.find(' ');
  std::size_t sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) return std::nullopt;
  r.method = std::string(line.substr(0, sp1));
  r.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  std::string_view version = line.substr(sp2 + 1);
  if (version == "HTTP/1.1") {
    r.http11 = true;
  } else if (version != "HTTP/1.0") {
    return std::nullopt;
  }
  r.close = !r.http11;
  while (eol != std::string_view::npos) {
    std::size_t start = eol + 2;
    eol = head.find("\r\n", start);
    std::string_view h =
        head.substr(start, eol == std::string_view::npos ? head.npos : eol - start);
    if (h.empty()) continue;
    std::size_t colon = h.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    std::string_view name = trim(h.substr(0, colon));
    std::string_view value = trim(h.substr(colon + 1));
    if (iequals(name, "Connection")) {
      if (iequals(value, "close")) r.close = true;
      if (iequals(value, "keep-alive")) r.close = false;
    } else if (iequals(name, "Range")) {
      if (value.starts_with("bytes=") && value.ends_with("-")) {
        r.range_start = decimal(value.substr(6, value.size() - 7));
      }
    } else if (iequals(name, "Content-Length")) {
      if (value != "0") r.has_body = true;
    } else if (iequals(name, "Transfer-Encoding")) {
      r.has_body = true;
    }
  }
  return r;
}

}  // namespace

struct FeedServer::State {
  State() {
    mbedtls_x509_crt_init(&cert);
    mbedtls_pk_init(&key);
    mbedtls_ssl_config_init(&conf);
  }
  ~State() {
    mbedtls_ssl_config_free(&conf);
    mbedtls_pk_free(&key);
    mbedtls_x509_crt_free(&cert);
  }

  struct Connection {
    explicit Connection(Fd s) : fd(std::move(s)) { mbedtls_ssl_init(&ssl); }
    ~Connection() { mbedtls_ssl_free(&ssl); }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    Fd fd;
    mbedtls_ssl_context ssl;
    bool handshaken = false;
    bool want_write = false;
    std::string in;
    Clock::time_point deadline;
  };

  FeedServerOptions options;
  std::optional<CtrDrbg> rng;
  mbedtls_x509_crt cert;
  mbedtls_pk_context key;
  mbedtls_ssl_config conf;
  Fd listener;
  Fd wake_read;
  Fd wake_write;
  std::uint16_t port = 0;
  std::atomic<bool> stopping{false};
  std::atomic<std::uint64_t> responses{0};
  std::vector<std::unique_ptr<Connection>> connections;

  static int bio_send(void* ctx, const unsigned char* buf, std::size_t len) {
    int fd = static_cast<Connection*>(ctx)->fd.get();
    ssize_t n = ::send(fd, buf, len, MSG_NOSIGNAL);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      return MBEDTLS_ERR_SSL_WANT_WRITE;
    }
    return errno == EPIPE || errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET
                                                 : MBEDTLS_ERR_NET_SEND_FAILED;
  }
  static int bio_recv(void* ctx, unsigned char* buf, std::size_t len) {
    int fd = static_cast<Connection*>(ctx)->fd.get();
    ssize_t n = ::recv(fd, buf, len, 0);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      return MBEDTLS_ERR_SSL_WANT_READ;
    }
    return errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_RECV_FAILED;
  }

  // Waits for `events` on the connection's socket, at most io_timeout; false on a timeout, an
  // error or stop().
  bool wait_socket(Connection& c, short events) {
    pollfd fds[2] = {{c.fd.get(), events, 0}, {wake_read.get(), POLLIN, 0}};
    int ms = static_cast<int>(options.io_timeout.count());
    for (;;) {
      int n = ::poll(fds, 2, ms);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || stopping.load() || (fds[1].revents & POLLIN)) return false;
      return (fds[0].revents & (events | POLLHUP | POLLERR)) != 0;
    }
  }

  bool send_all(Connection& c, const unsigned char* data, std::size_t size) {
    while (size > 0) {
      int rc = mbedtls_ssl_write(&c.ssl, data, size);
      if (rc > 0) {
        data += rc;
        size -= static_cast<std::size_t>(rc);
      } else if (rc == MBEDTLS_ERR_SSL_WANT_WRITE || rc == MBEDTLS_ERR_SSL_WANT_READ) {
        if (!wait_socket(c, rc == MBEDTLS_ERR_SSL_WANT_WRITE ? POLLOUT : POLLIN)) return false;
      } else {
        return false;
      }
    }
    return true;
  }

  bool send_text(Connection& c, const std::string& text) {
    return send_all(c, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  }

  // A response without a file body. Returns whether the connection stays open.
  bool respond_short(Connection& c, int status, const char* reason, bool close,
                     const std::string& extra_headers = "", const std::string& body = "") {
    std::string head = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                       "\r\nContent-Length: " + std::to_string(body.size()) +
                       "\r\nContent-Type: text/plain\r\n" + extra_headers +
                       (close ? "Connection: close\r\n" : "") + "\r\n" + body;
    bool sent = send_text(c, head);
    responses.fetch_add(1);
    return sent && !close;
  }

  // Answers one request head. Returns whether the connection stays open.
  bool handle(Connection& c, std::string_view head) {
    std::optional<Request> req = parse_request(head);
    if (!req) return respond_short(c, 400, "Bad Request", true, "", "bad request\n");
    if (req->has_body) return respond_short(c, 400, "Bad Request", true, "", "no bodies\n");
    if (req->method != "GET") {
      return respond_short(c, 405, "Method Not Allowed", req->close, "Allow: GET\r\n",
                           "GET only\n");
    }
    std::string_view target = req->target;
    if (!target.starts_with("/") || !valid_feed_name(target.substr(1))) {
      return respond_short(c, 400, "Bad Request", req->close, "", "not a feed file name\n");
    }
    std::string path = options.root + "/" + std::string(target.substr(1));
    Fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    struct stat st {};
    if (file.get() < 0 || ::fstat(file.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return respond_short(c, 404, "Not Found", req->close, "", "not found\n");
    }
    const std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
    std::uint64_t first = 0;
    std::string head_out;
    if (req->range_start) {
      first = *req->range_start;
      if (first >= size) {
        return respond_short(c, 416, "Range Not Satisfiable", req->close,
                             "Content-Range: bytes */" + std::to_string(size) + "\r\n");
      }
      head_out = "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes " + std::to_string(first) +
                 "-" + std::to_string(size - 1) + "/" + std::to_string(size) + "\r\n";
    } else {
      head_out = "HTTP/1.1 200 OK\r\n";
    }
    head_out += "Content-Length: " + std::to_string(size - first) +
                "\r\nContent-Type: application/octet-stream\r\nAccept-Ranges: bytes\r\n" +
                (req->close ? "Connection: close\r\n" : "") + "\r\n";
    responses.fetch_add(1);
    if (!send_text(c, head_out)) return false;
    std::vector<unsigned char> buf(kChunk);
    for (std::uint64_t at = first; at < size;) {
      std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, size - at));
      ssize_t n = ::pread(file.get(), buf.data(), want, static_cast<off_t>(at));
      if (n <= 0) return false;  // the file shrank or failed: the client sees a short body
      if (!send_all(c, buf.data(), static_cast<std::size_t>(n))) return false;
      at += static_cast<std::uint64_t>(n);
    }
    return !req->close;
  }

  // Advances one connection the poll found ready. Returns whether it stays open.
  bool service(Connection& c) {
    c.want_write = false;
    if (!c.handshaken) {
      int rc = mbedtls_ssl_handshake(&c.ssl);
      if (rc == MBEDTLS_ERR_SSL_WANT_READ) return true;
      if (rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
        c.want_write = true;
        return true;
      }
      if (rc != 0) return false;  // the client refused us, or spoke no TLS
      c.handshaken = true;
    }
    unsigned char buf[4096];
    // Reads what has arrived (at most a few heads' worth at a time, the rest is read after they
    // are answered: it may sit decrypted in mbedTLS, where poll() cannot see it), then answers
    // every complete request head.
    for (bool more = true; more;) {
      more = false;
      for (;;) {
        int rc = mbedtls_ssl_read(&c.ssl, buf, sizeof buf);
        if (rc > 0) {
          c.in.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(rc));
          if (c.in.size() > 4 * kMaxRequestHead) {
            more = true;
            break;
          }
          continue;
        }
        if (rc == MBEDTLS_ERR_SSL_WANT_READ) break;
        if (rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
          c.want_write = true;
          break;
        }
        return false;  // closed (close_notify or EOF) or failed
      }
      for (std::size_t end; (end = c.in.find("\r\n\r\n")) != std::string::npos;) {
        if (end > kMaxRequestHead) break;
        std::string head = c.in.substr(0, end);
        c.in.erase(0, end + 4);
        if (!handle(c, head)) return false;
      }
      if (c.in.size() > kMaxRequestHead) {
        respond_short(c, 431, "Request Header Fields Too Large", true);
        return false;
      }
    }
    c.deadline = Clock::now() + (c.in.empty() ? options.idle_timeout : options.io_timeout);
    return true;
  }

  void accept_all() {
    for (;;) {
      int fd = ::accept4(listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;  // EAGAIN: no more; anything else: try again at the next poll
      auto c = std::make_unique<Connection>(Fd(fd));
      if (mbedtls_ssl_setup(&c->ssl, &conf) != 0) continue;
      mbedtls_ssl_set_bio(&c->ssl, c.get(), bio_send, bio_recv, nullptr);
      c->deadline = Clock::now() + options.io_timeout;  // the handshake's bound
      connections.push_back(std::move(c));
    }
  }

  void run() {
    std::vector<pollfd> fds;
    while (!stopping.load()) {
      fds.clear();
      fds.push_back({wake_read.get(), POLLIN, 0});
      fds.push_back({listener.get(), POLLIN, 0});
      auto now = Clock::now();
      auto next = now + std::chrono::seconds(1);
      for (const auto& c : connections) {
        fds.push_back({c->fd.get(), static_cast<short>(POLLIN | (c->want_write ? POLLOUT : 0)), 0});
        next = std::min(next, c->deadline);
      }
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count();
      int n = ::poll(fds.data(), fds.size(), static_cast<int>(std::max<long long>(0, wait) + 1));
      if (n < 0 && errno != EINTR) break;
      if (stopping.load() || (fds[0].revents & POLLIN)) break;
      if (fds[1].revents & POLLIN) accept_all();
      // Connections accepted just now are past the end of fds; they are polled next time.
      std::vector<bool> keep(connections.size(), true);
      now = Clock::now();
      for (std::size_t i = 0; i + 2 < fds.size(); ++i) {
        Connection& c = *connections[i];
        if (fds[i + 2].revents != 0) {
          keep[i] = service(c);
        } else if (now >= c.deadline) {
          keep[i] = false;
        }
      }
      std::size_t kept = 0;
      for (std::size_t j = 0; j < connections.size(); ++j) {
        if (keep[j]) connections[kept++] = std::move(connections[j]);
      }
      connections.resize(kept);
    }
    connections.clear();
    listener.reset();
  }
};

FeedServer::FeedServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

FeedServer::~FeedServer() {
  stop();
}

Result<std::unique_ptr<FeedServer>> FeedServer::start(FeedServerOptions options) {
  auto state = std::make_unique<State>();
  state->options = std::move(options);
  GATE_TRY_ASSIGN(CtrDrbg rng, CtrDrbg::from_system_entropy());
  state->rng.emplace(std::move(rng));
  GATE_TRY_ASSIGN(LoopbackPki pki, make_loopback_pki(*state->rng));
  {
    std::ofstream out(state->options.ca_cert_path, std::ios::trunc);
    out << pki.ca_cert_pem;
    out.close();
    if (!out) {
      return make_error(Errc::io_error, "feed server: cannot write the CA certificate to " +
                                            state->options.ca_cert_path);
    }
  }
  int rc = mbedtls_x509_crt_parse_der(&state->cert, pki.server_cert_der.data(),
                                      pki.server_cert_der.size());
  if (rc == 0) {
    rc = mbedtls_pk_parse_key(&state->key,
                              reinterpret_cast<const unsigned char*>(pki.server_key_pem.c_str()),
                              pki.server_key_pem.size() + 1, nullptr, 0);
  }
  if (rc == 0) {
    rc = mbedtls_ssl_config_defaults(&state->conf, MBEDTLS_SSL_IS_SERVER,
                                     MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
  }
  if (rc == 0) rc = mbedtls_ssl_conf_own_cert(&state->conf, &state->cert, &state->key);
  if (rc != 0) return make_error(Errc::io_error, "feed server: tls: " + tls_text(rc));
  mbedtls_ssl_conf_min_version(&state->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                               MBEDTLS_SSL_MINOR_VERSION_3);
  mbedtls_ssl_conf_rng(&state->conf, CtrDrbg::mbedtls_random, &*state->rng);

  state->listener = Fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (state->listener.get() < 0) {
    return make_error(Errc::io_error, "feed server: socket: " + errno_text());
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(state->listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(state->listener.get(), 16) != 0 ||
      ::getsockname(state->listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return make_error(Errc::io_error, "feed server: listen on 127.0.0.1: " + errno_text());
  }
  state->port = ntohs(addr.sin_port);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC) != 0) {
    return make_error(Errc::io_error, "feed server: pipe: " + errno_text());
  }
  state->wake_read = Fd(pipe_fds[0]);
  state->wake_write = Fd(pipe_fds[1]);

  std::unique_ptr<FeedServer> server(new FeedServer(std::move(state)));
  server->thread_ = std::thread([s = server->state_.get()] { s->run(); });
  return server;
}

std::uint16_t FeedServer::port() const {
  return state_->port;
}

std::string FeedServer::base_url() const {
  return "https://127.0.0.1:" + std::to_string(state_->port) + "/";
}

std::string FeedServer::server_name() {
  return kLoopbackServerName;
}

std::uint64_t FeedServer::responses() const {
  return state_->responses.load();
}

void FeedServer::stop() {
  if (!thread_.joinable()) return;
  state_->stopping.store(true);
  char byte = 'x';
  [[maybe_unused]] ssize_t n = ::write(state_->wake_write.get(), &byte, 1);
  thread_.join();
}

}  // namespace gate::sim
