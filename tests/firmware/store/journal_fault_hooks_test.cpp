// The journal's two small helpers for the gate's faults: latest_ts() (the clock-behind check's
// reference) and the disk-full hook the simulator injects (set_disk_full: SQLITE_FULL once the
// file would have to grow, nothing written lost, appends again once lifted).
#include <catch2/catch.hpp>

#include "tests/firmware/store/journal_fixture.h"

namespace gate::store {
namespace {

using namespace testing;
using namespace std::chrono;
using namespace std::chrono_literals;

const Instant kT0 = sys_days{2022y / May / 23} + 5h;

TEST_CASE("latest_ts: none for an empty journal, then the latest time of any row", "[journal]") {
  TempDir dir;
  Journal journal = open_journal(dir.file("journal.db"));
  auto empty = journal.latest_ts();
  REQUIRE(empty.ok());
  CHECK_FALSE(empty->has_value());
  append(journal, event(core::EventKind::startup, "", kT0 + 1h));
  // A later row at an earlier time (a clock stepped back) does not move it back.
  append(journal, event(core::EventKind::clock_jump, "", kT0));
  auto latest = journal.latest_ts();
  REQUIRE(latest.ok());
  CHECK(*latest == std::optional<Instant>(kT0 + 1h));
}

TEST_CASE("set_disk_full: appends fail as on a full disk, rows written stay, room again lifts it",
          "[journal]") {
  TempDir dir;
  Journal journal = open_journal(dir.file("journal.db"));
  append(journal, event(core::EventKind::startup, "", kT0));
  REQUIRE(journal.set_disk_full(true).ok());
  Result<std::uint64_t> seq = std::uint64_t{0};
  std::size_t written = 1;
  for (int i = 0; i < 1000 && seq.ok(); ++i) {
    seq = journal.append(event(core::EventKind::tailgating, "", kT0 + seconds(i)));
    if (seq.ok()) ++written;
  }
  REQUIRE_FALSE(seq.ok());
  CHECK(seq.error().message.find("database or disk is full") != std::string::npos);
  CHECK(read_all(journal).size() == written);  // the failed append left nothing behind
  CHECK_FALSE(journal.append(event(core::EventKind::tailgating, "", kT0 + 1h)).ok());
  REQUIRE(journal.set_disk_full(false).ok());
  CHECK(append(journal, event(core::EventKind::journal_recovered, "", kT0 + 1h)) == written + 1);
  CHECK(read_all(journal).size() == written + 1);
}

}  // namespace
}  // namespace gate::store
