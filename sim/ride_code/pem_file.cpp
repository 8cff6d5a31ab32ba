#include "sim/ride_code/pem_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace gate::sim {
namespace {

constexpr std::size_t kMaxFileSize = 64 * 1024;

}  // namespace

Result<std::string> read_small_file(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    const int error = errno;
    return make_error(error == ENOENT ? Errc::not_found : Errc::io_error,
                      path + ": " + std::strerror(error));
  }
  std::string text(kMaxFileSize + 1, '\0');
  const std::size_t size = std::fread(text.data(), 1, text.size(), file);
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) return make_error(Errc::io_error, path + ": read failed");
  if (size > kMaxFileSize) return make_error(Errc::malformed, path + ": larger than 64 KiB");
  text.resize(size);
  return text;
}

Status write_new_file(const std::string& path, std::string_view text, unsigned mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    const int error = errno;
    if (error == EEXIST) {
      return make_error(Errc::invalid_argument, path + ": exists already; not replacing it");
    }
    return make_error(Errc::io_error, path + ": " + std::strerror(error));
  }
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = errno;
      ::close(fd);
      ::unlink(path.c_str());
      return make_error(Errc::io_error, path + ": " + std::strerror(error));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) return make_error(Errc::io_error, path + ": " + std::strerror(errno));
  return ok_status();
}

}  // namespace gate::sim
