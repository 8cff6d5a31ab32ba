// The turnstile: relay (barrier open/closed), passage sensors, and the emergency input.
// Capabilities are split so that users take the narrowest one.
#pragma once

#include <cstdint>
#include <optional>

#include "hal/result.h"

namespace gate::hal {

// The barrier relay. Closed is the safe default state at start-up.
class Relay {
 public:
  virtual ~Relay() = default;
  // Drives the barrier open (true) or closed (false). Errc::io_error if the output failed.
  Status set_open(bool open) { return do_set_open(open); }
  // Where the barrier is, as its position feedback (a limit switch) reports it: open (true) or
  // closed (false); std::nullopt when this mechanism has no feedback, in which case the gate
  // checks nothing. A barrier that does not follow the relay (jammed, a burnt coil, a stuck
  // contact) shows as feedback that disagrees with the last set_open(). Errc::io_error if the
  // input could not be read.
  Result<std::optional<bool>> barrier_open() { return do_barrier_open(); }

 private:
  virtual Status do_set_open(bool open) = 0;
  virtual Result<std::optional<bool>> do_barrier_open() = 0;
};

// Counts people walking through the gate (in the configured direction).
class PassageSensor {
 public:
  virtual ~PassageSensor() = default;
  // Number of complete passages since the previous call (0 if none). Errc::io_error on failure.
  Result<std::uint32_t> take_passages() { return do_take_passages(); }
  // Whether the beam is interrupted right now: someone (or something) in the aisle. A beam that
  // stays blocked far longer than anyone takes to walk through is a stuck or obstructed sensor,
  // which would count no passage. Errc::io_error on failure.
  Result<bool> blocked() { return do_blocked(); }

 private:
  virtual Result<std::uint32_t> do_take_passages() = 0;
  virtual Result<bool> do_blocked() = 0;
};

// The station's emergency (fire alarm) input: while active, the gate is open for free passage.
class EmergencyInput {
 public:
  virtual ~EmergencyInput() = default;
  // Current level. Errc::io_error on failure (the caller treats an unreadable input as inactive and
  // logs it once).
  Result<bool> active() { return do_active(); }

 private:
  virtual Result<bool> do_active() = 0;
};

// All three, as one board or simulated turnstile provides them.
class GateMechanism : public Relay, public PassageSensor, public EmergencyInput {};

}  // namespace gate::hal
