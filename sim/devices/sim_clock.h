// SimClock: a hal::Clock that only moves when told to. Tests and the scenario runner advance it
// instead of sleeping; nothing here reads real time. Safe to use from several threads (the sync
// thread reads it while the scenario runner moves it).
#pragma once

#include <mutex>

#include "hal/clock.h"
#include "hal/time.h"

namespace gate::sim {

class SimClock final : public hal::Clock {
 public:
  // Where monotonic time starts. Deliberately not zero, so code that treats a zero MonoInstant as
  // "never" is caught.
  static constexpr MonoInstant kMonoOrigin{std::chrono::hours(1000)};

  // Wall time starts at `wall`, monotonic time at kMonoOrigin.
  explicit SimClock(Instant wall) : wall_(wall) {}

  // Moves wall and monotonic time forward by `by`. `by` must not be negative (programmer error:
  // aborts, since monotonic time never goes backwards).
  void advance(Duration by);
  // Sets wall time only (an NTP step or RTC set, either direction); monotonic time is unaffected.
  void set_wall(Instant wall);

 private:
  Instant do_wall_now() const override;
  MonoInstant do_mono_now() const override;

  mutable std::mutex mu_;
  Instant wall_;
  MonoInstant mono_ = kMonoOrigin;
};

}  // namespace gate::sim
