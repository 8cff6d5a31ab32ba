#include "firmware/store/passback_memory.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "tests/firmware/store/journal_fixture.h"

using namespace std::chrono;
using gate::Instant;
using gate::store::Journal;
using gate::store::PassbackMemory;
using gate::store::testing::decision;
using gate::store::testing::open_journal;
using gate::store::testing::TempDir;

namespace {

const Instant kT0 = sys_days{2022y / May / 23} + 5h;

}  // namespace

TEST_CASE("passback memory keeps the latest entry per credential", "[passback]") {
  PassbackMemory memory;
  CHECK(memory.size() == 0);
  CHECK_FALSE(memory.last_entry("tu:3105170010170907984").has_value());

  memory.record_entry("tu:3105170010170907984", kT0);
  memory.record_entry("qr:42", kT0 + 1min);
  CHECK(memory.size() == 2);

  // Looked up through a view into a buffer that is not a std::string.
  const char buffer[] = "xxtu:3105170010170907984yy";
  std::string_view key(buffer + 2, 22);
  REQUIRE(memory.last_entry(key).has_value());
  CHECK(*memory.last_entry(key) == kT0);
  CHECK(*memory.last_entry("qr:42") == kT0 + 1min);
  CHECK_FALSE(memory.last_entry("qr:4").has_value());

  memory.record_entry(key, kT0 + 10min);
  CHECK(*memory.last_entry(key) == kT0 + 10min);
  memory.record_entry(key, kT0 + 5min);  // earlier than the one kept: ignored
  CHECK(*memory.last_entry(key) == kT0 + 10min);
  CHECK(memory.size() == 2);
}

TEST_CASE("passback memory evicts entries older than the horizon", "[passback]") {
  PassbackMemory memory;
  memory.record_entry("qr:1", kT0);
  memory.record_entry("qr:2", kT0 + 20min);
  memory.record_entry("qr:3", kT0 + 21min);

  memory.evict_before(kT0 + 20min);  // strictly older goes; the entry at the horizon stays
  CHECK(memory.size() == 2);
  CHECK_FALSE(memory.last_entry("qr:1").has_value());
  CHECK(*memory.last_entry("qr:2") == kT0 + 20min);
  CHECK(*memory.last_entry("qr:3") == kT0 + 21min);

  memory.evict_before(kT0 + 1h);
  CHECK(memory.size() == 0);
}

TEST_CASE("passback memory is rebuilt from the journal after a restart", "[passback]") {
  TempDir dir;
  {
    Journal journal = open_journal(dir.file("journal.db"));
    REQUIRE(journal.append(decision("qr:1", kT0 - 30min)).ok());  // outside the window
    REQUIRE(journal.append(decision("qr:2", kT0 - 5min)).ok());
    REQUIRE(journal.append(decision("qr:2", kT0 - 2min)).ok());
    REQUIRE(journal.append(decision("qr:3", kT0 - 1min)).ok());
  }
  Journal journal = open_journal(dir.file("journal.db"));

  PassbackMemory memory;
  memory.record_entry("qr:3", kT0);  // already known, and later than the journal's
  REQUIRE(memory.load(journal, kT0 - 20min).ok());
  CHECK(memory.size() == 2);
  CHECK_FALSE(memory.last_entry("qr:1").has_value());
  CHECK(*memory.last_entry("qr:2") == kT0 - 2min);
  CHECK(*memory.last_entry("qr:3") == kT0);
}
