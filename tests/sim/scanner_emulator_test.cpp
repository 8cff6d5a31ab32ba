// Tests sim/scanner/scanner_emulator: the emulator on a real pseudo-terminal, with the test as a
// raw host reading the link (no driver here). Waits are bounded poll() calls; nothing sleeps.
#include "sim/scanner/scanner_emulator.h"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <string>

#include "tests/support/temp_dir.h"

namespace gate::sim {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using Terminator = ScannerEmulator::Terminator;

// The test as the host: the port opened through the link, raw.
class RawHost {
 public:
  explicit RawHost(const std::string& path)
      : fd_(::open(path.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK)) {
    REQUIRE(fd_ >= 0);
    termios tio{};
    REQUIRE(::tcgetattr(fd_, &tio) == 0);
    ::cfmakeraw(&tio);
    REQUIRE(::tcsetattr(fd_, TCSANOW, &tio) == 0);
  }
  ~RawHost() { ::close(fd_); }
  RawHost(const RawHost&) = delete;
  RawHost& operator=(const RawHost&) = delete;

  // Up to `n` bytes, waiting at most `timeout` for them; fewer if the port went quiet.
  std::string read(std::size_t n, std::chrono::milliseconds timeout = 5s) {
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out.size() < n) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[256];
      const ssize_t got = ::read(fd_, buf, std::min(sizeof buf, n - out.size()));
      if (got <= 0) break;
      out.append(buf, static_cast<std::size_t>(got));
    }
    return out;
  }
  // What poll() reports for the port at once.
  short revents() {
    pollfd p{fd_, POLLIN, 0};
    REQUIRE(::poll(&p, 1, 0) >= 0);
    return p.revents;
  }

 private:
  int fd_;
};

std::unique_ptr<ScannerEmulator> start(const std::string& link) {
  auto emulator = ScannerEmulator::start(link);
  INFO((emulator.ok() ? std::string() : emulator.error().message));
  REQUIRE(emulator.ok());
  return std::move(*emulator);
}

TEST_CASE("scanner emulator: the link names the pty, the host reads each line as sent") {
  test::TempDir dir;
  auto scanner = start(dir.file("scanner"));
  CHECK(fs::read_symlink(dir.file("scanner")) == scanner->slave_path());
  RawHost host(scanner->link_path());
  REQUIRE(scanner->send_line("TRC1:AB", Terminator::cr).ok());
  REQUIRE(scanner->send_line("TRC1:CD", Terminator::lf).ok());
  REQUIRE(scanner->send_line("TRC1:EF").ok());  // CR LF by default
  REQUIRE(scanner->send_bytes(std::string("\0\xff", 2)).ok());
  CHECK(host.read(27) == std::string("TRC1:AB\rTRC1:CD\nTRC1:EF\r\n\0\xff", 27));
  CHECK(scanner->bytes_sent() == 27);
  CHECK(scanner->bytes_dropped() == 0);
}

TEST_CASE("scanner emulator: close() hangs up the host, reopen() serves behind the same link") {
  test::TempDir dir;
  const std::string link = dir.file("scanner");
  auto scanner = start(link);
  const std::string first_slave = scanner->slave_path();
  {
    RawHost host(link);
    scanner->close();
    CHECK_FALSE(scanner->is_open());
    CHECK((host.revents() & POLLHUP) != 0);
    CHECK_FALSE(fs::is_symlink(link));
    CHECK(scanner->send_line("TRC1:AB").error().code == Errc::io_error);
  }
  REQUIRE(scanner->reopen().ok());
  CHECK(scanner->is_open());
  CHECK(fs::read_symlink(link) == scanner->slave_path());
  RawHost host(link);
  REQUIRE(scanner->send_line("TRC1:AB").ok());
  CHECK(host.read(9) == "TRC1:AB\r\n");
  scanner.reset();
  CHECK_FALSE(fs::is_symlink(link));
}

TEST_CASE("scanner emulator: bytes a host does not read are kept until full, then lost") {
  test::TempDir dir;
  auto scanner = start(dir.file("scanner"));
  const std::string block(4096, 'X');
  for (int i = 0; i < 64; ++i) REQUIRE(scanner->send_bytes(block).ok());  // never blocks
  CHECK(scanner->bytes_sent() > 0);
  CHECK(scanner->bytes_dropped() > 0);
  CHECK(scanner->bytes_sent() + scanner->bytes_dropped() == 64 * block.size());
}

TEST_CASE("scanner emulator: a link that cannot be made is an I/O error") {
  test::TempDir dir;
  auto scanner = ScannerEmulator::start(dir.file("missing/scanner"));
  REQUIRE_FALSE(scanner.ok());
  CHECK(scanner.error().code == Errc::io_error);
  CHECK(scanner.error().message.find("missing/scanner") != std::string::npos);
}

}  // namespace
}  // namespace gate::sim
