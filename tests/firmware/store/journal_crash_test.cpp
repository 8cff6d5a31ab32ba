// Crash durability of the journal: a child process appends and is killed with SIGKILL; whatever it
// was told was written must be there when the journal is reopened.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <string>

#include "firmware/store/journal.h"
#include "tests/firmware/store/journal_fixture.h"

using namespace std::chrono;
using namespace gate::store::testing;
using gate::Instant;
using gate::core::DecisionRecord;
using gate::core::Direction;
using gate::core::EventKind;
using gate::core::GateEvent;
using gate::core::HealthMode;
using gate::core::HealthSeen;
using gate::core::Media;
using gate::core::Outcome;
using gate::core::Reason;
using gate::store::Journal;
using gate::store::JournalRow;

namespace {

const Instant kT0 = sys_days{2022y / May / 23} + 5h + 1234ms;  // 13:00:01.234 Beijing time

}  // namespace

TEST_CASE("an acknowledged append survives the process being killed", "[journal][crash]") {
  TempDir dir;
  std::string path = dir.file("journal.db");
  int ack[2];
  int hold[2];
  REQUIRE(pipe(ack) == 0);
  REQUIRE(pipe(hold) == 0);
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    close(ack[0]);
    close(hold[1]);
    auto journal = Journal::open(path, test_key());
    if (!journal) _exit(2);
    if (!journal->append(decision("tu:3105170010170907984", kT0)).ok()) _exit(3);
    char byte = 'k';
    if (write(ack[1], &byte, 1) != 1) _exit(4);
    // Block until killed (or until the parent goes away and the pipe reads end of file).
    char ignored;
    while (read(hold[0], &ignored, 1) > 0) {
    }
    _exit(0);
  }
  close(ack[1]);
  close(hold[0]);
  char byte = 0;
  REQUIRE(read(ack[0], &byte, 1) == 1);
  REQUIRE(kill(child, SIGKILL) == 0);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFSIGNALED(status));
  close(ack[0]);
  close(hold[1]);

  Journal journal = open_journal(path);
  std::vector<JournalRow> rows = read_all(journal);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].seq == 1);
  CHECK(credential_of(rows[0]) == "tu:3105170010170907984");
  CHECK(append(journal, event(EventKind::startup, "", kT0 + 1min)) == 2);
}

TEST_CASE("killed in the middle of a stream of appends, nothing acknowledged is lost",
          "[journal][crash]") {
  TempDir dir;
  std::string path = dir.file("journal.db");
  constexpr int kAcked = 40;  // the parent kills the child after this many acknowledgements
  int ack[2];
  REQUIRE(pipe(ack) == 0);
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    close(ack[0]);
    auto journal = Journal::open(path, test_key());
    if (!journal) _exit(2);
    // Keeps appending (and acknowledging each append) until killed.
    for (std::uint64_t i = 1;; ++i) {
      char n[32];
      std::snprintf(n, sizeof n, "tu:%019llu", static_cast<unsigned long long>(i));
      if (!journal->append(decision(n, kT0 + seconds(i))).ok()) _exit(3);
      char byte = 'k';
      if (write(ack[1], &byte, 1) != 1) _exit(0);
    }
  }
  close(ack[1]);
  int acked = 0;
  char byte = 0;
  while (acked < kAcked && read(ack[0], &byte, 1) == 1) ++acked;
  REQUIRE(kill(child, SIGKILL) == 0);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFSIGNALED(status));
  close(ack[0]);
  REQUIRE(acked == kAcked);

  Journal journal = open_journal(path);
  std::vector<JournalRow> rows = read_all(journal);
  REQUIRE(rows.size() >= static_cast<std::size_t>(kAcked));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    CHECK(rows[i].seq == i + 1);
    char n[32];
    std::snprintf(n, sizeof n, "tu:%019llu", static_cast<unsigned long long>(i + 1));
    CHECK(credential_of(rows[i]) == n);
  }
  CHECK(append(journal, event(EventKind::startup, "", kT0 + 1h)) == rows.size() + 1);
  // Every row that reached the disk carries its mac: the chain, continued after the kill, is whole.
  auto chain = journal.read_chain();
  REQUIRE(chain.ok());
  CHECK(chain->size() == rows.size() + 1);
  auto anchor = gate::store::chain_start_anchor(test_key(), journal.chain_start());
  REQUIRE(anchor.ok());
  auto verdict = gate::store::verify_chain(test_key(), *anchor, *chain);
  REQUIRE(verdict.ok());
  CHECK(verdict->problem == gate::store::ChainProblem::none);
}
