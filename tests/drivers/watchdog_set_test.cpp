// WatchdogSet: every member is kicked at every kick, whatever the others answered, and the
// failures come back named.
#include "drivers/watchdog_set.h"

#include <catch2/catch.hpp>
#include <memory>

namespace gate::drivers {
namespace {

class CountingWatchdog final : public hal::Watchdog {
 public:
  CountingWatchdog(int& kicks, const bool& fails) : kicks_(kicks), fails_(fails) {}

 private:
  Status do_kick() override {
    ++kicks_;
    if (fails_) return make_error(Errc::io_error, "refused");
    return ok_status();
  }
  int& kicks_;
  const bool& fails_;
};

TEST_CASE("WatchdogSet: a failing member does not keep the others from being kicked",
          "[drivers][watchdog]") {
  int device_kicks = 0, systemd_kicks = 0;
  bool device_fails = false, systemd_fails = false;
  WatchdogSet set;
  set.add("device", std::make_unique<CountingWatchdog>(device_kicks, device_fails));
  set.add("systemd", std::make_unique<CountingWatchdog>(systemd_kicks, systemd_fails));
  CHECK(set.size() == 2);

  REQUIRE(set.kick().ok());
  CHECK(device_kicks == 1);
  CHECK(systemd_kicks == 1);

  device_fails = true;  // the first one fails: the second is still kicked
  Status s = set.kick();
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == Errc::io_error);
  CHECK(s.error().message == "device: refused");
  CHECK(device_kicks == 2);
  CHECK(systemd_kicks == 2);

  systemd_fails = true;  // both: both named, in order
  s = set.kick();
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message == "device: refused; systemd: refused");
  CHECK(systemd_kicks == 3);

  device_fails = systemd_fails = false;
  CHECK(set.kick().ok());
}

TEST_CASE("WatchdogSet: an empty set succeeds", "[drivers][watchdog]") {
  WatchdogSet set;
  CHECK(set.empty());
  CHECK(set.kick().ok());
}

}  // namespace
}  // namespace gate::drivers
