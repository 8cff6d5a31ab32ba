// Heartbeat: a worker thread's sign of life (the feed syncer's, the journal uploader's), read by
// the loop thread before it kicks the watchdog (GateRuntime). The thread beats when a step of its
// work begins and ends (a download, a batch, a prune chunk) and rests while it sits in its wait
// between rounds: a condition variable's wait_for is bounded by construction, so a resting thread
// cannot be stuck. A thread that has been on one step for longer than `bound` without a beat is
// stalled: a wait that was not bounded after all, a deadlock, a loop that never ends. A reset is
// what cures those, so the loop stops kicking.
//
// Lock-free (one atomic), so neither side ever waits for the other. The clock is the one the
// threads' real time runs on: the board's, or in the simulator real time (the simulated clock
// races ahead of threads that do real I/O).
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>

#include "hal/clock.h"
#include "hal/time.h"

namespace gate::sync {

class Heartbeat {
 public:
  // Resting until the first beat. `clock` must outlive the heartbeat.
  Heartbeat(const hal::Clock& clock, Duration bound) : clock_(clock), bound_(bound) {}
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

  // Working: a step begins or ends now.
  void beat() { last_.store(clock_.mono_now().time_since_epoch().count()); }
  // In the bounded wait between rounds.
  void rest() { last_.store(kResting); }

  // How long the thread has been working without a beat; zero while it rests.
  Duration silent_for() const {
    const std::int64_t last = last_.load();
    if (last == kResting) return Duration::zero();
    const Duration d = clock_.mono_now().time_since_epoch() - Duration(last);
    return d > Duration::zero() ? d : Duration::zero();
  }
  bool stalled() const { return silent_for() > bound_; }
  Duration bound() const { return bound_; }

 private:
  static constexpr std::int64_t kResting = std::numeric_limits<std::int64_t>::min();
  const hal::Clock& clock_;
  const Duration bound_;
  std::atomic<std::int64_t> last_{kResting};
};

}  // namespace gate::sync
