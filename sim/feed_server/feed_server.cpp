#include "sim/feed_server/feed_server.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <random>
#include <string_view>

#include "firmware/sync/http_message.h"

namespace gate::sim {
namespace {

constexpr std::size_t kMaxRefusedBody = 64 * 1024;

// One feed file name as the manifest allows it: 1-128 of [A-Za-z0-9._-], not starting with '.'.
bool valid_feed_name(std::string_view n) {
  if (n.empty() || n.size() > 128 || n.front() == '.') return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

// Only `bytes=N-`; any other Range is ignored (the whole file is sent).
std::optional<std::uint64_t> range_start(const HttpRequest& request) {
  std::optional<std::string_view> value = request.header("Range");
  if (!value || !value->starts_with("bytes=") || !value->ends_with("-")) return std::nullopt;
  return sync::parse_decimal(value->substr(6, value->size() - 7));
}

// An open file shared by the reply's body source, closed with the last copy of it.
struct OpenFile {
  explicit OpenFile(int f) : fd(f) {}
  ~OpenFile() {
    if (fd >= 0) ::close(fd);
  }
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;
  int fd;
};

}  // namespace

struct FeedServer::Faults {
  std::mutex mu;
  std::condition_variable changed;
  FeedFault fault = FeedFault::none;
  bool stopping = false;
  std::uint64_t slowed = 0;
  std::uint64_t garbled = 0;
  std::mt19937 random{std::random_device{}()};
};

namespace {

// The handler with the faults: called on the server's thread, which `slow` holds (bounded by
// slow_delay, cut short by a change of fault or a stop).
HttpReply serve_with_faults(FeedServer::Faults& faults, std::chrono::milliseconds slow_delay,
                            const std::string& root, const HttpRequest& request) {
  std::unique_lock<std::mutex> lock(faults.mu);
  if (faults.fault == FeedFault::slow) {
    ++faults.slowed;
    faults.changed.wait_for(lock, slow_delay,
                            [&] { return faults.stopping || faults.fault != FeedFault::slow; });
  }
  if (faults.fault == FeedFault::garbage) {
    ++faults.garbled;
    HttpReply r;
    r.content_type = "application/octet-stream";
    std::uniform_int_distribution<int> byte(0, 255);
    r.body.resize(512);
    for (char& c : r.body) c = static_cast<char>(byte(faults.random));
    return r;
  }
  lock.unlock();
  return FeedServer::serve_file(root, request);
}

}  // namespace

HttpReply FeedServer::serve_file(const std::string& root, const HttpRequest& request) {
  if (!request.body.empty()) {
    HttpReply r = HttpReply::text(400, "no bodies\n");
    r.close = true;
    return r;
  }
  if (request.method != "GET") {
    HttpReply r = HttpReply::text(405, "GET only\n");
    r.headers.emplace_back("Allow", "GET");
    return r;
  }
  std::string_view target = request.target;
  if (!target.starts_with("/") || !valid_feed_name(target.substr(1))) {
    return HttpReply::text(400, "not a feed file name\n");
  }
  std::string path = root + "/" + std::string(target.substr(1));
  auto file = std::make_shared<OpenFile>(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  struct stat st {};
  if (file->fd < 0 || ::fstat(file->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    return HttpReply::text(404, "not found\n");
  }
  const std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
  std::uint64_t first = 0;
  HttpReply r;
  if (std::optional<std::uint64_t> start = range_start(request)) {
    first = *start;
    if (first >= size) {
      r.status = 416;
      r.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
      return r;
    }
    r.status = 206;
    r.headers.emplace_back("Content-Range", "bytes " + std::to_string(first) + "-" +
                                                std::to_string(size - 1) + "/" +
                                                std::to_string(size));
  }
  r.content_type = "application/octet-stream";
  r.headers.emplace_back("Accept-Ranges", "bytes");
  r.body_size = size - first;
  r.body_source = [file, first](std::uint64_t at, std::span<unsigned char> buf) -> std::size_t {
    ssize_t n = ::pread(file->fd, buf.data(), buf.size(), static_cast<off_t>(first + at));
    return n > 0 ? static_cast<std::size_t>(n) : 0;
  };
  return r;
}

Result<std::unique_ptr<FeedServer>> FeedServer::start(FeedServerOptions options) {
  HttpsServerOptions o;
  o.ca_cert_path = options.ca_cert_path;
  o.io_timeout = options.io_timeout;
  o.idle_timeout = options.idle_timeout;
  // A GET has no body: a small one is read and refused (400), a larger one refused unread (413).
  o.max_body_bytes = kMaxRefusedBody;
  auto faults = std::make_shared<Faults>();
  auto server = HttpsServer::start(
      o, [root = std::move(options.root), faults, delay = options.slow_delay](
             const HttpRequest& r) { return serve_with_faults(*faults, delay, root, r); });
  if (!server.ok()) {
    return make_error(server.error().code, "feed server: " + server.error().message);
  }
  return std::unique_ptr<FeedServer>(new FeedServer(std::move(server).value(), std::move(faults)));
}

FeedServer::~FeedServer() {
  stop();
}

void FeedServer::set_fault(FeedFault fault) {
  {
    std::lock_guard<std::mutex> lock(faults_->mu);
    faults_->fault = fault;
  }
  faults_->changed.notify_all();
}

std::uint64_t FeedServer::slowed() const {
  std::lock_guard<std::mutex> lock(faults_->mu);
  return faults_->slowed;
}

std::uint64_t FeedServer::garbled() const {
  std::lock_guard<std::mutex> lock(faults_->mu);
  return faults_->garbled;
}

std::uint16_t FeedServer::port() const {
  return server_->port();
}

std::string FeedServer::base_url() const {
  return server_->base_url();
}

std::string FeedServer::server_name() {
  return HttpsServer::server_name();
}

std::uint64_t FeedServer::responses() const {
  return server_->responses();
}

void FeedServer::stop() {
  {
    // A request held back by `slow` must not hold the server's thread past its stop.
    std::lock_guard<std::mutex> lock(faults_->mu);
    faults_->stopping = true;
  }
  faults_->changed.notify_all();
  server_->stop();
}

}  // namespace gate::sim
