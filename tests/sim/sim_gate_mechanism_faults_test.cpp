// The simulated turnstile's fault switches (sim/devices/sim_gate_mechanism.h): the passage
// sensor's beam stuck blocked, and the barrier's position feedback following the relay, frozen, or
// absent.
#include <catch2/catch.hpp>
#include <chrono>

#include "sim/devices/sim_clock.h"
#include "sim/devices/sim_gate_mechanism.h"

namespace gate::sim {
namespace {

const Instant kAt = Instant(std::chrono::seconds(1653253200));

TEST_CASE("SimGateMechanism: a stuck beam reads blocked and counts nothing until it clears",
          "[sim][gate]") {
  SimClock clock(kAt);
  SimGateMechanism gate(clock);
  CHECK_FALSE(*gate.blocked());
  gate.set_sensor_stuck(true);
  CHECK(*gate.blocked());
  gate.add_passages(2);
  CHECK(*gate.take_passages() == 0);
  gate.set_sensor_stuck(false);
  CHECK_FALSE(*gate.blocked());
  CHECK(*gate.take_passages() == 2);
  gate.set_sensor_fails(true);
  CHECK(gate.blocked().error().code == Errc::io_error);
}

TEST_CASE("SimGateMechanism: the barrier follows the relay unless frozen", "[sim][gate]") {
  SimClock clock(kAt);
  SimGateMechanism gate(clock);
  CHECK(*gate.barrier_open() == std::optional<bool>(false));
  REQUIRE(gate.set_open(true).ok());
  CHECK(*gate.barrier_open() == std::optional<bool>(true));
  gate.set_barrier_frozen(true);
  REQUIRE(gate.set_open(false).ok());
  CHECK_FALSE(gate.relay_open());
  CHECK(*gate.barrier_open() == std::optional<bool>(true));  // jammed open
  gate.set_barrier_frozen(false);
  CHECK(*gate.barrier_open() == std::optional<bool>(false));  // freed: where the relay drives it
  // A failing relay output leaves the barrier where it was.
  gate.set_relay_fails(true);
  CHECK_FALSE(gate.set_open(true).ok());
  CHECK(*gate.barrier_open() == std::optional<bool>(false));
  gate.set_has_feedback(false);
  CHECK_FALSE(gate.barrier_open()->has_value());
}

}  // namespace
}  // namespace gate::sim
