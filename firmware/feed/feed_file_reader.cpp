#include "firmware/feed/feed_file_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

// A city's feed files and cache grow past 2 GiB (40 million credentials: a 1.4 GB snapshot, a
// 3 GB cache); the top CMakeLists sets 64-bit offsets on the 32-bit board too.
static_assert(sizeof(off_t) == 8, "feed files need 64-bit file offsets");

namespace gate::feed {
namespace {

Error system_error(Errc code, std::string_view what) {
  return make_error(code, std::string(what) + " (" + std::strerror(errno) + ")");
}

}  // namespace

Result<FeedFileReader> FeedFileReader::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return system_error(errno == ENOENT ? Errc::not_found : Errc::io_error, "cannot open");
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    Error e = system_error(Errc::io_error, "not a readable regular file");
    ::close(fd);
    return e;
  }
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return FeedFileReader(fd, static_cast<std::uint64_t>(st.st_size));
}

FeedFileReader::FeedFileReader(int fd, std::uint64_t size) : fd_(fd), size_(size) {}

FeedFileReader::FeedFileReader(FeedFileReader&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      size_(other.size_),
      pos_(other.pos_),
      hash_(std::move(other.hash_)),
      signed_digest_(other.signed_digest_),
      tail_(other.tail_) {}

FeedFileReader& FeedFileReader::operator=(FeedFileReader&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = other.size_;
    pos_ = other.pos_;
    hash_ = std::move(other.hash_);
    signed_digest_ = other.signed_digest_;
    tail_ = other.tail_;
  }
  return *this;
}

FeedFileReader::~FeedFileReader() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::size_t> FeedFileReader::read(std::span<std::uint8_t> out) {
  std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), size_ - pos_));
  if (want == 0) return std::size_t{0};
  ssize_t n;
  do {
    n = ::pread(fd_, out.data(), want, static_cast<off_t>(pos_));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return system_error(Errc::io_error, "read failed");
  if (n == 0) return make_error(Errc::malformed, "size: the file shrank while being read");
  auto got = out.first(static_cast<std::size_t>(n));
  // Bytes below size - 64 are signed; the last 64 are the signature.
  const std::uint64_t sig_at = size_ >= tail_.size() ? size_ - tail_.size() : 0;
  std::size_t signed_n =
      pos_ < sig_at ? static_cast<std::size_t>(std::min<std::uint64_t>(got.size(), sig_at - pos_))
                    : 0;
  hash_.update(got.first(signed_n));
  if (pos_ + signed_n == sig_at && !signed_digest_) signed_digest_ = hash_.digest_so_far();
  hash_.update(got.subspan(signed_n));
  for (std::size_t i = signed_n; i < got.size(); ++i) {
    tail_[static_cast<std::size_t>(pos_ + i - sig_at)] = got[i];
  }
  pos_ += got.size();
  return got.size();
}

Status FeedFileReader::read_to_end() {
  std::vector<std::uint8_t> buf(1 << 16);
  while (pos_ < size_) GATE_TRY(read(buf));
  return ok_status();
}

void FeedFileReader::rewind() {
  pos_ = 0;
  hash_ = core::Sha256Stream();
  signed_digest_.reset();
  tail_ = {};
}

Result<FeedFileReader::Digests> FeedFileReader::digests() {
  if (pos_ != size_) return make_error(Errc::io_error, "digests asked before the end of the file");
  if (size_ < tail_.size() && !signed_digest_) signed_digest_ = core::Sha256Stream().finish();
  auto whole = hash_.finish();
  if (!whole || !signed_digest_) return make_error(Errc::io_error, "SHA-256 failed");
  return Digests{*whole, *signed_digest_, tail_};
}

}  // namespace gate::feed
