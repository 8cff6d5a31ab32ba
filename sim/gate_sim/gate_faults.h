// The scenario faults of the gate itself (`fault <name> on|off`): sensor-stuck and
// relay-unconfirmed on the simulated turnstile, disk-full on the journal's connection. The other
// names in kFaultNames belong to the devices' and the feed's own fault files. Each is a switch on
// the simulated hardware or file; what the firmware makes of it is the main loop's business.
#pragma once

#include "hal/result.h"
#include "sim/scenario/scenario.h"

namespace gate::sim {

class SimGate;

// Sets or clears one of the gate faults above (event.text names it, event.on says which), then
// lets the loop run one iteration. Errc::invalid_argument for any other name.
Status play_gate_fault(SimGate& gate, const ScenarioEvent& event);

}  // namespace gate::sim
