// CacheReader::check, the probe the gate's cache watch reopens a cache with: good, unreadable (may
// come back: missing, not a file) or damaged (SQLite says so: it is set aside, never retried).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/firmware/store/cache_test_support.h"

using namespace cache_test;
using gate::store::CacheCondition;

namespace {

// A cache with a few records, closed (its WAL checkpointed into the file).
std::string make_cache(const CacheDir& dir) {
  const std::string path = dir.file("cache.db");
  CacheWriter w = open_writer(path);
  apply(w, {binding(kTu, "id-a", BindingStatus::active, Media::card, 1652750000),
            health("id-a", HealthColour::green, false, 1653213600, 1653249600)});
  return path;
}

// Overwrites the bytes [from, from + n) of `path` with 0xA5.
void scribble(const std::string& path, off_t from, std::size_t n) {
  const int fd = ::open(path.c_str(), O_WRONLY);
  REQUIRE(fd >= 0);
  std::string junk(n, '\xa5');
  REQUIRE(::pwrite(fd, junk.data(), n, from) == static_cast<ssize_t>(n));
  ::close(fd);
}

// The page size the file's header declares (bytes 16-17, big-endian).
off_t page_size_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char header[18] = {};
  in.read(reinterpret_cast<char*>(header), sizeof header);
  REQUIRE(in.good());
  return static_cast<off_t>((header[16] << 8) | header[17]);
}

}  // namespace

TEST_CASE("CacheReader::check: a good cache reads, and the reader it returns answers") {
  CacheDir dir;
  const std::string path = make_cache(dir);
  auto check = CacheReader::check(path);
  REQUIRE(check.condition == CacheCondition::good);
  REQUIRE(check.reader);
  CHECK(lookup(*check.reader, kTu).binding.has_value());
  CHECK_FALSE(check.reader->damage_seen());
}

TEST_CASE("CacheReader::check: missing or not a file is unreadable, not damaged") {
  CacheDir dir;
  auto missing = CacheReader::check(dir.file("none.db"));
  CHECK(missing.condition == CacheCondition::unreadable);
  CHECK_THAT(missing.detail, Catch::Contains("does not exist"));
  REQUIRE(::mkdir(dir.file("dir.db").c_str(), 0700) == 0);
  auto directory = CacheReader::check(dir.file("dir.db"));
  CHECK(directory.condition == CacheCondition::unreadable);
  CHECK_THAT(directory.detail, Catch::Contains("is not a file"));
  CHECK_FALSE(directory.reader);
}

TEST_CASE("CacheReader::check: garbage pages or a garbage header are damage") {
  CacheDir dir;
  const std::string path = make_cache(dir);
  const auto size = static_cast<off_t>(std::filesystem::file_size(path));
  const off_t page = page_size_of(path);
  REQUIRE(size > page);
  SECTION("every page but the first") {
    scribble(path, page, static_cast<std::size_t>(size - page));
  }
  SECTION("the header") {
    scribble(path, 0, 100);
  }
  auto check = CacheReader::check(path);
  CHECK(check.condition == CacheCondition::damaged);
  CHECK_FALSE(check.reader);
  CHECK_FALSE(check.detail.empty());
}
