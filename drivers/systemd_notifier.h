// SystemdNotifier: the service manager's notification protocol (sd_notify(3)): READY=1 at start,
// STATUS=… lines, STOPPING=1, and WATCHDOG=1 as the hal::Watchdog kick, so the unit's WatchdogSec
// restarts a gate whose loop stalls. Written against the documented datagram protocol rather than
// libsystemd: a board image need not carry that library for four message types.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <optional>
#include <string_view>

#include "drivers/unique_fd.h"
#include "hal/result.h"
#include "hal/time.h"
#include "hal/watchdog.h"

namespace gate::drivers {

class SystemdNotifier final : public hal::Watchdog {
 public:
  // From $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace). Errc::not_found when the
  // variable is unset: the program was not started by systemd with Type=notify.
  static Result<SystemdNotifier> open_from_environment();
  // To the socket at `address` (same forms as $NOTIFY_SOCKET). Errc::invalid_argument when it
  // is empty or too long for a unix socket address; Errc::io_error when no socket can be made.
  static Result<SystemdNotifier> open(std::string_view address);

  // Sends one datagram of newline-separated VAR=value assignments ("READY=1", "STATUS=…").
  // Never blocks: a full socket buffer fails with Errc::io_error.
  Status notify(std::string_view assignments);

  // The watchdog interval systemd expects kicks within ($WATCHDOG_USEC, when $WATCHDOG_PID is
  // unset or names this process); std::nullopt when the unit has no WatchdogSec.
  static std::optional<Duration> watchdog_interval_from_environment();

 private:
  SystemdNotifier(UniqueFd fd, const sockaddr_un& addr, socklen_t len)
      : fd_(std::move(fd)), addr_(addr), addr_len_(len) {}
  Status do_kick() override { return notify("WATCHDOG=1"); }

  UniqueFd fd_;
  sockaddr_un addr_{};
  socklen_t addr_len_ = 0;
};

}  // namespace gate::drivers
