#include "firmware/sync/tls_stream.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gate::sync {

class TlsCredentials {
 public:
  TlsCredentials() {
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_x509_crt_init(&ca);
    mbedtls_x509_crt_init(&own_cert);
    mbedtls_pk_init(&own_key);
    mbedtls_ssl_config_init(&conf);
  }
  ~TlsCredentials() {
    mbedtls_ssl_config_free(&conf);
    mbedtls_pk_free(&own_key);
    mbedtls_x509_crt_free(&own_cert);
    mbedtls_x509_crt_free(&ca);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
  }
  TlsCredentials(const TlsCredentials&) = delete;
  TlsCredentials& operator=(const TlsCredentials&) = delete;

  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  mbedtls_x509_crt ca;
  mbedtls_x509_crt own_cert;
  mbedtls_pk_context own_key;
  mbedtls_ssl_config conf;
};

namespace {

std::string mbedtls_text(int code) {
  char text[160];
  mbedtls_strerror(code, text, sizeof text);
  return std::string(text) + " (-0x" + [code] {
    char hex[16];
    std::snprintf(hex, sizeof hex, "%04x", static_cast<unsigned>(-code));
    return std::string(hex);
  }() + ")";
}

enum class Wait { ready, timed_out, interrupted };

// Waits until `fd` is ready for `events`, `deadline` passes, or `interrupt_fd` (when >= 0)
// becomes readable.
Wait wait_ready(int fd, short events, SteadyTime deadline, int interrupt_fd) {
  while (true) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd pfd[2] = {{fd, events, 0}, {interrupt_fd, POLLIN, 0}};
    const int n = ::poll(pfd, interrupt_fd >= 0 ? 2 : 1,
                         left.count() > 0 ? static_cast<int>(left.count()) : 0);
    if (n > 0 && interrupt_fd >= 0 && (pfd[1].revents & POLLIN)) return Wait::interrupted;
    if (n > 0) return Wait::ready;
    if (n == 0) return Wait::timed_out;
    if (errno != EINTR) return Wait::ready;  // let the following send/recv report the error
  }
}

}  // namespace

struct TlsStream::State {
  State() { mbedtls_ssl_init(&ssl); }
  ~State() {
    mbedtls_ssl_free(&ssl);
    if (fd >= 0) ::close(fd);
  }
  std::shared_ptr<TlsCredentials> credentials;
  mbedtls_ssl_context ssl;
  int fd = -1;
  int interrupt_fd = -1;
  bool interrupted = false;  // a wait ended by the interrupt fd
  SteadyTime deadline;
  int sys_errno = 0;
};

namespace {

int bio_send(void* ctx, const unsigned char* data, std::size_t size) {
  auto* s = static_cast<TlsStream::State*>(ctx);
  while (true) {
    const ssize_t n = ::send(s->fd, data, size, MSG_NOSIGNAL);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      const Wait w = wait_ready(s->fd, POLLOUT, s->deadline, s->interrupt_fd);
      if (w == Wait::interrupted) s->interrupted = true;
      if (w != Wait::ready) return MBEDTLS_ERR_SSL_TIMEOUT;
      continue;
    }
    s->sys_errno = errno;
    return errno == EPIPE || errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET
                                                 : MBEDTLS_ERR_NET_SEND_FAILED;
  }
}

int bio_recv(void* ctx, unsigned char* data, std::size_t size) {
  auto* s = static_cast<TlsStream::State*>(ctx);
  while (true) {
    const ssize_t n = ::recv(s->fd, data, size, 0);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      const Wait w = wait_ready(s->fd, POLLIN, s->deadline, s->interrupt_fd);
      if (w == Wait::interrupted) s->interrupted = true;
      if (w != Wait::ready) return MBEDTLS_ERR_SSL_TIMEOUT;
      continue;
    }
    s->sys_errno = errno;
    return errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_RECV_FAILED;
  }
}

// A non-blocking TCP connection to one of `endpoint`'s addresses, made by `deadline`.
Result<int> tcp_connect(const TlsEndpoint& endpoint, SteadyTime deadline) {
  const std::string where = endpoint.host + ":" + std::to_string(endpoint.port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(endpoint.port);
  if (const int rc = ::getaddrinfo(endpoint.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return make_error(Errc::not_found, "tls: resolve " + endpoint.host + ": " + gai_strerror(rc));
  }
  Error last = make_error(Errc::io_error, "tls: connect " + where + ": no address");
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd =
        ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int err = 0;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      err = errno;
      if (err == EINPROGRESS) {
        const Wait w = wait_ready(fd, POLLOUT, deadline, endpoint.interrupt_fd);
        if (w != Wait::ready) {
          ::close(fd);
          last = w == Wait::interrupted
                     ? make_error(Errc::io_error, "tls: connect " + where + " interrupted")
                     : make_error(Errc::timeout, "tls: connect " + where + " timed out");
          break;
        }
        socklen_t len = sizeof err;
        if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      }
    }
    if (err == 0) {
      ::freeaddrinfo(found);
      return fd;
    }
    ::close(fd);
    last = make_error(Errc::io_error, "tls: connect " + where + ": " + std::strerror(err));
  }
  ::freeaddrinfo(found);
  return last;
}

}  // namespace

Result<std::shared_ptr<TlsCredentials>> load_tls_credentials(const std::string& ca_file,
                                                             const std::string& client_cert_file,
                                                             const std::string& client_key_file) {
  auto c = std::make_shared<TlsCredentials>();
  constexpr char kPersonal[] = "gate-sync";
  int rc = mbedtls_ctr_drbg_seed(&c->drbg, mbedtls_entropy_func, &c->entropy,
                                 reinterpret_cast<const unsigned char*>(kPersonal),
                                 sizeof kPersonal - 1);
  if (rc != 0) return make_error(Errc::io_error, "tls: seed the DRBG: " + mbedtls_text(rc));
  if ((rc = mbedtls_x509_crt_parse_file(&c->ca, ca_file.c_str())) != 0) {
    return make_error(Errc::invalid_argument, "tls: CA file " + ca_file + ": " + mbedtls_text(rc));
  }
  if (client_cert_file.empty() != client_key_file.empty()) {
    return make_error(Errc::invalid_argument, "tls: a client certificate needs its key, and back");
  }
  rc = mbedtls_ssl_config_defaults(&c->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                   MBEDTLS_SSL_PRESET_DEFAULT);
  if (rc != 0) return make_error(Errc::io_error, "tls: config: " + mbedtls_text(rc));
  mbedtls_ssl_conf_min_version(&c->conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
  mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
  mbedtls_ssl_conf_ca_chain(&c->conf, &c->ca, nullptr);
  mbedtls_ssl_conf_rng(&c->conf, mbedtls_ctr_drbg_random, &c->drbg);
  if (!client_cert_file.empty()) {
    if ((rc = mbedtls_x509_crt_parse_file(&c->own_cert, client_cert_file.c_str())) != 0) {
      return make_error(Errc::invalid_argument,
                        "tls: client certificate " + client_cert_file + ": " + mbedtls_text(rc));
    }
    if ((rc = mbedtls_pk_parse_keyfile(&c->own_key, client_key_file.c_str(), nullptr)) != 0) {
      return make_error(Errc::invalid_argument,
                        "tls: client key " + client_key_file + ": " + mbedtls_text(rc));
    }
    if ((rc = mbedtls_ssl_conf_own_cert(&c->conf, &c->own_cert, &c->own_key)) != 0) {
      return make_error(Errc::invalid_argument, "tls: client certificate: " + mbedtls_text(rc));
    }
  }
  return c;
}

TlsStream::TlsStream(std::unique_ptr<State> state) : state_(std::move(state)) {}

TlsStream::~TlsStream() {
  // Best effort and without waiting: the socket is closed right after.
  state_->deadline = std::chrono::steady_clock::now();
  state_->interrupt_fd = -1;
  mbedtls_ssl_close_notify(&state_->ssl);
}

Result<std::unique_ptr<TlsStream>> TlsStream::open(std::shared_ptr<TlsCredentials> credentials,
                                                   const TlsEndpoint& endpoint,
                                                   SteadyTime connect_deadline,
                                                   SteadyTime handshake_deadline) {
  const std::string where = endpoint.host + ":" + std::to_string(endpoint.port);
  auto state = std::make_unique<State>();
  state->credentials = std::move(credentials);
  state->interrupt_fd = endpoint.interrupt_fd;
  GATE_TRY_ASSIGN(state->fd, tcp_connect(endpoint, connect_deadline));
  int rc = mbedtls_ssl_setup(&state->ssl, &state->credentials->conf);
  if (rc == 0) rc = mbedtls_ssl_set_hostname(&state->ssl, endpoint.server_name.c_str());
  if (rc != 0) return make_error(Errc::io_error, "tls: setup: " + mbedtls_text(rc));
  mbedtls_ssl_set_bio(&state->ssl, state.get(), bio_send, bio_recv, nullptr);
  state->deadline = handshake_deadline;
  rc = mbedtls_ssl_handshake(&state->ssl);
  if (rc == 0) return std::unique_ptr<TlsStream>(new TlsStream(std::move(state)));
  if (state->interrupted) return make_error(Errc::io_error, "tls: handshake interrupted");
  if (rc == MBEDTLS_ERR_SSL_TIMEOUT) {
    return make_error(Errc::timeout, "tls: handshake with " + where + " timed out");
  }
  if (const uint32_t flags = mbedtls_ssl_get_verify_result(&state->ssl);
      rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED && flags != 0 && flags != uint32_t(-1)) {
    char info[512];
    mbedtls_x509_crt_verify_info(info, sizeof info, "", flags);
    std::string text(info);
    for (char& ch : text) {
      if (ch == '\n') ch = ';';
    }
    return make_error(Errc::io_error,
                      "tls: certificate verification failed for " + where + ": " + text);
  }
  return make_error(Errc::io_error, "tls: handshake with " + where + ": " + mbedtls_text(rc));
}

Status TlsStream::write_all(const std::string& data, SteadyTime deadline) {
  state_->deadline = deadline;
  std::size_t done = 0;
  while (done < data.size()) {
    const int rc =
        mbedtls_ssl_write(&state_->ssl, reinterpret_cast<const unsigned char*>(data.data()) + done,
                          data.size() - done);
    if (state_->interrupted) return make_error(Errc::io_error, "tls: write interrupted");
    if (rc == MBEDTLS_ERR_SSL_TIMEOUT) return make_error(Errc::timeout, "tls: write timed out");
    if (rc < 0) return make_error(Errc::io_error, "tls: write: " + mbedtls_text(rc));
    done += static_cast<std::size_t>(rc);
  }
  return ok_status();
}

Result<std::size_t> TlsStream::read_some(unsigned char* data, std::size_t size,
                                         SteadyTime deadline) {
  state_->deadline = deadline;
  const int rc = mbedtls_ssl_read(&state_->ssl, data, size);
  if (rc >= 0) return static_cast<std::size_t>(rc);
  if (rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || rc == MBEDTLS_ERR_SSL_CONN_EOF ||
      rc == MBEDTLS_ERR_NET_CONN_RESET) {
    return std::size_t{0};
  }
  if (state_->interrupted) return make_error(Errc::io_error, "tls: read interrupted");
  if (rc == MBEDTLS_ERR_SSL_TIMEOUT) return make_error(Errc::timeout, "tls: read timed out");
  return make_error(Errc::io_error, "tls: read: " + mbedtls_text(rc));
}

bool TlsStream::peer_closed_while_idle() {
  if (mbedtls_ssl_get_bytes_avail(&state_->ssl) > 0) return true;
  pollfd pfd{state_->fd, POLLIN, 0};
  return ::poll(&pfd, 1, 0) != 0;
}

}  // namespace gate::sync
