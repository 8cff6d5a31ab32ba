// Heartbeat: silent only while working, stalled only past its bound, on the clock it is given.
#include "firmware/sync/heartbeat.h"

#include <catch2/catch.hpp>

#include "sim/devices/sim_clock.h"

namespace gate::sync {
namespace {

using namespace std::chrono_literals;

TEST_CASE("Heartbeat: resting is never stalled, working is once past the bound", "[heartbeat]") {
  sim::SimClock clock(Instant(std::chrono::seconds(1653253200)));
  Heartbeat heartbeat(clock, 30s);
  CHECK(heartbeat.bound() == 30s);
  clock.advance(1h);  // before the first beat the thread has not started work
  CHECK(heartbeat.silent_for() == Duration::zero());
  CHECK_FALSE(heartbeat.stalled());

  heartbeat.beat();
  clock.advance(30s);
  CHECK(heartbeat.silent_for() == 30s);
  CHECK_FALSE(heartbeat.stalled());  // exactly the bound: not yet
  clock.advance(1us);
  CHECK(heartbeat.stalled());

  heartbeat.beat();  // progress: silent again from now
  CHECK(heartbeat.silent_for() == Duration::zero());
  CHECK_FALSE(heartbeat.stalled());
  clock.advance(31s);
  CHECK(heartbeat.stalled());
  heartbeat.rest();  // in its bounded wait: however long it lasts
  clock.advance(1h);
  CHECK_FALSE(heartbeat.stalled());
}

}  // namespace
}  // namespace gate::sync
