#include "firmware/sync/https_feed_source.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace gate::sync {
namespace {

Error storage(const std::string& what, const std::string& path) {
  return make_error(Errc::storage_error, what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

Result<std::string> HttpsFeedSource::fetch(std::string_view name, std::uint64_t max_size) {
  const std::string path = dir_ + "/" + std::string(name);
  if (name == feed::kManifestName) forget(name);  // a manifest is never resumed
  auto got = client_.download(name, path, max_size);
  if (!got.ok() && got.error().code == Errc::malformed &&
      !got.error().message.starts_with("size")) {
    // The staged part did not fit the server's file (download removed it): once from the start.
    got = client_.download(name, path, max_size);
  }
  if (!got.ok()) return got.error();
  if (got->size > max_size) {
    forget(name);
    return make_error(Errc::malformed, "size: longer than " + std::to_string(max_size));
  }
  return path;
}

void HttpsFeedSource::forget(std::string_view name) {
  const std::string path = dir_ + "/" + std::string(name);
  ::unlink(path.c_str());
}

Status HttpsFeedSource::clear() {
  DIR* d = ::opendir(dir_.c_str());
  if (!d) return storage("cannot open staging directory", dir_);
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  ::closedir(d);
  for (const auto& n : names) {
    const std::string path = dir_ + "/" + n;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return storage("cannot delete", path);
  }
  return ok_status();
}

}  // namespace gate::sync
