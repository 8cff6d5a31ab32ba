#include "sim/devices/sim_clock.h"

#include <cstdio>
#include <cstdlib>

namespace gate::sim {

void SimClock::advance(Duration by) {
  if (by < Duration::zero()) {
    std::fputs("sim: SimClock::advance called with a negative duration\n", stderr);
    std::abort();
  }
  std::lock_guard lock(mu_);
  wall_ += by;
  mono_ += by;
}

void SimClock::set_wall(Instant wall) {
  std::lock_guard lock(mu_);
  wall_ = wall;
}

Instant SimClock::do_wall_now() const {
  std::lock_guard lock(mu_);
  return wall_;
}

MonoInstant SimClock::do_mono_now() const {
  std::lock_guard lock(mu_);
  return mono_;
}

}  // namespace gate::sim
