#include "firmware/core/in_memory_replay_guard.h"

#include <catch2/catch.hpp>

namespace gate::core {
namespace {

Instant at(std::int64_t seconds) {
  return Instant{std::chrono::seconds{seconds}};
}

TEST_CASE("replay guard: remembers triples exactly", "[replay_guard]") {
  InMemoryReplayGuard guard(8);
  CHECK_FALSE(guard.seen(1, 100, 7));
  CHECK(guard.try_remember(1, 100, 7, at(200), at(100)));
  CHECK(guard.seen(1, 100, 7));
  CHECK_FALSE(guard.seen(2, 100, 7));
  CHECK_FALSE(guard.seen(1, 101, 7));
  CHECK_FALSE(guard.seen(1, 100, 8));
  guard.remember(1, 100, 8, at(200));
  CHECK(guard.seen(1, 100, 8));
  CHECK(guard.size() == 2);
}

TEST_CASE("replay guard: expired triples are dropped first, unexpired ones never",
          "[replay_guard]") {
  InMemoryReplayGuard guard(2);
  REQUIRE(guard.try_remember(1, 100, 0, at(200), at(100)));
  REQUIRE(guard.try_remember(1, 150, 1, at(250), at(150)));
  // Full of unexpired triples: refuses, forgets nothing.
  CHECK_FALSE(guard.try_remember(1, 160, 2, at(260), at(160)));
  CHECK_FALSE(guard.try_remember(1, 160, 2, at(260), at(200)));  // forget_after == now: still held
  CHECK(guard.seen(1, 100, 0));
  CHECK(guard.seen(1, 150, 1));
  CHECK_FALSE(guard.seen(1, 160, 2));
  guard.remember(1, 160, 2, at(260));  // no clock: cannot make room
  CHECK_FALSE(guard.seen(1, 160, 2));
  CHECK(guard.size() == 2);

  // One second later the first triple has expired and makes room.
  CHECK(guard.try_remember(1, 160, 2, at(260), at(201)));
  CHECK_FALSE(guard.seen(1, 100, 0));
  CHECK(guard.seen(1, 150, 1));
  CHECK(guard.seen(1, 160, 2));
  CHECK(guard.size() == 2);
}

TEST_CASE("replay guard: remembering a held triple again keeps the longer lifetime",
          "[replay_guard]") {
  InMemoryReplayGuard guard(1);
  REQUIRE(guard.try_remember(5, 100, 0, at(300), at(100)));
  CHECK(guard.try_remember(5, 100, 0, at(200), at(100)));  // already held: fine even when full
  CHECK(guard.try_remember(5, 100, 0, at(400), at(100)));
  CHECK_FALSE(guard.try_remember(6, 100, 0, at(400), at(350)));  // 400 has not passed
  CHECK(guard.seen(5, 100, 0));
  CHECK(guard.try_remember(6, 100, 0, at(500), at(401)));
  CHECK_FALSE(guard.seen(5, 100, 0));

  InMemoryReplayGuard none(0);
  CHECK_FALSE(none.try_remember(1, 1, 1, at(10), at(0)));
}

}  // namespace
}  // namespace gate::core
