#include "drivers/serial_code_scanner.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <type_traits>

#include "hal/log.h"

namespace gate::drivers {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr const char* kTag = "scanner";
constexpr std::size_t kReadChunk = 256;

static_assert(std::is_same_v<speed_t, unsigned>, "SerialCodeScanner keeps speed_t as unsigned");

struct BaudRate {
  unsigned baud;
  speed_t speed;
};
constexpr BaudRate kBaudRates[] = {{1200, B1200},     {2400, B2400},     {4800, B4800},
                                   {9600, B9600},     {19200, B19200},   {38400, B38400},
                                   {57600, B57600},   {115200, B115200}, {230400, B230400},
                                   {460800, B460800}, {921600, B921600}};

std::string errno_text() {
  return std::strerror(errno);
}

// A poll() timeout for `d`, rounded up so that a wait never ends before its time (and spins).
int poll_ms(SteadyClock::duration d) {
  if (d <= SteadyClock::duration::zero()) return 0;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(d).count();
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

}  // namespace

Result<std::unique_ptr<SerialCodeScanner>> SerialCodeScanner::create(const hal::Clock& clock,
                                                                     SerialScannerConfig config) {
  if (config.device.empty()) return make_error(Errc::invalid_argument, "scanner: no device path");
  const auto* rate = std::find_if(std::begin(kBaudRates), std::end(kBaudRates),
                                  [&](const BaudRate& r) { return r.baud == config.baud; });
  if (rate == std::end(kBaudRates)) {
    std::string rates;
    for (const BaudRate& r : kBaudRates)
      rates += (rates.empty() ? "" : ", ") + std::to_string(r.baud);
    return make_error(Errc::invalid_argument, "scanner: " + std::to_string(config.baud) +
                                                  " baud is not a serial speed (" + rates + ")");
  }
  if (config.max_line == 0) return make_error(Errc::invalid_argument, "scanner: max_line is 0");
  if (config.backoff_min <= std::chrono::milliseconds::zero() ||
      config.backoff_min > config.backoff_max) {
    return make_error(Errc::invalid_argument, "scanner: backoff_min must be in (0, backoff_max]");
  }
  UniqueFd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake.valid()) return make_error(Errc::io_error, "scanner: eventfd: " + errno_text());
  return std::unique_ptr<SerialCodeScanner>(
      new SerialCodeScanner(clock, std::move(config), rate->speed, std::move(wake)));
}

SerialCodeScanner::SerialCodeScanner(const hal::Clock& clock, SerialScannerConfig config,
                                     unsigned speed, UniqueFd wake)
    : clock_(clock),
      config_(std::move(config)),
      speed_(speed),
      wake_(std::move(wake)),
      lines_(config_.max_line),
      backoff_(config_.backoff_min) {}

SerialCodeScanner::~SerialCodeScanner() {
  close_device();
}

void SerialCodeScanner::interrupt() {
  interrupted_.store(true);
  const std::uint64_t one = 1;
  (void)!::write(wake_.get(), &one, sizeof one);
}

void SerialCodeScanner::wait(SteadyClock::duration d) {
  if (interrupted_.load() || d <= SteadyClock::duration::zero()) return;
  pollfd p{wake_.get(), POLLIN, 0};
  (void)::poll(&p, 1, poll_ms(d));
}

Status SerialCodeScanner::open_device() {
  const std::string& path = config_.device;
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) return make_error(Errc::device_lost, path + ": cannot open: " + errno_text());
  // Locked before its settings are touched, so a port another program holds is left alone.
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    return make_error(Errc::device_lost,
                      path + ": in use by another program (" + errno_text() + ")");
  }
  termios tio{};
  if (::tcgetattr(fd.get(), &tio) != 0) {
    return make_error(Errc::device_lost, path + ": not a serial port: " + errno_text());
  }
  ::cfmakeraw(&tio);
  tio.c_cflag |= CLOCAL | CREAD;
  tio.c_cc[VMIN] = 0;
  tio.c_cc[VTIME] = 0;
  if (::cfsetispeed(&tio, speed_) != 0 || ::cfsetospeed(&tio, speed_) != 0 ||
      ::tcsetattr(fd.get(), TCSANOW, &tio) != 0) {
    return make_error(Errc::device_lost, path + ": cannot configure: " + errno_text());
  }
  // Refuses further opens by other programs (but root's) while we hold it.
  if (::ioctl(fd.get(), TIOCEXCL) != 0) {
    return make_error(Errc::device_lost, path + ": cannot take exclusive use: " + errno_text());
  }
  fd_ = std::move(fd);
  open_.store(true);
  return ok_status();
}

void SerialCodeScanner::close_device() {
  if (!fd_.valid()) return;
  // TIOCEXCL lasts as long as anyone has the tty open; give it back for the next opener.
  (void)::ioctl(fd_.get(), TIOCNXCL);
  fd_.reset();
  open_.store(false);
}

Error SerialCodeScanner::lose_device(const std::string& what) {
  close_device();
  lines_.discard_partial();
  // Reopen at the next call: a port that merely hiccuped is back before the gate notices; the
  // backoff applies once reopening fails.
  backoff_ = config_.backoff_min;
  next_open_ = clock_.mono_now();
  last_loss_ = config_.device + ": " + what;
  if (!down_logged_) log(LogLevel::error, kTag, "scanner lost, closing it: " + last_loss_);
  down_logged_ = true;
  return make_error(Errc::device_lost, last_loss_);
}

Result<std::optional<hal::ScannedLine>> SerialCodeScanner::do_read_line(
    std::chrono::milliseconds timeout) {
  if (interrupted_.load()) return std::optional<hal::ScannedLine>();
  if (auto line = lines_.take()) return line;
  const auto deadline = SteadyClock::now() + std::max(timeout, std::chrono::milliseconds::zero());
  if (!fd_.valid()) {
    const MonoInstant now = clock_.mono_now();
    if (now < next_open_) {
      wait(std::min<SteadyClock::duration>(deadline - SteadyClock::now(), next_open_ - now));
      return make_error(Errc::device_lost, "scanner down: " + last_loss_);
    }
    if (Status opened = open_device(); !opened.ok()) {
      next_open_ = now + backoff_;
      backoff_ = std::min(backoff_ * 2, config_.backoff_max);
      last_loss_ = opened.error().message;
      if (!down_logged_) log(LogLevel::error, kTag, "scanner down: " + last_loss_);
      down_logged_ = true;
      wait(std::min<SteadyClock::duration>(deadline - SteadyClock::now(), next_open_ - now));
      return opened.error();
    }
    log(LogLevel::info, kTag,
        std::string(down_logged_ ? "scanner back: " : "scanner open: ") + config_.device + " at " +
            std::to_string(config_.baud) + " baud");
    down_logged_ = false;
  }
  return read_until(deadline);
}

Result<std::optional<hal::ScannedLine>> SerialCodeScanner::read_until(
    SteadyClock::time_point deadline) {
  // Past the deadline the port is still read while it holds bytes, up to one line's worth: with a
  // zero timeout a line already sent is taken (poll() and read() on a tty first move what the
  // other end wrote into the line discipline).
  std::size_t late_bytes = 0;
  for (;;) {
    const auto left = deadline - SteadyClock::now();
    pollfd fds[2] = {{fd_.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    const int n = ::poll(fds, 2, poll_ms(left));
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(Errc::io_error, "scanner: poll: " + errno_text());
    }
    if (interrupted_.load()) return std::optional<hal::ScannedLine>();
    if (fds[0].revents & POLLIN) {
      GATE_TRY_ASSIGN(std::size_t got, read_some());
      if (auto line = lines_.take()) return line;
      if (left <= SteadyClock::duration::zero()) late_bytes += got;
      if (got > 0 && late_bytes <= config_.max_line + 1) continue;
    } else if (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
      return lose_device("hung up");
    }
    if (left <= SteadyClock::duration::zero()) return std::optional<hal::ScannedLine>();
  }
}

Result<std::size_t> SerialCodeScanner::read_some() {
  char buf[kReadChunk];
  const ssize_t n = ::read(fd_.get(), buf, sizeof buf);
  if (n > 0) {
    const auto count = static_cast<std::size_t>(n);
    const std::size_t dropped = lines_.feed(std::string_view(buf, count), clock_.mono_now());
    for (std::size_t i = 0; i < dropped; ++i) {
      log(LogLevel::error, kTag,
          "a line over " + std::to_string(config_.max_line) + " bytes dropped");
    }
    return count;
  }
  // poll() said readable: 0 bytes is the end of the line (a hang-up), not an empty port.
  if (n == 0) return lose_device("hung up");
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return std::size_t{0};
  return lose_device("read: " + errno_text());
}

}  // namespace gate::drivers
