// SimGateMechanism: a simulated turnstile (relay, passage sensor, emergency input) that records
// every relay change with the clock's monotonic time, plus a control API for tests and the
// scenario runner (walk people through, raise the fire alarm, inject faults). Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "hal/clock.h"
#include "hal/gate_mechanism.h"
#include "hal/time.h"

namespace gate::sim {

// One change of the relay: at `at` it went open (true) or closed (false).
struct RelayChange {
  MonoInstant at{};
  bool open = false;
  bool operator==(const RelayChange&) const = default;
};

class SimGateMechanism final : public hal::GateMechanism {
 public:
  // `clock` stamps the relay history; it must outlive the mechanism. The relay starts closed.
  explicit SimGateMechanism(const hal::Clock& clock) : clock_(clock) {}

  // `n` more people walked through; take_passages() hands them out.
  void add_passages(std::uint32_t n);
  // Raises (true) or clears (false) the emergency input.
  void set_emergency(bool active);
  // While true, set_open() fails with Errc::io_error and leaves the relay as it was.
  void set_relay_fails(bool fails);
  // While true, take_passages() fails with Errc::io_error (passages stay counted for later).
  void set_sensor_fails(bool fails);
  // While true, active() fails with Errc::io_error.
  void set_emergency_fails(bool fails);
  // The passage sensor's beam reads blocked (true) until cleared, and counts no passage meanwhile
  // (nobody can be seen walking through a beam that never clears); passages added meanwhile are
  // handed out once it clears.
  void set_sensor_stuck(bool stuck);
  // The barrier's position feedback follows the relay; while frozen (true) it stays where it was,
  // as a jammed barrier does, and barrier_open() disagrees with the relay once the relay moves.
  void set_barrier_frozen(bool frozen);
  // Whether barrier_open() reports a position at all (true, the default) or std::nullopt, as on
  // a mechanism without feedback.
  void set_has_feedback(bool has);

  // The relay now: true when open.
  bool relay_open() const;
  // Every change of the relay, oldest first. A set_open() that does not change it is not recorded.
  std::vector<RelayChange> history() const;
  // How many times the relay went from closed to open.
  std::size_t open_count() const;

 private:
  Status do_set_open(bool open) override;
  Result<std::uint32_t> do_take_passages() override;
  Result<bool> do_active() override;
  Result<std::optional<bool>> do_barrier_open() override;
  Result<bool> do_blocked() override;

  const hal::Clock& clock_;
  mutable std::mutex mu_;
  bool open_ = false;
  std::vector<RelayChange> history_;
  std::size_t open_count_ = 0;
  std::uint32_t passages_ = 0;
  bool emergency_ = false;
  bool relay_fails_ = false;
  bool sensor_fails_ = false;
  bool emergency_fails_ = false;
  bool sensor_stuck_ = false;
  bool barrier_frozen_ = false;
  bool barrier_open_ = false;  // the feedback: follows open_ unless frozen
  bool has_feedback_ = true;
};

}  // namespace gate::sim
