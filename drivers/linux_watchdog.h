// LinuxWatchdog: the kernel's watchdog device (/dev/watchdog, the API of linux/watchdog.h) as a
// hal::Watchdog. Opening the device starts the hardware countdown; every kick restarts it; when
// the kicks stop (a stalled loop, a crash, a hung kernel) the board resets. That is the point of
// having it beside systemd's WatchdogSec: systemd restarts a stalled process, the hardware
// watchdog also catches a system that can no longer run systemd.
//
// Stopping: closing the device normally leaves the countdown running (the kernel logs "watchdog
// did not stop!"), so a crash or a kill still ends in a reset unless the service is restarted and
// reopens the device within the timeout. Only disarm() writes the magic character 'V' right before
// closing, which tells the driver this close is deliberate; gate-validator calls it on SIGTERM
// only. A kernel built with CONFIG_WATCHDOG_NOWAYOUT (or a driver loaded with nowayout=1) ignores
// the magic close: once opened, the watchdog can never be stopped, and even a clean stop resets
// the board unless the service is back within the timeout (systemd restarts it after RestartSec).
//
// Never blocks: the device is a character device whose write and ioctls return at once (a write
// only restarts the countdown). The path is opened with O_NONBLOCK too, so a misconfigured path
// naming a FIFO without a reader fails instead of hanging the start-up.
//
// Kicks use WDIOC_KEEPALIVE; where the ioctl is not supported (ENOTTY: not a watchdog driver, or
// EOPNOTSUPP/EINVAL: a driver without WDIOF_KEEPALIVEPING; ENOSYS: qemu-user) a one-byte write, which every watchdog
// driver takes as a kick, is used from then on. The byte is never 'V', so a kick also cancels any
// earlier magic character.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "drivers/unique_fd.h"
#include "hal/result.h"
#include "hal/time.h"
#include "hal/watchdog.h"

namespace gate::drivers {

class LinuxWatchdog final : public hal::Watchdog {
 public:
  // The byte written per kick where WDIOC_KEEPALIVE is not supported, and the magic close.
  static constexpr char kKickByte = '\0';
  static constexpr char kMagicClose = 'V';

  // Opens `path` (O_WRONLY | O_CLOEXEC | O_NONBLOCK): the countdown starts now. Asks the driver
  // for `timeout`, rounded up to whole seconds (at least 1s), with WDIOC_SETTIMEOUT, then reads
  // back what it granted with WDIOC_GETTIMEOUT; a driver that refuses keeps its own timeout
  // (see timeout_note()). Errc::not_found when the path does not exist, Errc::io_error for any
  // other failure to open (EBUSY: another process, e.g. systemd's RuntimeWatchdogSec, holds the
  // device; EACCES: the service user may not write it), each with the errno text.
  static Result<LinuxWatchdog> open(const std::string& path, Duration timeout);

  LinuxWatchdog(LinuxWatchdog&&) = default;
  LinuxWatchdog& operator=(LinuxWatchdog&&) = default;
  // Closes without the magic character: the countdown goes on (a reset, unless reopened in time).
  ~LinuxWatchdog() override = default;

  const std::string& path() const { return path_; }
  // The timeout asked for, in whole seconds.
  std::chrono::seconds requested_timeout() const { return requested_; }
  // The timeout the driver reports (WDIOC_GETTIMEOUT); std::nullopt when it cannot say.
  std::optional<std::chrono::seconds> granted_timeout() const { return granted_; }
  // Empty when the timeout was set; else why not (the driver's own timeout then applies).
  const std::string& timeout_note() const { return timeout_note_; }
  // True once kicks go through write() because WDIOC_KEEPALIVE is not supported.
  bool kicks_by_write() const { return kick_by_write_; }

  // The clean stop: the magic character, then close. Only for a deliberate stop (SIGTERM); after
  // it kick() fails. Errc::io_error with the errno text when the write or the close failed (the
  // countdown may then still be running); idempotent once closed.
  Status disarm();

 private:
  LinuxWatchdog(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  Status do_kick() override;
  void set_timeout(Duration timeout);

  UniqueFd fd_;
  std::string path_;
  std::chrono::seconds requested_{0};
  std::optional<std::chrono::seconds> granted_;
  std::string timeout_note_;
  bool kick_by_write_ = false;
};

}  // namespace gate::drivers
