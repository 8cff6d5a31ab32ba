#include "drivers/watchdog_set.h"

namespace gate::drivers {

void WatchdogSet::add(std::string name, std::unique_ptr<hal::Watchdog> watchdog) {
  members_.push_back(Member{std::move(name), std::move(watchdog)});
}

Status WatchdogSet::do_kick() {
  std::string failures;
  for (Member& m : members_) {
    Status s = m.watchdog->kick();
    if (!s.ok()) failures += (failures.empty() ? "" : "; ") + m.name + ": " + s.error().message;
  }
  if (!failures.empty()) return make_error(Errc::io_error, failures);
  return ok_status();
}

}  // namespace gate::drivers
