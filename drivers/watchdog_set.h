// WatchdogSet: several watchdogs kicked as one (on a board: the kernel's /dev/watchdog and
// systemd's WATCHDOG=1), so the loop keeps its single kick site. Every member is kicked at every
// kick, whatever the others answered: one refusing (a full notify socket) must not starve the
// other and reset a healthy board. An empty set kicks nothing and succeeds.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hal/result.h"
#include "hal/watchdog.h"

namespace gate::drivers {

class WatchdogSet final : public hal::Watchdog {
 public:
  // `name` prefixes the member's errors ("device: …", "systemd: …").
  void add(std::string name, std::unique_ptr<hal::Watchdog> watchdog);
  std::size_t size() const { return members_.size(); }
  bool empty() const { return members_.empty(); }

 private:
  struct Member {
    std::string name;
    std::unique_ptr<hal::Watchdog> watchdog;
  };
  // Errc::io_error naming every member that failed, after all were kicked.
  Status do_kick() override;

  std::vector<Member> members_;
};

}  // namespace gate::drivers
