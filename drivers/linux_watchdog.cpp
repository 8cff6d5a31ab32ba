#include "drivers/linux_watchdog.h"

#include <fcntl.h>
#include <linux/watchdog.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gate::drivers {
namespace {

std::string errno_text(int err) {
  return std::strerror(err);
}

// The errnos by which a driver says "no such ioctl here", rather than "the device failed".
// ENOSYS: qemu-user's answer to an ioctl it does not translate (the watchdog's are among them), so
// the same fallback holds for the board binaries run under emulation in CI.
bool ioctl_unsupported(int err) {
  return err == ENOTTY || err == EOPNOTSUPP || err == EINVAL || err == ENOSYS;
}

Status write_byte(int fd, char byte, const std::string& path) {
  ssize_t n;
  do {
    n = ::write(fd, &byte, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) {
    return make_error(Errc::io_error,
                      "watchdog " + path + ": write: " + (n < 0 ? errno_text(errno) : "short"));
  }
  return ok_status();
}

}  // namespace

Result<LinuxWatchdog> LinuxWatchdog::open(const std::string& path, Duration timeout) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) {
    const int err = errno;
    std::string why = errno_text(err);
    if (err == EBUSY) why += " (another process holds it: systemd's RuntimeWatchdogSec?)";
    return make_error(err == ENOENT ? Errc::not_found : Errc::io_error,
                      "watchdog " + path + ": " + why);
  }
  LinuxWatchdog w(std::move(fd), path);
  w.set_timeout(timeout);
  return w;
}

void LinuxWatchdog::set_timeout(Duration timeout) {
  auto secs = std::chrono::ceil<std::chrono::seconds>(timeout);
  if (secs < std::chrono::seconds(1)) secs = std::chrono::seconds(1);
  requested_ = secs;
  int value = static_cast<int>(secs.count());
  if (::ioctl(fd_.get(), WDIOC_SETTIMEOUT, &value) != 0) {
    timeout_note_ = "timeout not set (" + errno_text(errno) + "): the driver's own applies";
  }
  int granted = 0;
  if (::ioctl(fd_.get(), WDIOC_GETTIMEOUT, &granted) == 0 && granted > 0) {
    granted_ = std::chrono::seconds(granted);
  }
}

Status LinuxWatchdog::do_kick() {
  if (!fd_.valid()) return make_error(Errc::io_error, "watchdog " + path_ + ": disarmed");
  if (!kick_by_write_) {
    int dummy = 0;
    if (::ioctl(fd_.get(), WDIOC_KEEPALIVE, &dummy) == 0) return ok_status();
    const int err = errno;
    if (!ioctl_unsupported(err)) {
      return make_error(Errc::io_error, "watchdog " + path_ + ": keepalive: " + errno_text(err));
    }
    kick_by_write_ = true;
  }
  return write_byte(fd_.get(), kKickByte, path_);
}

Status LinuxWatchdog::disarm() {
  if (!fd_.valid()) return ok_status();
  Status written = write_byte(fd_.get(), kMagicClose, path_);
  // Closed whatever the write did: a descriptor kept open would go on needing kicks.
  if (::close(fd_.release()) != 0 && written.ok()) {
    return make_error(Errc::io_error, "watchdog " + path_ + ": close: " + errno_text(errno));
  }
  return written;
}

}  // namespace gate::drivers
