#include "sim/devices/sim_watchdog.h"

namespace gate::sim {

SimWatchdog::SimWatchdog(const hal::Clock& clock, Duration timeout)
    : clock_(clock), timeout_(timeout), last_kick_(clock.mono_now()) {}

void SimWatchdog::set_fails(bool fails) {
  std::lock_guard lock(mu_);
  fails_ = fails;
}

void SimWatchdog::restart() {
  std::lock_guard lock(mu_);
  if (expired_locked()) ++late_kicks_;  // counted as a gap longer than the timeout
  last_kick_ = clock_.mono_now();
}

std::size_t SimWatchdog::kicks() const {
  std::lock_guard lock(mu_);
  return kicks_;
}

bool SimWatchdog::expired() const {
  std::lock_guard lock(mu_);
  return expired_locked();
}

std::size_t SimWatchdog::fired_count() const {
  std::lock_guard lock(mu_);
  return late_kicks_ + (expired_locked() ? 1 : 0);
}

bool SimWatchdog::expired_locked() const {
  return clock_.mono_now() - last_kick_ > timeout_;
}

Status SimWatchdog::do_kick() {
  std::lock_guard lock(mu_);
  if (fails_) return make_error(Errc::io_error, "sim watchdog: kick refused");
  if (expired_locked()) ++late_kicks_;
  last_kick_ = clock_.mono_now();
  ++kicks_;
  return ok_status();
}

}  // namespace gate::sim
