#include "sim/https_server/https_server.h"

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
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "firmware/sync/http_message.h"
#include "sim/https_server/http_request.h"
#include "sim/https_server/loopback_pki.h"
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

}  // namespace

struct HttpsServer::State {
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
    std::optional<PendingRequest> pending;  // head read, body still arriving
    Clock::time_point deadline;
  };

  HttpsServerOptions options;
  HttpHandler handler;
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

  // Sends `reply`. Returns whether the connection stays open.
  bool respond(Connection& c, const HttpReply& reply, bool close) {
    close = close || reply.close;
    const bool streamed = static_cast<bool>(reply.body_source);
    const std::uint64_t length = streamed ? reply.body_size : reply.body.size();
    std::string head = "HTTP/1.1 " + std::to_string(reply.status) + " " +
                       std::string(http_reason_phrase(reply.status)) +
                       "\r\nContent-Length: " + std::to_string(length) +
                       "\r\nContent-Type: " + reply.content_type + "\r\n";
    for (const auto& [name, value] : reply.headers) head += name + ": " + value + "\r\n";
    if (close) head += "Connection: close\r\n";
    head += "\r\n";
    responses.fetch_add(1);
    if (!streamed) return send_text(c, head + reply.body) && !close;
    if (!send_text(c, head)) return false;
    std::vector<unsigned char> buf(kChunk);
    for (std::uint64_t at = 0; at < length;) {
      std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, length - at));
      std::size_t n = reply.body_source(at, std::span(buf.data(), want));
      if (n == 0 || n > want) return false;
      if (!send_all(c, buf.data(), n)) return false;
      at += n;
    }
    return !close;
  }

  bool refuse(Connection& c, int status) {
    respond(c, HttpReply::text(status, std::string(http_reason_phrase(status)) + "\n"), true);
    return false;
  }

  // Answers every complete request in c.in. Returns whether the connection stays open.
  bool answer_complete(Connection& c) {
    for (;;) {
      if (!c.pending) {
        std::size_t end = c.in.find("\r\n\r\n");
        if (end == std::string::npos) {
          return c.in.size() <= kMaxRequestHead || refuse(c, 431);
        }
        if (end > kMaxRequestHead) return refuse(c, 431);
        c.pending = parse_head(std::string_view(c.in).substr(0, end));
        c.in.erase(0, end + 4);
        if (c.pending->refusal != 0) return refuse(c, c.pending->refusal);
        // Refused before a byte of it is read (or kept): the client learns at once.
        if (c.pending->body_length > options.max_body_bytes) return refuse(c, 413);
      }
      const std::size_t length = static_cast<std::size_t>(c.pending->body_length);
      if (c.in.size() < length) return true;
      PendingRequest p = std::move(*c.pending);
      c.pending.reset();
      p.request.body = c.in.substr(0, length);
      c.in.erase(0, length);
      if (!respond(c, handler(p.request), p.close)) return false;
    }
  }

  // How much to read before answering what has arrived: a few heads' worth past the body being
  // read, so memory stays bounded however fast a client writes.
  std::size_t read_cap(const Connection& c) const {
    std::size_t body = c.pending ? static_cast<std::size_t>(c.pending->body_length) : 0;
    return body + 4 * kMaxRequestHead;
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
    // Reads what has arrived (up to read_cap, the rest is read after what is complete is
    // answered: it may sit decrypted in mbedTLS, where poll() cannot see it), then answers every
    // complete request.
    for (bool more = true; more;) {
      more = false;
      for (;;) {
        int rc = mbedtls_ssl_read(&c.ssl, buf, sizeof buf);
        if (rc > 0) {
          c.in.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(rc));
          if (c.in.size() > read_cap(c)) {
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
      if (!answer_complete(c)) return false;
    }
    const bool mid_request = !c.in.empty() || c.pending;
    c.deadline = Clock::now() + (mid_request ? options.io_timeout : options.idle_timeout);
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

  // The TLS identity: persistent in tls_dir, or throwaway with its CA written to ca_cert_path.
  Status load_identity() {
    GATE_TRY_ASSIGN(CtrDrbg made, CtrDrbg::from_system_entropy());
    rng.emplace(std::move(made));
    LoopbackPki pki;
    if (!options.tls_dir.empty()) {
      GATE_TRY_ASSIGN(pki, load_or_create_loopback_pki(options.tls_dir, *rng));
      options.ca_cert_path = options.tls_dir + "/" + kTlsDirCaCert;
    } else {
      GATE_TRY_ASSIGN(pki, make_loopback_pki(*rng));
      std::ofstream out(options.ca_cert_path, std::ios::trunc);
      out << pki.ca_cert_pem;
      out.close();
      if (!out) {
        return make_error(Errc::io_error, "https server: cannot write the CA certificate to " +
                                              options.ca_cert_path);
      }
    }
    // The PEM parsers want the terminating NUL counted.
    int rc = mbedtls_x509_crt_parse(
        &cert, reinterpret_cast<const unsigned char*>(pki.server_cert_pem.c_str()),
        pki.server_cert_pem.size() + 1);
    if (rc == 0) {
      rc = mbedtls_pk_parse_key(&key,
                                reinterpret_cast<const unsigned char*>(pki.server_key_pem.c_str()),
                                pki.server_key_pem.size() + 1, nullptr, 0);
    }
    if (rc == 0) {
      rc = mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                       MBEDTLS_SSL_PRESET_DEFAULT);
    }
    if (rc == 0) rc = mbedtls_ssl_conf_own_cert(&conf, &cert, &key);
    if (rc != 0) return make_error(Errc::io_error, "https server: tls: " + tls_text(rc));
    mbedtls_ssl_conf_min_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_rng(&conf, CtrDrbg::mbedtls_random, &*rng);
    return ok_status();
  }

  Status listen_on_loopback() {
    listener = Fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (listener.get() < 0) {
      return make_error(Errc::io_error, "https server: socket: " + errno_text());
    }
    int on = 1;
    if (::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0) {
      return make_error(Errc::io_error, "https server: SO_REUSEADDR: " + errno_text());
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(options.port);
    socklen_t len = sizeof addr;
    if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener.get(), 16) != 0 ||
        ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return make_error(Errc::io_error, "https server: listen on 127.0.0.1:" +
                                            std::to_string(options.port) + ": " + errno_text());
    }
    port = ntohs(addr.sin_port);
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC) != 0) {
      return make_error(Errc::io_error, "https server: pipe: " + errno_text());
    }
    wake_read = Fd(pipe_fds[0]);
    wake_write = Fd(pipe_fds[1]);
    return ok_status();
  }
};

HttpsServer::HttpsServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

HttpsServer::~HttpsServer() {
  stop();
}

Result<std::unique_ptr<HttpsServer>> HttpsServer::start(HttpsServerOptions options,
                                                        HttpHandler handler) {
  auto state = std::make_unique<State>();
  state->options = std::move(options);
  state->handler = std::move(handler);
  GATE_TRY(state->load_identity());
  GATE_TRY(state->listen_on_loopback());
  std::unique_ptr<HttpsServer> server(new HttpsServer(std::move(state)));
  server->thread_ = std::thread([s = server->state_.get()] { s->run(); });
  return server;
}

std::uint16_t HttpsServer::port() const {
  return state_->port;
}

std::string HttpsServer::base_url() const {
  return "https://127.0.0.1:" + std::to_string(state_->port) + "/";
}

const std::string& HttpsServer::ca_cert_path() const {
  return state_->options.ca_cert_path;
}

std::string HttpsServer::server_name() {
  return kLoopbackServerName;
}

std::uint64_t HttpsServer::responses() const {
  return state_->responses.load();
}

void HttpsServer::stop() {
  if (!thread_.joinable()) return;
  state_->stopping.store(true);
  char byte = 'x';
  [[maybe_unused]] ssize_t n = ::write(state_->wake_write.get(), &byte, 1);
  thread_.join();
}

}  // namespace gate::sim
