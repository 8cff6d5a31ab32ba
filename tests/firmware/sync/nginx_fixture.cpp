#include "tests/firmware/sync/nginx_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace gate::test {
namespace {

void openssl(const std::vector<std::string>& args) {
  // Built by appending rather than inserting at the front: GCC 12 warns falsely (array-bounds) on
  // a vector<string>::insert at begin() once Catch2 comes precompiled.
  std::vector<std::string> argv{GATE_OPENSSL};
  argv.insert(argv.end(), args.begin(), args.end());
  const RunResult r = run_to_end(argv);
  INFO(argv[1] << " " << argv[2]);
  REQUIRE(r.exit_code == 0);
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  REQUIRE(out.good());
}

// A P-256 key and a certificate for `cn` signed by the CA in `dir`, with `extensions`.
void make_leaf(const std::string& dir, const std::string& name, const std::string& cn,
               const std::string& extensions) {
  const std::string base = dir + "/" + name;
  openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
           base + ".key", "-out", base + ".csr", "-subj", "/CN=" + cn});
  write_file(base + ".ext", extensions);
  openssl({"x509", "-req", "-in", base + ".csr", "-CA", dir + "/ca.crt", "-CAkey", dir + "/ca.key",
           "-CAcreateserial", "-days", "2", "-extfile", base + ".ext", "-out", base + ".crt"});
}

void make_ca(const std::string& dir, const std::string& name, const std::string& cn) {
  openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
           "-keyout", dir + "/" + name + ".key", "-out", dir + "/" + name + ".crt", "-days", "2",
           "-subj", "/CN=" + cn});
}

}  // namespace

TestPki make_test_pki(const std::string& dir) {
  make_ca(dir, "ca", "Gate Test CA");
  make_ca(dir, "other-ca", "Unrelated CA");
  make_leaf(dir, "server", "localhost",
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  make_leaf(dir, "client", "gate-0001", "extendedKeyUsage=clientAuth\n");
  return TestPki{dir + "/ca.crt",     dir + "/other-ca.crt", dir + "/server.crt",
                 dir + "/server.key", dir + "/client.crt",   dir + "/client.key"};
}

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  REQUIRE(ok);
  return ntohs(addr.sin_port);
}

bool wait_for_port(std::uint16_t port, std::chrono::milliseconds bound) {
  const auto until = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < until) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    const bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    if (up) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // nginx is still starting
  }
  return false;
}

NginxServer::NginxServer(std::string dir, const TestPki& pki, std::string root,
                         std::string slow_rate)
    : dir_(std::move(dir)), port_(free_port()), mtls_port_(free_port()), echo_port_(free_port()) {
  std::filesystem::create_directories(dir_ + "/tmp");
  // POSTs under /post/: nginx reads the body only for a proxied request, so they go to a plain
  // HTTP server block that answers with what it was sent; the TLS side logs each body.
  const std::string post =
      "    location /post/ { client_max_body_size 2m; "
      "client_body_buffer_size 2m; client_body_in_single_buffer on; "
      "access_log " +
      dir_ + "/post.log post; proxy_pass http://127.0.0.1:" + std::to_string(echo_port_) +
      "; }\n"
      "    location /post/small/ { client_max_body_size 1k; "
      "proxy_pass http://127.0.0.1:" +
      std::to_string(echo_port_) + "; }\n";
  const std::string tls = "    ssl_certificate " + pki.server_cert + ";\n    ssl_certificate_key " +
                          pki.server_key + ";\n    root " + root + ";\n    location /slow/ { " +
                          "limit_rate " + slow_rate +
                          "; }\n    location /norange/ { max_ranges 0; }\n" + post;
  std::ostringstream conf;
  conf << "master_process off;\n"
       << "pid " << dir_ << "/nginx.pid;\n"
       << "error_log " << dir_ << "/error.log;\n"
       << "events { worker_connections 64; }\n"
       << "http {\n"
       << "  log_format gate '$connection $connection_requests $status $request_uri';\n"
       << "  access_log " << dir_ << "/access.log gate;\n"
       << "  default_type application/octet-stream;\n"
       << "  log_format post escape=none '$content_type $http_idempotency_key $request_body|';\n"
       << "  keepalive_timeout 60s;\n";
  for (const char* kind : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
    conf << "  " << kind << "_temp_path " << dir_ << "/tmp/" << kind << ";\n";
  }
  conf << "  server {\n    listen 127.0.0.1:" << port_ << " ssl;\n"
       << tls << "  }\n"
       << "  server {\n    listen 127.0.0.1:" << mtls_port_ << " ssl;\n"
       << tls << "    ssl_client_certificate " << pki.ca_cert
       << ";\n    ssl_verify_client on;\n  }\n"
       << "  server {\n    listen 127.0.0.1:" << echo_port_ << ";\n    access_log off;\n"
       << "    location /post/status/ { return 503 \"busy\\n\"; }\n"
       << "    location /post/forbidden/ { return 403; }\n"
       << "    location /post/acked/ { return 200 \"GJA1 acked=2\\n\"; }\n"
       << "    location /post/conflict/ { return 409 \"GJA1 acked=1 problem=gap seq=2\\n\"; }\n"
       << "    location /post/garbled/ { return 200 \"acked\\n\"; }\n"
       << "    location / { default_type text/plain; return 200 \"$request_method $request_uri "
          "$content_type $content_length $http_idempotency_key\\n\"; }\n  }\n"
       << "}\n";
  write_file(dir_ + "/nginx.conf", conf.str());
}

NginxServer::~NginxServer() {
  if (process_) stop(SIGKILL);
}

void NginxServer::start() {
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{GATE_NGINX, "-p", dir_, "-c", dir_ + "/nginx.conf", "-e",
                               dir_ + "/error.log", "-g", "daemon off;"});
  REQUIRE(process_->started());
  INFO("nginx error log: " << dir_ << "/error.log");
  REQUIRE(wait_for_port(port_, std::chrono::seconds(10)));
  REQUIRE(wait_for_port(mtls_port_, std::chrono::seconds(10)));
}

void NginxServer::stop(int signal) {
  if (process_) process_->kill_and_wait(signal);
  process_.reset();
}

namespace {
std::string file_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}
}  // namespace

std::string NginxServer::access_log() const {
  return file_text(dir_ + "/access.log");
}

std::string NginxServer::post_log(std::size_t entries) const {
  // nginx writes the entry after the response went out, so the client may be ahead of it.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (true) {
    std::string text = file_text(dir_ + "/post.log");
    std::size_t found = 0;
    for (std::size_t at = text.find("|\n"); at != std::string::npos;
         at = text.find("|\n", at + 2)) {
      ++found;
    }
    if (found >= entries || std::chrono::steady_clock::now() >= until) return text;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // watching the log grow
  }
}

}  // namespace gate::test
