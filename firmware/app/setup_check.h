// The board program's --check-config: validates a parsed configuration against the files it names
// (the cache, the journal's directory) and reports what it found, so an engineer at a gate sees at
// once whether it could run. Reads only; never creates or changes a file.
#pragma once

#include <string>
#include <vector>

#include "firmware/app/config.h"
#include "hal/time.h"

namespace gate::app {

struct SetupReport {
  std::vector<std::string> found;     // one line per fact ("cache: 1200 bindings, …")
  std::vector<std::string> problems;  // one line per thing that stops the gate from running
  bool ok() const { return problems.empty(); }
};

// Checks the cache (opens read-only: schema version, record counts, last good sync, the policy
// in force for this gate at `now`) and the journal (an existing one opens and reports its last
// sequence number; a missing one needs a writable directory). Device settings are the caller's
// (only it knows which drivers were built).
SetupReport check_setup(const Config& config, Instant now);

}  // namespace gate::app
