#include "sim/backoffice/feed_file_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace gate::backoffice {
namespace {

constexpr std::size_t kBufferSize = 1 << 20;

Error io(const std::string& what) {
  return make_error(Errc::io_error, what + ": " + std::strerror(errno));
}

}  // namespace

Result<FeedFileWriter> FeedFileWriter::create(const std::string& dir, const std::string& name) {
  std::string tmp = dir + "/." + name + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io(tmp);
  return FeedFileWriter(fd, dir, std::move(tmp), dir + "/" + name);
}

FeedFileWriter::FeedFileWriter(int fd, std::string dir, std::string tmp, std::string path)
    : fd_(fd), dir_(std::move(dir)), tmp_(std::move(tmp)), path_(std::move(path)) {
  buf_.reserve(kBufferSize);
}

FeedFileWriter::FeedFileWriter(FeedFileWriter&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)),
      dir_(std::move(o.dir_)),
      tmp_(std::move(o.tmp_)),
      path_(std::move(o.path_)),
      buf_(std::move(o.buf_)),
      size_(o.size_),
      hash_(std::move(o.hash_)),
      signed_done_(o.signed_done_),
      committed_(std::exchange(o.committed_, true)) {}

FeedFileWriter::~FeedFileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_.c_str());
}

Status FeedFileWriter::write(std::span<const std::uint8_t> bytes) {
  if (committed_ || fd_ < 0) return make_error(Errc::invalid_argument, "feed file already closed");
  hash_.update(bytes);
  size_ += bytes.size();
  if (buf_.size() + bytes.size() > kBufferSize) GATE_TRY(flush());
  if (bytes.size() >= kBufferSize) {
    buf_.assign(bytes.begin(), bytes.end());
    return flush();
  }
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
  return ok_status();
}

Status FeedFileWriter::flush() {
  std::size_t done = 0;
  while (done < buf_.size()) {
    ssize_t n = ::write(fd_, buf_.data() + done, buf_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io(tmp_);
    done += static_cast<std::size_t>(n);
  }
  buf_.clear();
  return ok_status();
}

Status FeedFileWriter::sign(const sim::P256KeyPair& key, sim::CtrDrbg& rng) {
  if (signed_done_) return make_error(Errc::invalid_argument, "feed file already signed");
  auto digest = hash_.digest_so_far();
  if (!digest) return make_error(Errc::io_error, "SHA-256 failed");
  GATE_TRY_ASSIGN(sim::RawSignature sig, key.sign_digest(*digest, rng));
  signed_done_ = true;
  return write(sig);
}

Result<FeedFileWriter::Committed> FeedFileWriter::commit() {
  if (committed_ || fd_ < 0) return make_error(Errc::invalid_argument, "feed file already closed");
  GATE_TRY(flush());
  if (::fsync(fd_) != 0) return io(tmp_);
  int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) return io(tmp_);
  auto digest = hash_.finish();
  if (!digest) return make_error(Errc::io_error, "SHA-256 failed");
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) return io(path_);
  committed_ = true;
  int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return io(dir_);
  int rc = ::fsync(dfd);
  ::close(dfd);
  if (rc != 0) return io(dir_);
  return Committed{size_, *digest};
}

}  // namespace gate::backoffice
