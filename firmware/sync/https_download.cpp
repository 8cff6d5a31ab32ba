// HttpsClient::download: a file fetched into place across failures, resumed with Range.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "firmware/sync/https_client.h"

// A city's feed files and cache grow past 2 GiB (40 million credentials: a 1.4 GB snapshot, a
// 3 GB cache); the top CMakeLists sets 64-bit offsets on the 32-bit board too.
static_assert(sizeof(off_t) == 8, "feed files need 64-bit file offsets");

namespace gate::sync {
namespace {

Error file_error(const std::string& what, const std::string& path) {
  return make_error(Errc::storage_error,
                    "download: " + what + " " + path + ": " + std::strerror(errno));
}

class FileFd {
 public:
  explicit FileFd(int fd) : fd_(fd) {}
  ~FileFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileFd(const FileFd&) = delete;
  FileFd& operator=(const FileFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

Result<DownloadResult> HttpsClient::download(std::string_view path, const std::string& file_path,
                                             std::uint64_t max_size) {
  FileFd file(::open(file_path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  if (file.get() < 0) return file_error("open", file_path);
  struct stat st {};
  if (::fstat(file.get(), &st) != 0) return file_error("stat", file_path);
  const auto existing = static_cast<std::uint64_t>(st.st_size);

  DownloadResult result;
  bool write_body = false;
  BodySink sink;
  sink.on_head = [&](const ResponseHead& head) -> Status {
    if ((head.status == 200 || head.status == 206) && head.content_length) {
      const std::uint64_t total = *head.content_length + (head.status == 206 ? existing : 0);
      if (total > max_size) {
        if (::ftruncate(file.get(), 0) != 0) return file_error("truncate", file_path);
        return make_error(Errc::malformed, "size: the server's file is " + std::to_string(total) +
                                               " bytes, longer than " + std::to_string(max_size));
      }
    }
    if (head.status == 206) {
      result.resumed_from = existing;
      write_body = true;
      if (::lseek(file.get(), static_cast<off_t>(existing), SEEK_SET) < 0) {
        return file_error("seek", file_path);
      }
      return ok_status();
    }
    if (head.status == 200) {  // whole file: start over
      write_body = true;
      if (::ftruncate(file.get(), 0) != 0 || ::lseek(file.get(), 0, SEEK_SET) < 0) {
        return file_error("truncate", file_path);
      }
      return ok_status();
    }
    if (head.status == 416 && existing > 0) {
      auto range = parse_content_range(head.content_range);
      if (range && !range->first && range->total == existing) {
        result.resumed_from = existing;  // complete already
        return ok_status();
      }
      if (::ftruncate(file.get(), 0) != 0) return file_error("truncate", file_path);
      return make_error(Errc::malformed,
                        "download: the local copy does not fit the server's; "
                        "removed, retry from the start");
    }
    return make_error(head.status == 404 ? Errc::not_found : Errc::io_error,
                      "download: HTTP status " + std::to_string(head.status));
  };
  sink.on_body = [&](const std::uint8_t* data, std::size_t size) -> Status {
    while (write_body && size > 0) {
      const ssize_t n = ::write(file.get(), data, size);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return file_error("write", file_path);
      data += n;
      size -= static_cast<std::size_t>(n);
    }
    return ok_status();
  };
  Request request;
  if (existing > 0) request.range_start = existing;
  GATE_TRY(exchange(path, request, sink));
  if (::fsync(file.get()) != 0 || ::fstat(file.get(), &st) != 0) {
    return file_error("sync", file_path);
  }
  result.size = static_cast<std::uint64_t>(st.st_size);
  return result;
}

}  // namespace gate::sync
