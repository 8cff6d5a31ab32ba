// SystemClock: the board's hal::Clock, from the kernel's CLOCK_REALTIME (wall, set by NTP or the
// RTC) and CLOCK_MONOTONIC (timeouts and latency).
#pragma once

#include <chrono>

#include "hal/clock.h"

namespace gate::drivers {

class SystemClock final : public hal::Clock {
 private:
  Instant do_wall_now() const override {
    return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
  }
  MonoInstant do_mono_now() const override {
    return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
  }
};

}  // namespace gate::drivers
