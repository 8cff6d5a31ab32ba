// What gate-validator --check-config says about the board's device settings (check_devices): the
// settings this build's drivers serve, and the problems named for the rest.
#include "drivers/board/board_devices.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "drivers/unique_fd.h"
#include "tests/support/temp_dir.h"

namespace gate::board {
namespace {

// The report's lines about the scanner (found, problems).
std::pair<std::vector<std::string>, std::vector<std::string>> scanner_lines(std::string scanner) {
  app::Config config;
  config.scanner = std::move(scanner);
  DeviceReport report = check_devices(config);
  std::pair<std::vector<std::string>, std::vector<std::string>> out;
  for (const std::string& line : report.found) {
    if (line.rfind("scanner", 0) == 0) out.first.push_back(line);
  }
  for (const std::string& line : report.problems) {
    if (line.rfind("scanner", 0) == 0) out.second.push_back(line);
  }
  return out;
}

TEST_CASE("board devices: a serial device path is served by the serial scanner driver") {
  for (const char* path : {"/dev/ttyACM0", "/dev/ttyS2", "/dev/serial/by-id/usb-scanner-if00"}) {
    auto [found, problems] = scanner_lines(path);
    CHECK(problems.empty());
    REQUIRE(found.size() == 1);
    CHECK(found[0].rfind(std::string("scanner: serial ") + path + " at 9600 baud", 0) == 0);
  }
}

TEST_CASE("board devices: scanner none is cards only, direct and a bare name are problems") {
  auto none = scanner_lines("none");
  CHECK(none.first == std::vector<std::string>{"scanner: none (cards only)"});
  CHECK(none.second.empty());
  auto direct = scanner_lines("direct");
  CHECK(direct.first.empty());
  REQUIRE(direct.second.size() == 1);
  CHECK(direct.second[0].find("simulator") != std::string::npos);
  auto bare = scanner_lines("ttyACM0");
  CHECK(bare.first.empty());
  REQUIRE(bare.second.size() == 1);
  CHECK(bare.second[0].find("not a serial device path") != std::string::npos);
}

}  // namespace
}  // namespace gate::board

namespace gate::board {
namespace {

std::vector<std::string> watchdog_device_lines(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  for (const std::string& l : lines) {
    if (l.rfind("watchdog device", 0) == 0 || l.rfind("watchdog_device", 0) == 0) out.push_back(l);
  }
  return out;
}

TEST_CASE("board devices: watchdog_device is checked without being opened") {
  test::TempDir dir;
  app::Config config;
  DeviceReport none = check_devices(config);
  CHECK(watchdog_device_lines(none.found) ==
        std::vector<std::string>{"watchdog device: none (watchdog_device not set)"});
  CHECK(watchdog_device_lines(none.problems).empty());

  config.watchdog_device = dir.file("watchdog");
  CHECK(watchdog_device_lines(check_devices(config).problems) ==
        std::vector<std::string>{"watchdog_device = " + config.watchdog_device +
                                 ": No such file or directory"});
  std::ofstream(config.watchdog_device) << "";
  CHECK(watchdog_device_lines(check_devices(config).problems) ==
        std::vector<std::string>{"watchdog_device = " + config.watchdog_device +
                                 ": not a character device"});
  // A character device (not a watchdog, and not opened: that would start a real one).
  config.watchdog_device = "/dev/null";
  DeviceReport chr = check_devices(config);
  CHECK(watchdog_device_lines(chr.problems).empty());
  REQUIRE(watchdog_device_lines(chr.found).size() == 1);
  CHECK(watchdog_device_lines(chr.found)[0].rfind(
            "watchdog device: /dev/null (opened last at start-up, timeout 10s asked", 0) == 0);
}

TEST_CASE("board devices: the watchdog set kicks the device and systemd, disarm is the device's") {
  test::TempDir dir;
  app::Config config;
  drivers::LinuxWatchdog* device = nullptr;
  ::unsetenv("NOTIFY_SOCKET");
  auto empty = open_watchdogs(config, &device);
  REQUIRE(empty.ok());
  CHECK((*empty)->empty());
  CHECK(device == nullptr);

  config.watchdog_device = dir.file("missing");
  auto missing = open_watchdogs(config, &device);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find(config.watchdog_device) != std::string::npos);

  // The device (a file here: kicks are the write fallback) and a notify socket nobody reads.
  config.watchdog_device = dir.file("watchdog");
  std::ofstream(config.watchdog_device) << "";
  drivers::UniqueFd notify(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string notify_path = dir.file("notify");
  REQUIRE(notify_path.size() < sizeof(addr.sun_path));
  notify_path.copy(addr.sun_path, notify_path.size());
  REQUIRE(::bind(notify.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  ::setenv("NOTIFY_SOCKET", notify_path.c_str(), 1);
  auto both = open_watchdogs(config, &device);
  ::unsetenv("NOTIFY_SOCKET");
  REQUIRE(both.ok());
  CHECK((*both)->size() == 2);
  REQUIRE(device != nullptr);
  REQUIRE((*both)->kick().ok());
  char datagram[32] = {};
  CHECK(::recv(notify.get(), datagram, sizeof datagram, MSG_DONTWAIT) == 10);
  CHECK(std::string(datagram) == "WATCHDOG=1");
  std::ifstream in(config.watchdog_device, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(bytes == std::string(1, drivers::LinuxWatchdog::kKickByte));

  BoardDevices board;
  board.watchdog = std::move(*both);
  board.watchdog_device = device;
  REQUIRE(board.disarm_watchdog().ok());
  std::ifstream again(config.watchdog_device, std::ios::binary);
  bytes.assign((std::istreambuf_iterator<char>(again)), std::istreambuf_iterator<char>());
  CHECK(bytes == std::string{drivers::LinuxWatchdog::kKickByte, 'V'});
}

}  // namespace
}  // namespace gate::board
