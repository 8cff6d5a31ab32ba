// Clock: wall time (for records, validity dates, policy schedules) and monotonic time (for
// timeouts and latency). Injected everywhere so that tests move time instead of sleeping.
#pragma once

#include "hal/time.h"

namespace gate::hal {

class Clock {
 public:
  virtual ~Clock() = default;
  // UTC wall time. May jump (NTP, RTC set); never used to measure a timeout.
  Instant wall_now() const { return do_wall_now(); }
  // Monotonic time since an arbitrary origin. Never goes backwards.
  MonoInstant mono_now() const { return do_mono_now(); }

 private:
  virtual Instant do_wall_now() const = 0;
  virtual MonoInstant do_mono_now() const = 0;
};

}  // namespace gate::hal
