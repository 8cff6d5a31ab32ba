// LinuxWatchdog without a kernel watchdog: against a regular file and a FIFO, where the watchdog
// ioctls fail with ENOTTY, so every kick is the one-byte write fallback and the bytes written are
// exactly what a watchdog driver would receive. What the tests pin down: one byte per kick, never
// 'V'; the magic 'V' only on disarm(), never on plain destruction (a crash must still reset the
// board); a missing device a clear error; nothing blocks.
#include "drivers/linux_watchdog.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <string>

#include "drivers/unique_fd.h"
#include "tests/support/temp_dir.h"

namespace gate::drivers {
namespace {

using namespace std::chrono_literals;

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string touch(const test::TempDir& dir) {
  std::string path = dir.file("watchdog");
  std::ofstream(path).flush();
  return path;
}

// Everything waiting in a non-blocking read end; "" when nothing is.
std::string drain(int fd) {
  std::string out;
  char buf[64];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  return out;
}

TEST_CASE("LinuxWatchdog: each kick writes one byte that is not 'V' where the ioctl is missing",
          "[drivers][watchdog]") {
  test::TempDir dir;
  const std::string path = touch(dir);
  auto wd = LinuxWatchdog::open(path, 9500ms);
  REQUIRE(wd.ok());
  CHECK(wd->requested_timeout() == 10s);  // rounded up to whole seconds, never down
  CHECK_FALSE(wd->granted_timeout());     // a file cannot say what it grants
  CHECK(wd->timeout_note().find("timeout not set") != std::string::npos);
  CHECK(file_bytes(path).empty());  // opening writes nothing

  REQUIRE(wd->kick().ok());
  CHECK(wd->kicks_by_write());
  REQUIRE(wd->kick().ok());
  REQUIRE(wd->kick().ok());
  const std::string written = file_bytes(path);
  REQUIRE(written.size() == 3);
  CHECK(written == std::string(3, LinuxWatchdog::kKickByte));
  CHECK(written.find('V') == std::string::npos);
}

TEST_CASE("LinuxWatchdog: disarm writes the magic 'V' last and closes", "[drivers][watchdog]") {
  test::TempDir dir;
  const std::string path = touch(dir);
  auto wd = LinuxWatchdog::open(path, 10s);
  REQUIRE(wd.ok());
  REQUIRE(wd->kick().ok());
  REQUIRE(wd->disarm().ok());
  CHECK(file_bytes(path) == std::string{LinuxWatchdog::kKickByte, 'V'});

  Status late = wd->kick();  // closed: a kick after the clean stop is refused, and writes nothing
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().message.find("disarmed") != std::string::npos);
  CHECK(wd->disarm().ok());  // idempotent
  CHECK(file_bytes(path).size() == 2);
}

TEST_CASE("LinuxWatchdog: plain destruction never writes the magic 'V'", "[drivers][watchdog]") {
  test::TempDir dir;
  const std::string path = touch(dir);
  {
    auto wd = LinuxWatchdog::open(path, 10s);
    REQUIRE(wd.ok());
    REQUIRE(wd->kick().ok());
    REQUIRE(wd->kick().ok());
    LinuxWatchdog moved = std::move(*wd);  // a moved-from watchdog writes nothing either
    REQUIRE(moved.kick().ok());
  }
  CHECK(file_bytes(path) == std::string(3, LinuxWatchdog::kKickByte));
}

TEST_CASE("LinuxWatchdog: through a FIFO the reader sees each kick and the magic close",
          "[drivers][watchdog]") {
  test::TempDir dir;
  const std::string path = dir.file("watchdog.fifo");
  REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
  UniqueFd reader(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  REQUIRE(reader.valid());

  auto wd = LinuxWatchdog::open(path, 3s);
  REQUIRE(wd.ok());
  CHECK(drain(reader.get()).empty());
  REQUIRE(wd->kick().ok());
  CHECK(drain(reader.get()) == std::string(1, LinuxWatchdog::kKickByte));
  REQUIRE(wd->kick().ok());
  REQUIRE(wd->kick().ok());
  CHECK(drain(reader.get()) == std::string(2, LinuxWatchdog::kKickByte));
  REQUIRE(wd->disarm().ok());
  CHECK(drain(reader.get()) == "V");
  char c;
  CHECK(::read(reader.get(), &c, 1) == 0);  // end of file: the writer closed
}

TEST_CASE("LinuxWatchdog: a FIFO with no reader is refused at once, not waited on",
          "[drivers][watchdog]") {
  test::TempDir dir;
  const std::string path = dir.file("watchdog.fifo");
  REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
  auto wd = LinuxWatchdog::open(path, 10s);  // O_WRONLY without O_NONBLOCK would hang here
  REQUIRE_FALSE(wd.ok());
  CHECK(wd.error().code == Errc::io_error);
  CHECK(wd.error().message.find(path) != std::string::npos);
}

TEST_CASE("LinuxWatchdog: a missing device is a clear not_found error", "[drivers][watchdog]") {
  test::TempDir dir;
  const std::string path = dir.file("no-such-watchdog");
  auto wd = LinuxWatchdog::open(path, 10s);
  REQUIRE_FALSE(wd.ok());
  CHECK(wd.error().code == Errc::not_found);
  CHECK(wd.error().message == "watchdog " + path + ": No such file or directory");
}

}  // namespace
}  // namespace gate::drivers
