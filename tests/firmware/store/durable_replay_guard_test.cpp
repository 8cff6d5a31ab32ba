// DurableReplayGuard on a real journal file: accepted triples survive closing and reopening (a
// restart), the bound holds without ever dropping an unexpired triple, and expired ones make room.
#include "firmware/store/durable_replay_guard.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>

#include "firmware/store/journal.h"
#include "tests/firmware/store/journal_fixture.h"
#include "tests/support/temp_dir.h"

namespace gate::store {
namespace {

using std::chrono::seconds;
using testing::test_key;
const Instant kNow = Instant(seconds(1653253200));

TEST_CASE("an accepted ride code is remembered across a restart") {
  test::TempDir dir;
  const std::uint64_t big = std::numeric_limits<std::uint64_t>::max();  // all 64 bits kept
  {
    auto journal = Journal::open(dir.file("journal.db"), test_key());
    REQUIRE(journal.ok());
    auto guard = DurableReplayGuard::open(journal->db());
    REQUIRE(guard.ok());
    CHECK_FALSE(guard->seen(big, 1653253190, 7));
    REQUIRE(guard->try_remember(big, 1653253190, 7, kNow + seconds(90), kNow));
    CHECK(guard->seen(big, 1653253190, 7));
  }
  auto journal = Journal::open(dir.file("journal.db"), test_key());
  REQUIRE(journal.ok());
  auto guard = DurableReplayGuard::open(journal->db());
  REQUIRE(guard.ok());
  CHECK(guard->size() == 1);
  CHECK(guard->seen(big, 1653253190, 7));
  CHECK_FALSE(guard->seen(big, 1653253190, 8));      // another sequence number
  CHECK_FALSE(guard->seen(big - 1, 1653253190, 7));  // another account
  CHECK_FALSE(guard->seen(big, 1653253191, 7));      // another generation time
}

TEST_CASE("a full guard makes room only from expired triples, never dropping a live one") {
  test::TempDir dir;
  auto journal = Journal::open(dir.file("journal.db"), test_key());
  REQUIRE(journal.ok());
  auto guard = DurableReplayGuard::open(journal->db(), 3);
  REQUIRE(guard.ok());
  REQUIRE(guard->try_remember(1, 100, 1, kNow + seconds(10), kNow));
  REQUIRE(guard->try_remember(2, 100, 1, kNow + seconds(60), kNow));
  REQUIRE(guard->try_remember(3, 100, 1, kNow + seconds(60), kNow));
  // Full of unexpired triples: nothing is remembered, so the verifier must refuse the code.
  CHECK_FALSE(guard->try_remember(4, 100, 1, kNow + seconds(60), kNow + seconds(5)));
  CHECK_FALSE(guard->seen(4, 100, 1));
  // Once the first has expired it makes room; the live ones stay.
  CHECK(guard->try_remember(4, 100, 1, kNow + seconds(60), kNow + seconds(11)));
  CHECK(guard->size() == 3);
  CHECK_FALSE(guard->seen(1, 100, 1));
  CHECK(guard->seen(2, 100, 1));
  CHECK(guard->seen(3, 100, 1));
  CHECK(guard->seen(4, 100, 1));
  // remember() (no clock) never makes room.
  guard->remember(5, 100, 1, kNow + seconds(60));
  CHECK_FALSE(guard->seen(5, 100, 1));
}

TEST_CASE("remembering the same triple twice keeps one row") {
  test::TempDir dir;
  auto journal = Journal::open(dir.file("journal.db"), test_key());
  REQUIRE(journal.ok());
  auto guard = DurableReplayGuard::open(journal->db());
  REQUIRE(guard.ok());
  REQUIRE(guard->try_remember(9, 100, 1, kNow + seconds(60), kNow));
  REQUIRE(guard->try_remember(9, 100, 1, kNow + seconds(60), kNow));
  CHECK(guard->size() == 1);
}

}  // namespace
}  // namespace gate::store
