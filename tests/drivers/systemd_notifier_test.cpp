// SystemdNotifier against a real unix datagram socket standing in for systemd's notify socket:
// the datagrams it sends are what sd_notify(3) documents.
#include "drivers/systemd_notifier.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "drivers/unique_fd.h"
#include "tests/support/temp_dir.h"

namespace gate::drivers {
namespace {

// A bound datagram socket; receive() returns the next datagram or "" when none is waiting.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& address) {
    fd_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    address.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    if (address[0] == '@') addr.sun_path[0] = '\0';
    auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size());
    REQUIRE(::bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), len) == 0);
  }
  std::string receive() {
    char buf[256];
    ssize_t n = ::recv(fd_.get(), buf, sizeof buf, MSG_DONTWAIT);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  }

 private:
  UniqueFd fd_;
};

TEST_CASE("kick sends WATCHDOG=1 and notify sends the assignments as one datagram") {
  test::TempDir dir;
  std::string path = dir.file("notify");
  NotifySocket systemd(path);
  auto n = SystemdNotifier::open(path);
  REQUIRE(n.ok());
  REQUIRE(n->notify("READY=1\nSTATUS=gate in service").ok());
  REQUIRE(n->kick().ok());
  CHECK(systemd.receive() == "READY=1\nSTATUS=gate in service");
  CHECK(systemd.receive() == "WATCHDOG=1");
  CHECK(systemd.receive().empty());
}

TEST_CASE("an abstract-namespace address (@name) reaches the abstract socket") {
  std::string address = "@gate-notify-test-" + std::to_string(::getpid());
  NotifySocket systemd(address);
  auto n = SystemdNotifier::open(address);
  REQUIRE(n.ok());
  REQUIRE(n->kick().ok());
  CHECK(systemd.receive() == "WATCHDOG=1");
}

TEST_CASE("a vanished notify socket makes kick fail with io_error, not block or crash") {
  test::TempDir dir;
  auto n = SystemdNotifier::open(dir.file("nobody-listens"));
  REQUIRE(n.ok());
  Status s = n->kick();
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == Errc::io_error);
}

TEST_CASE("open refuses empty and over-long addresses, no NOTIFY_SOCKET is not_found") {
  CHECK(SystemdNotifier::open("").error().code == Errc::invalid_argument);
  CHECK(SystemdNotifier::open(std::string(200, 'x')).error().code == Errc::invalid_argument);
  ::unsetenv("NOTIFY_SOCKET");
  CHECK(SystemdNotifier::open_from_environment().error().code == Errc::not_found);
}

TEST_CASE("the watchdog interval comes from WATCHDOG_USEC for this process only") {
  ::unsetenv("WATCHDOG_PID");
  ::setenv("WATCHDOG_USEC", "10000000", 1);
  CHECK(SystemdNotifier::watchdog_interval_from_environment() == std::chrono::seconds(10));
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  CHECK(SystemdNotifier::watchdog_interval_from_environment() == std::chrono::seconds(10));
  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
  CHECK_FALSE(SystemdNotifier::watchdog_interval_from_environment());
  ::unsetenv("WATCHDOG_PID");
  for (const char* bad : {"", "0", "-5", "10s", "abc"}) {
    ::setenv("WATCHDOG_USEC", bad, 1);
    CHECK_FALSE(SystemdNotifier::watchdog_interval_from_environment());
  }
  ::unsetenv("WATCHDOG_USEC");
  CHECK_FALSE(SystemdNotifier::watchdog_interval_from_environment());
}

}  // namespace
}  // namespace gate::drivers
