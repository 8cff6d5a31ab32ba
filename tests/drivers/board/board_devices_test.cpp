// What gate-validator --check-config says about the board's device settings (check_devices): the
// settings this build's drivers serve, and the problems named for the rest.
#include "drivers/board/board_devices.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

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
