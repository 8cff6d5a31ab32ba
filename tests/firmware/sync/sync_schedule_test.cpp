// When the sync thread tries again: `interval` after a good sync; after failures 15 s, 30 s,
// 60 s, ... never more than `interval`, so a gate that booted before its network syncs within
// seconds of the network coming up rather than a whole interval later.
#include <catch2/catch.hpp>

#include "firmware/sync/feed_syncer.h"

using gate::sync::next_sync_delay;
using namespace std::chrono;

TEST_CASE("sync schedule: interval after a good sync, backing off from 15 s after failures") {
  const gate::Duration interval = minutes(5);
  CHECK(next_sync_delay(interval, 0) == interval);
  CHECK(next_sync_delay(interval, 1) == seconds(15));
  CHECK(next_sync_delay(interval, 2) == seconds(30));
  CHECK(next_sync_delay(interval, 3) == seconds(60));
  CHECK(next_sync_delay(interval, 5) == seconds(240));
  CHECK(next_sync_delay(interval, 6) == interval);  // 480 s capped
  CHECK(next_sync_delay(interval, 1000) == interval);
  // An interval shorter than the first retry is never exceeded.
  CHECK(next_sync_delay(seconds(5), 1) == seconds(5));
}
