#include "sim/gate_sim/gate_faults.h"

#include "sim/gate_sim/sim_gate.h"

namespace gate::sim {

Status play_gate_fault(SimGate& gate, const ScenarioEvent& event) {
  if (event.text == "sensor-stuck") {
    // The beam reads blocked from now on: the gate sees it as stuck after sensor_stuck_after.
    gate.mechanism().set_sensor_stuck(event.on);
  } else if (event.text == "relay-unconfirmed") {
    // The barrier stays where it is whatever the relay does (jammed); off frees it and it goes
    // where the relay drives it.
    gate.mechanism().set_barrier_frozen(event.on);
  } else if (event.text == "disk-full") {
    // The journal's file may not grow: appends fail with SQLITE_FULL once the pages it has are
    // full (a few records at most).
    GATE_TRY(gate.runtime().journal().set_disk_full(event.on));
  } else {
    return make_error(Errc::invalid_argument, "fault " + event.text + " is not a gate fault");
  }
  return gate.step();
}

}  // namespace gate::sim
