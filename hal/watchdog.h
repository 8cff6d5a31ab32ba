// Watchdog: resets the board unless kicked within its timeout. The main loop kicks it once per
// healthy iteration, never from a separate thread.
#pragma once

#include "hal/result.h"

namespace gate::hal {

class Watchdog {
 public:
  virtual ~Watchdog() = default;
  // Restarts the countdown. Errc::io_error if the device refused.
  Status kick() { return do_kick(); }

 private:
  virtual Status do_kick() = 0;
};

}  // namespace gate::hal
