// SerialCodeScanner on a real pty, against the scanner emulator: line terminators in every split,
// partial and empty lines, over-long lines, binary bytes, a scanner unplugged and plugged in again
// (backoff on the injected clock), a port already taken, shutdown during a wait, bad settings.
// Time moves through SimClock; real-time waits are bounded poll() calls inside the driver.
#include "drivers/serial_code_scanner.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "sim/devices/sim_clock.h"
#include "sim/scanner/scanner_emulator.h"
#include "tests/support/log_capture.h"
#include "tests/support/temp_dir.h"

namespace gate::drivers {
namespace {

using namespace std::chrono_literals;
using Terminator = sim::ScannerEmulator::Terminator;

// The demo's first ride code (sim/demo/scenario.txt).
const std::string kCode =
    "TRC1:V50W50000N00A79%ETQKCY:IUKCFEJRO0WBEX.HEO2VEGFO2%CARIR *2M1FU+B/M5J66R3P.2L.XN$IU4SR1DJ"
    "TD2YWGWPODRQYD1CTC2N59/OJZO0MU7NGL$94C9LI9I5R17K%SOD98MGLRN6.EJZWHASLA335UMF 0-%8UDEFD9*P4E+"
    "9%FT:1ESG1OY2CNAHD5F45LEPA*8Z2E-OQ5R5XA5I74KSIWNH55AFQ72B0DUP FWNR67-GS4K2MHEB9-UFS$505T:A8K"
    "OMIBBDGCH2LBVC*76P1U/.S16G6%OQXMP+2P4ORQGM09M-IPPV5IDKI7B6ES2";

struct Rig {
  test::TempDir dir;
  sim::SimClock clock{Instant(std::chrono::seconds(1653253200))};
  std::unique_ptr<sim::ScannerEmulator> scanner;
  std::unique_ptr<SerialCodeScanner> port;

  explicit Rig(SerialScannerConfig config = {}) {
    auto e = sim::ScannerEmulator::start(dir.file("scanner"));
    REQUIRE(e.ok());
    scanner = std::move(*e);
    config.device = scanner->link_path();
    auto p = SerialCodeScanner::create(clock, config);
    REQUIRE(p.ok());
    port = std::move(*p);
  }

  // The next line, waiting at most `timeout`; fails the test when none comes or the read fails.
  hal::ScannedLine line(std::chrono::milliseconds timeout = 5s) {
    auto r = port->read_line(timeout);
    INFO((r.ok() ? std::string("ok") : r.error().message));
    REQUIRE(r.ok());
    REQUIRE(r->has_value());
    return std::move(**r);
  }
  // Whether a zero-timeout read finds nothing (and does not fail).
  bool nothing() {
    auto r = port->read_line(0ms);
    INFO((r.ok() ? std::string("ok") : r.error().message));
    REQUIRE(r.ok());
    return !r->has_value();
  }
  Errc error_code(std::chrono::milliseconds timeout = 0ms) {
    auto r = port->read_line(timeout);
    REQUIRE_FALSE(r.ok());
    return r.error().code;
  }
};

TEST_CASE("serial scanner: CR, LF and CR LF each end one line, and CR LF no extra empty one") {
  Rig rig;
  REQUIRE(rig.scanner->send_line("A", Terminator::cr).ok());
  REQUIRE(rig.scanner->send_line("B", Terminator::lf).ok());
  REQUIRE(rig.scanner->send_line("C", Terminator::crlf).ok());
  REQUIRE(rig.scanner->send_line(kCode, Terminator::crlf).ok());
  CHECK(rig.line().text == "A");
  CHECK(rig.line().text == "B");
  CHECK(rig.line().text == "C");
  CHECK(rig.line().text == kCode);
  CHECK(rig.nothing());
}

TEST_CASE("serial scanner: a CR LF split across writes is one terminator") {
  Rig rig;
  REQUIRE(rig.scanner->send_bytes("TRC1:AB\r").ok());
  CHECK(rig.line().text == "TRC1:AB");  // the CR alone ends the line
  REQUIRE(rig.scanner->send_bytes("\n").ok());
  CHECK(rig.nothing());  // its LF is no empty line
  REQUIRE(rig.scanner->send_bytes("TRC1:CD").ok());
  CHECK(rig.nothing());
  REQUIRE(rig.scanner->send_bytes("\r").ok());
  CHECK(rig.line().text == "TRC1:CD");
  REQUIRE(rig.scanner->send_bytes("\nTRC1:EF\n").ok());
  CHECK(rig.line().text == "TRC1:EF");
  CHECK(rig.nothing());
}

TEST_CASE("serial scanner: a line sent in many pieces is one line, stamped when it ended") {
  Rig rig;
  for (char c : kCode) {
    REQUIRE(rig.scanner->send_bytes(std::string(1, c)).ok());
    CHECK(rig.nothing());
    rig.clock.advance(1ms);
  }
  REQUIRE(rig.scanner->send_bytes("\r\n").ok());
  const MonoInstant ended = rig.clock.mono_now();
  hal::ScannedLine line = rig.line();
  CHECK(line.text == kCode);
  CHECK(line.received_at == ended);
  CHECK(rig.nothing());
}

TEST_CASE("serial scanner: a line written before a zero-timeout read is taken by that read") {
  // The simulator's loop reads with a zero timeout right after the scenario's scan is written.
  Rig rig;
  for (int i = 0; i < 200; ++i) {
    REQUIRE(rig.scanner->send_line(kCode, Terminator::crlf).ok());
    auto r = rig.port->read_line(0ms);
    REQUIRE(r.ok());
    REQUIRE(r->has_value());
    CHECK((*r)->text == kCode);
  }
}

TEST_CASE("serial scanner: several lines in one write come out one by one") {
  Rig rig;
  REQUIRE(rig.scanner->send_bytes("ONE\r\nTWO\nTHREE\r").ok());
  const MonoInstant read_at = rig.clock.mono_now();
  CHECK(rig.line().text == "ONE");
  rig.clock.advance(10ms);
  hal::ScannedLine two = rig.line(0ms);
  CHECK(two.text == "TWO");
  CHECK(two.received_at == read_at);  // when it arrived, not when it was taken
  CHECK(rig.line(0ms).text == "THREE");
  CHECK(rig.nothing());
}

TEST_CASE("serial scanner: empty lines are ignored") {
  Rig rig;
  REQUIRE(rig.scanner->send_bytes("\r\n\r\n\n\r\r\n\n").ok());
  CHECK(rig.nothing());
  REQUIRE(rig.scanner->send_line("TRC1:AB", Terminator::crlf).ok());
  CHECK(rig.line().text == "TRC1:AB");
  CHECK(rig.nothing());
}

TEST_CASE("serial scanner: an over-long line is dropped with one log line, the next one is read") {
  test::LogCapture logs;
  Rig rig;  // max_line 512
  REQUIRE(rig.scanner->send_line(std::string(512, 'X'), Terminator::crlf).ok());
  CHECK(rig.line().text == std::string(512, 'X'));  // the maximum itself is kept
  for (int i = 0; i < 8; ++i) {
    REQUIRE(rig.scanner->send_bytes(std::string(500, 'Y')).ok());
    CHECK(rig.nothing());
  }
  REQUIRE(rig.scanner->send_bytes("\r\n" + kCode + "\r\n").ok());
  CHECK(rig.line().text == kCode);
  CHECK(rig.nothing());
  auto errors = logs.messages(LogLevel::error, "scanner");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("dropped") != std::string::npos);
  // One byte over the maximum is over-long too.
  REQUIRE(rig.scanner->send_line(std::string(513, 'Z'), Terminator::lf).ok());
  REQUIRE(rig.scanner->send_line("TRC1:AB", Terminator::lf).ok());
  CHECK(rig.line().text == "TRC1:AB");
  CHECK(logs.messages(LogLevel::error, "scanner").size() == 2);
}

TEST_CASE("serial scanner: NUL and binary bytes are kept as they came, the next code is read") {
  Rig rig;
  const std::string garbage("\x00\xff\x80TRC1:\x00\x7f\x1b[2J\xc3\xa9", 14);
  REQUIRE(rig.scanner->send_bytes(garbage + "\r\n").ok());
  hal::ScannedLine line = rig.line();
  CHECK(line.text.size() == garbage.size());
  CHECK(line.text == garbage);
  REQUIRE(rig.scanner->send_line(kCode, Terminator::crlf).ok());
  CHECK(rig.line().text == kCode);
}

TEST_CASE("serial scanner: unplugged is device_lost, reopened with backoff, then reads again") {
  test::LogCapture logs;
  Rig rig;
  CHECK(rig.nothing());
  CHECK(rig.port->device_open());
  REQUIRE(rig.scanner->send_bytes("TRC1:HALF").ok());  // a line cut by the unplugging
  CHECK(rig.nothing());
  rig.scanner->close();
  CHECK(rig.error_code() == Errc::device_lost);
  CHECK_FALSE(rig.port->device_open());
  // The first reopen is tried at the next call (and fails: the link is gone), then the attempts
  // back off on the injected clock: 250 ms, then 500 ms.
  CHECK(rig.error_code() == Errc::device_lost);
  rig.clock.advance(250ms);
  CHECK(rig.error_code() == Errc::device_lost);
  REQUIRE(rig.scanner->reopen().ok());
  rig.clock.advance(499ms);
  CHECK(rig.error_code() == Errc::device_lost);  // not due yet, though the port is back
  CHECK_FALSE(rig.port->device_open());
  rig.clock.advance(1ms);
  CHECK(rig.nothing());
  CHECK(rig.port->device_open());
  REQUIRE(rig.scanner->send_line(kCode, Terminator::crlf).ok());
  CHECK(rig.line().text == kCode);  // nothing of the cut line is left in front of it
  CHECK(logs.messages(LogLevel::error, "scanner").size() == 1);  // lost: once, for all attempts
  auto infos = logs.messages(LogLevel::info, "scanner");
  REQUIRE(infos.size() == 2);  // opened, and back
  CHECK(infos[1].find("back") != std::string::npos);
}

TEST_CASE("serial scanner: while down, read_line waits out its timeout instead of returning") {
  Rig rig;
  CHECK(rig.nothing());
  rig.scanner->close();
  CHECK(rig.error_code() == Errc::device_lost);
  CHECK(rig.error_code() == Errc::device_lost);  // a failed reopen: the next is 250 ms away
  const auto start = std::chrono::steady_clock::now();
  CHECK(rig.error_code(50ms) == Errc::device_lost);
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(took >= 50ms);  // a caller's loop polling it does not spin
  CHECK(took < 2s);
}

TEST_CASE("serial scanner: a missing device is device_lost naming it, and recovers by itself") {
  test::TempDir dir;
  sim::SimClock clock{Instant(std::chrono::seconds(1653253200))};
  SerialScannerConfig config;
  config.device = dir.file("ttyACM9");
  auto port = SerialCodeScanner::create(clock, config);
  REQUIRE(port.ok());  // opened lazily: a scanner missing at start-up is not a start-up failure
  auto r = (*port)->read_line(0ms);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::device_lost);
  CHECK(r.error().message.find(config.device) != std::string::npos);
  CHECK(r.error().message.find("No such file or directory") != std::string::npos);
  auto scanner = sim::ScannerEmulator::start(config.device);
  REQUIRE(scanner.ok());
  REQUIRE((*scanner)->send_line(kCode, Terminator::crlf).ok());
  clock.advance(250ms);
  auto line = (*port)->read_line(5s);
  REQUIRE(line.ok());
  REQUIRE(line->has_value());
  CHECK((*line)->text == kCode);
}

TEST_CASE("serial scanner: a port another program holds is refused, not shared") {
  Rig rig;
  CHECK(rig.nothing());
  SerialScannerConfig config;
  config.device = rig.scanner->link_path();
  auto second = SerialCodeScanner::create(rig.clock, config);
  REQUIRE(second.ok());
  auto r = (*second)->read_line(0ms);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::device_lost);
  CHECK(r.error().message.find("in use") != std::string::npos);
  REQUIRE(rig.scanner->send_line("TRC1:AB", Terminator::crlf).ok());
  CHECK(rig.line().text == "TRC1:AB");  // the first keeps reading undisturbed
}

TEST_CASE("serial scanner: interrupt() ends a long read_line at once, and later ones too") {
  Rig rig;
  CHECK(rig.nothing());
  bool got_line = true;
  std::thread reader([&] {
    auto r = rig.port->read_line(30s);
    got_line = !r.ok() || r->has_value();
  });
  const auto interrupted_at = std::chrono::steady_clock::now();
  rig.port->interrupt();
  reader.join();
  CHECK(std::chrono::steady_clock::now() - interrupted_at < 2s);
  CHECK_FALSE(got_line);
  const auto again_at = std::chrono::steady_clock::now();
  CHECK(rig.nothing());
  CHECK(rig.port->read_line(30s).ok());
  CHECK(std::chrono::steady_clock::now() - again_at < 2s);
}

TEST_CASE("serial scanner: impossible settings are clear errors at creation") {
  sim::SimClock clock{Instant(std::chrono::seconds(1653253200))};
  SerialScannerConfig config;
  config.device = "/dev/ttyACM0";
  config.baud = 12345;
  auto bad_baud = SerialCodeScanner::create(clock, config);
  REQUIRE_FALSE(bad_baud.ok());
  CHECK(bad_baud.error().code == Errc::invalid_argument);
  CHECK(bad_baud.error().message.find("12345 baud") != std::string::npos);
  CHECK(bad_baud.error().message.find("115200") != std::string::npos);  // names what works
  for (unsigned baud : {1200u, 9600u, 115200u, 921600u}) {
    config.baud = baud;
    CHECK(SerialCodeScanner::create(clock, config).ok());
  }
  config.baud = 9600;
  config.max_line = 0;
  CHECK(SerialCodeScanner::create(clock, config).error().code == Errc::invalid_argument);
  config.max_line = 512;
  config.backoff_min = 5s;
  CHECK(SerialCodeScanner::create(clock, config).error().code == Errc::invalid_argument);
  config.backoff_min = 250ms;
  config.device.clear();
  CHECK(SerialCodeScanner::create(clock, config).error().code == Errc::invalid_argument);
}

}  // namespace
}  // namespace gate::drivers
