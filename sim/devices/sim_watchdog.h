// SimWatchdog: a simulated watchdog that never resets anything; it checks kicks against the
// injected clock so tests can ask whether a real one would have fired. Thread-safe.
//
// Boundary: the deadline is `timeout` after the last kick (or after construction, before the first
// kick). A kick exactly at the deadline is in time; the watchdog has expired once more than
// `timeout` has passed, i.e. from one microsecond after the deadline.
#pragma once

#include <cstddef>
#include <mutex>

#include "hal/clock.h"
#include "hal/time.h"
#include "hal/watchdog.h"

namespace gate::sim {

class SimWatchdog final : public hal::Watchdog {
 public:
  // `clock` must outlive the watchdog. The first deadline counts from construction.
  SimWatchdog(const hal::Clock& clock, Duration timeout);

  // While true, kick() fails with Errc::io_error and does not restart the countdown.
  void set_fails(bool fails);
  // The simulated board rebooted: the countdown starts again from now, as at construction. A fire
  // that caused the reboot stays counted in fired_count().
  void restart();
  // Number of successful kicks.
  std::size_t kicks() const;
  // True if clock.mono_now() - last kick > timeout: a real watchdog would have fired by now.
  bool expired() const;
  // How many times a real watchdog would have fired (each time resetting the board): one for each
  // gap between consecutive successful kicks (or construction and the first kick) longer than the
  // timeout, plus one if the gap now open is already longer. A long gap counts once, however long.
  std::size_t fired_count() const;

 private:
  Status do_kick() override;
  bool expired_locked() const;

  const hal::Clock& clock_;
  const Duration timeout_;
  mutable std::mutex mu_;
  MonoInstant last_kick_;
  std::size_t kicks_ = 0;
  std::size_t late_kicks_ = 0;  // successful kicks that came after their deadline
  bool fails_ = false;
};

}  // namespace gate::sim
