// Tests sim/pn532/pn532_emulator and sim/pty: the emulator on a real pseudo-terminal, with the
// test as a raw host writing and reading bytes on the link (no libnfc here). Waits are bounded
// poll() calls or the emulator's wait_for(); nothing sleeps.
#include "sim/pn532/pn532_emulator.h"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <string>

#include "sim/cards/card_factory.h"
#include "sim/pn532/pn532_frame.h"
#include "tests/support/temp_dir.h"

namespace gate::sim {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const hal::Bytes kWakeup{0x55, 0x55, 0x00, 0x00, 0x00};
const hal::Bytes kSamConfiguration{0x00, 0x00, 0xFF, 0x03, 0xFD, 0xD4, 0x14, 0x01, 0x17, 0x00};
const hal::Bytes kSamReply{0x00, 0x00, 0xFF, 0x02, 0xFE, 0xD5, 0x15, 0x16, 0x00};
const hal::Bytes kGetFirmwareVersion{0x00, 0x00, 0xFF, 0x02, 0xFE, 0xD4, 0x02, 0x2A, 0x00};
const hal::Bytes kFirmwareReply{0x00, 0x00, 0xFF, 0x06, 0xFA, 0xD5, 0x03,
                                0x32, 0x01, 0x06, 0x07, 0xE8, 0x00};
const hal::Bytes kListOneTarget{0x00, 0x00, 0xFF, 0x04, 0xFC, 0xD4, 0x4A, 0x01, 0x00, 0xE1, 0x00};

// The test as the host: the port opened through the link, raw, as a serial driver would.
class RawHost {
 public:
  explicit RawHost(const std::string& path) : fd_(::open(path.c_str(), O_RDWR | O_NOCTTY)) {
    REQUIRE(fd_ >= 0);
    termios tio{};
    REQUIRE(::tcgetattr(fd_, &tio) == 0);
    ::cfmakeraw(&tio);
    REQUIRE(::tcsetattr(fd_, TCSANOW, &tio) == 0);
  }
  ~RawHost() { ::close(fd_); }
  RawHost(const RawHost&) = delete;
  RawHost& operator=(const RawHost&) = delete;

  void write(const hal::Bytes& bytes) {
    REQUIRE(::write(fd_, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  }
  // Up to `n` bytes, waiting at most `timeout` for them; fewer if the line went quiet or hung up.
  hal::Bytes read(std::size_t n, std::chrono::milliseconds timeout = 5s) {
    hal::Bytes out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out.size() < n) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      std::uint8_t buf[64];
      const ssize_t got = ::read(fd_, buf, std::min(sizeof buf, n - out.size()));
      if (got <= 0) break;
      out.insert(out.end(), buf, buf + got);
    }
    return out;
  }
  // Whether bytes are waiting to be read right now.
  bool readable() {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
  }
  // Poll flags now (POLLHUP once the emulator closed the pty).
  short revents() {
    pollfd p{fd_, POLLIN, 0};
    ::poll(&p, 1, 0);
    return p.revents;
  }

 private:
  int fd_;
};

std::unique_ptr<Pn532Emulator> start(const std::string& link) {
  auto emulator = Pn532Emulator::start(link);
  REQUIRE(emulator.ok());
  return std::move(emulator).value();
}

void wake_and_configure(RawHost& host) {
  hal::Bytes bytes = kWakeup;
  bytes.insert(bytes.end(), kSamConfiguration.begin(), kSamConfiguration.end());
  host.write(bytes);
  REQUIRE(host.read(6) == pn532::ack_frame());
  REQUIRE(host.read(kSamReply.size()) == kSamReply);
}

TEST_CASE("pn532 emulator: ACK first, then the reply, and the reply again after a NACK") {
  test::TempDir dir;
  auto emulator = start(dir.file("pn532"));
  CHECK(fs::read_symlink(dir.file("pn532")) == emulator->slave_path());
  CHECK(emulator->connstring() == "pn532_uart:" + dir.file("pn532"));
  RawHost host(dir.file("pn532"));
  wake_and_configure(host);
  host.write(kGetFirmwareVersion);
  CHECK(host.read(6) == pn532::ack_frame());
  CHECK(host.read(kFirmwareReply.size()) == kFirmwareReply);
  host.write(pn532::nack_frame());
  CHECK(host.read(kFirmwareReply.size()) == kFirmwareReply);

  Pn532Counters c = emulator->counters();
  CHECK(c.wakeups == 1);
  CHECK(c.frames_received == 2);
  CHECK(c.nacks_received == 1);
  CHECK(c.replies_sent == 2);
  CHECK(c.commands[0x14] == 1);
  CHECK(c.commands[0x02] == 1);
}

TEST_CASE("pn532 emulator: a frame to the sleeping chip is lost, a corrupt frame ignored") {
  test::TempDir dir;
  auto emulator = start(dir.file("pn532"));
  RawHost host(dir.file("pn532"));
  host.write(kGetFirmwareVersion);  // no wake-up first: the chip starts asleep
  REQUIRE(emulator->wait_for([](const Pn532Counters& c) { return c.frames_lost_asleep == 1; }, 5s));
  CHECK_FALSE(host.readable());
  host.write(kGetFirmwareVersion);  // the lost frame's edges woke it
  CHECK(host.read(6) == pn532::ack_frame());
  CHECK(host.read(kFirmwareReply.size()) == kFirmwareReply);

  hal::Bytes corrupt = kGetFirmwareVersion;
  corrupt[7] = 0x2B;
  host.write(corrupt);
  REQUIRE(emulator->wait_for([](const Pn532Counters& c) { return c.corrupt_frames == 1; }, 5s));
  CHECK_FALSE(host.readable());
  // Garbage, then an unknown command: ACK and the syntax error frame.
  host.write({0x13, 0x37, 0x00, 0x00, 0xFF, 0x02, 0xFE, 0xD4, 0x8C, 0xA0, 0x00});
  CHECK(host.read(6) == pn532::ack_frame());
  CHECK(host.read(8) == pn532::syntax_error_frame());
  CHECK(emulator->counters().syntax_errors == 1);
}

TEST_CASE(
    "pn532 emulator: a waiting InListPassiveTarget ends with a card, or with the host's ACK") {
  test::TempDir dir;
  auto emulator = start(dir.file("pn532"));
  RawHost host(dir.file("pn532"));
  wake_and_configure(host);
  host.write(kListOneTarget);  // endless retries at power-on: it waits for a card
  CHECK(host.read(6) == pn532::ack_frame());
  CHECK_FALSE(host.readable());
  auto card = make_card_for_key("tu:3105170010170907984");
  emulator->place(card);
  hal::Bytes reply = host.read(24);
  REQUIRE(reply.size() == 24);
  CHECK(hal::Bytes(reply.begin() + 5, reply.begin() + 8) == hal::Bytes{0xD5, 0x4B, 0x01});

  emulator->remove(card);
  CHECK(emulator->in_field() == 0);
  host.write(kListOneTarget);
  CHECK(host.read(6) == pn532::ack_frame());
  host.write(pn532::ack_frame());  // libnfc's abort
  REQUIRE(emulator->wait_for([](const Pn532Counters& c) { return c.aborted_commands == 1; }, 5s));
  emulator->place(card);
  // The aborted command stays unanswered: the next bytes are the next command's.
  host.write(kGetFirmwareVersion);
  CHECK(host.read(6) == pn532::ack_frame());
  CHECK(host.read(kFirmwareReply.size()) == kFirmwareReply);
}

TEST_CASE("pn532 emulator: close() hangs up the host, reopen() serves behind the same link") {
  test::TempDir dir;
  const std::string link = dir.file("pn532");
  auto emulator = start(link);
  emulator->place(make_card_for_key("m1:04a1b2c3"));
  const std::string first_slave = emulator->slave_path();
  {
    RawHost host(link);
    wake_and_configure(host);
    emulator->close();
    CHECK_FALSE(emulator->is_open());
    CHECK((host.revents() & POLLHUP) != 0);
    CHECK(host.read(1, 1s).empty());
    CHECK_FALSE(fs::is_symlink(link));
  }
  REQUIRE(emulator->reopen().ok());
  CHECK(emulator->is_open());
  CHECK(emulator->in_field() == 1);
  CHECK(fs::read_symlink(link) == emulator->slave_path());
  RawHost host(link);
  host.write(kGetFirmwareVersion);  // a chip just powered on sleeps: this frame only wakes it
  REQUIRE(emulator->wait_for([](const Pn532Counters& c) { return c.frames_lost_asleep == 1; }, 5s));
  wake_and_configure(host);
  host.write(kGetFirmwareVersion);
  CHECK(host.read(6) == pn532::ack_frame());
  CHECK(host.read(kFirmwareReply.size()) == kFirmwareReply);
}

TEST_CASE("pn532 emulator: the link is replaced atomically and removed only by its owner") {
  test::TempDir dir;
  const std::string link = dir.file("pn532");
  fs::create_symlink("/dev/null", link);
  auto first = start(link);
  CHECK(fs::read_symlink(link) == first->slave_path());
  {
    auto second = start(link);  // takes the link over
    CHECK(fs::read_symlink(link) == second->slave_path());
    first.reset();  // the link is not the first's any more: it stays
    CHECK(fs::read_symlink(link) == second->slave_path());
  }
  CHECK_FALSE(fs::is_symlink(link));
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    FAIL("left behind: " << entry.path());
  }
}

TEST_CASE("pn532 emulator: a link that cannot be made is an I/O error") {
  test::TempDir dir;
  auto emulator = Pn532Emulator::start(dir.file("missing/pn532"));
  REQUIRE_FALSE(emulator.ok());
  CHECK(emulator.error().code == Errc::io_error);
  CHECK(emulator.error().message.find("missing/pn532") != std::string::npos);
}

}  // namespace
}  // namespace gate::sim
