// The journal collector's core (sim/backoffice/collector.h) on rows a real store::Journal wrote:
// batches held once whatever is repeated or overlaps, each kind of tampering done to the journal
// file with SQL refused with the problem and seq verify_chain names (the rows before it held),
// unknown gates and wrong secrets, state that survives a reopen; the secrets file.
#include "sim/backoffice/collector.h"

#include <catch2/catch.hpp>
#include <chrono>

#include "tests/sim/collector_fixture.h"
#include "tests/support/log_capture.h"

using namespace gate::test::collector;
using gate::backoffice::GateSummary;
using gate::store::ChainProblem;
using gate::test::TempDir;

namespace {

void check_stored(const Acceptance& a, std::uint64_t acked, std::uint64_t stored) {
  CHECK(a.verdict == Acceptance::Verdict::stored);
  CHECK(a.reply.acked == acked);
  CHECK(a.reply.problem == ChainProblem::none);
  CHECK(a.stored == stored);
}

void check_refused(const Acceptance& a, ChainProblem problem, std::uint64_t seq,
                   std::uint64_t acked) {
  CHECK(a.verdict == Acceptance::Verdict::refused);
  CHECK(a.reply.problem == problem);
  CHECK(a.reply.problem_seq == seq);
  CHECK(a.reply.acked == acked);
}

// The one gate's summary line, as `gates` prints it.
GateSummary only_gate(Collector& c) {
  auto gates = c.gates();
  REQUIRE(gates.ok());
  REQUIRE(gates->size() == 1);
  return gates->front();
}

}  // namespace

TEST_CASE("collector: a journal sent in batches is held whole and once, retries acknowledged") {
  TempDir dir;
  GateJournal g(dir, "L1-S07-G03");
  g.decisions(10);
  Collector c = open_collector(dir, secrets_for({&g}));

  check_stored(accept(c, g.batch(0, 4)), 4, 4);
  check_stored(accept(c, g.batch(4, 4)), 8, 4);
  // The reply to rows 5-8 was lost: the same batch again is acknowledged, nothing stored twice.
  check_stored(accept(c, g.batch(4, 4)), 8, 0);
  // A retry overlapping what is held and running past it: the new rows only.
  check_stored(accept(c, g.batch(2)), 10, 2);
  // All of it again, and after the gate wrote more, an overlap from the start.
  check_stored(accept(c, g.batch()), 10, 0);
  g.decisions(3, kT0 + 1h);
  check_stored(accept(c, g.batch(6)), 13, 3);

  auto s = only_gate(c);
  CHECK(s.gate == "L1-S07-G03");
  CHECK(s.last_seq == 13);
  CHECK(s.rows == 13);
  CHECK(s.problem == ChainProblem::none);
}

TEST_CASE("collector: tampering with the journal file is refused at the row, rows before it held") {
  TempDir dir;
  GateJournal g(dir, "L1-S07-G03");
  g.decisions(10);
  Collector c = open_collector(dir, secrets_for({&g}));
  check_stored(accept(c, g.batch(0, 3)), 3, 3);  // rows 1-3 held before the tampering
  gate::test::LogCapture log;

  SECTION("a deleted row is a gap at its seq") {
    g.delete_row(6);
    check_refused(accept(c, g.batch(3)), ChainProblem::gap, 6, 5);
    auto s = only_gate(c);
    CHECK(s.last_seq == 5);
    CHECK(s.rows == 5);
    CHECK(s.problem == ChainProblem::gap);
    CHECK(s.problem_seq == 6);
    // The gate sends the rest again: refused again at the same row, nothing more stored.
    check_refused(accept(c, g.batch(5)), ChainProblem::gap, 6, 5);
    CHECK(only_gate(c).rows == 5);
  }
  SECTION("an edited body is altered at its seq") {
    g.edit_row(4);
    check_refused(accept(c, g.batch(3)), ChainProblem::altered, 4, 3);
    CHECK(only_gate(c).rows == 3);
  }
  SECTION("two rows' bodies and macs swapped are reordered at the first") {
    g.swap_rows(6);
    check_refused(accept(c, g.batch(3)), ChainProblem::reordered, 6, 5);
    CHECK(only_gate(c).rows == 5);
  }
  SECTION("a held row sent again with other contents is altered, nothing after it stored") {
    g.tamper("UPDATE journal SET body = replace(body, '\"ok\"', '\"ok_observe\"') WHERE seq = 2");
    check_refused(accept(c, g.batch(0)), ChainProblem::altered, 2, 3);
    CHECK(only_gate(c).rows == 3);
  }
  // Every refusal is logged with gate, problem and seq, never a body or a key.
  auto lines = log.messages(gate::LogLevel::warning, "collector");
  REQUIRE_FALSE(lines.empty());
  CHECK(lines.front().find("gate L1-S07-G03: chain refused: ") == 0);
  CHECK(lines.front().find(" at seq ") != std::string::npos);
  for (const std::string& line : lines) CHECK(line.find("tu:") == std::string::npos);
}

TEST_CASE("collector: another gate's rows, a wrong secret, an unknown gate, a first batch late") {
  TempDir dir;
  GateJournal g03(dir, "L1-S07-G03");
  GateJournal g04(dir, "L1-S07-G04");
  g03.decisions(4);
  g04.decisions(4);
  gate::test::LogCapture log;

  SECTION("G04's rows (same secret) sent as G03's: foreign_gate at the first, nothing held") {
    Collector c = open_collector(dir, secrets_for({&g03, &g04}));
    JournalBatch b = g04.batch();
    b.gate = "L1-S07-G03";
    check_refused(accept(c, b), ChainProblem::foreign_gate, 1, 0);
    auto s = only_gate(c);
    CHECK(s.rows == 0);
    CHECK(s.problem == ChainProblem::foreign_gate);
    // The gate's own rows still go in.
    check_stored(accept(c, g03.batch()), 4, 4);
  }
  SECTION("a row of G04 after three of G03: foreign_gate at its seq, the three held") {
    Collector c = open_collector(dir, secrets_for({&g03, &g04}));
    JournalBatch b = g03.batch(0, 3);
    b.rows.push_back(g04.batch(3, 1).rows.front());
    check_refused(accept(c, b), ChainProblem::foreign_gate, 4, 3);
    CHECK(only_gate(c).rows == 3);
  }
  SECTION("the collector holds another secret for the gate: altered at the first row") {
    GateSecrets s = secrets_for({&g03});
    s["L1-S07-G03"][0] ^= 1;
    Collector c = open_collector(dir, s);
    check_refused(accept(c, g03.batch()), ChainProblem::altered, 1, 0);
  }
  SECTION("no secret for the gate: refused, nothing kept") {
    Collector c = open_collector(dir, secrets_for({&g03}));
    auto a = accept(c, g04.batch());
    CHECK(a.verdict == Acceptance::Verdict::unknown_gate);
    CHECK(a.stored == 0);
    auto gates = c.gates();
    REQUIRE(gates.ok());
    CHECK(gates->empty());
    CHECK(log.messages(gate::LogLevel::warning, "collector") ==
          std::vector<std::string>{"batch from gate L1-S07-G04 refused: no secret for it"});
  }
  SECTION("a first batch that does not start at chain_start: a gap at chain_start") {
    Collector c = open_collector(dir, secrets_for({&g03}));
    check_refused(accept(c, g03.batch(2)), ChainProblem::gap, 1, 0);
  }
}

TEST_CASE("collector: what it acknowledged and refused is there after a reopen") {
  TempDir dir;
  GateJournal g(dir, "L1-S07-G03");
  g.decisions(6);
  {
    Collector c = open_collector(dir, secrets_for({&g}));
    check_stored(accept(c, g.batch(0, 4)), 4, 4);
  }
  {
    Collector c = open_collector(dir, secrets_for({&g}));
    check_stored(accept(c, g.batch(0, 4)), 4, 0);  // held, not stored again
    g.delete_row(5);
    check_refused(accept(c, g.batch(4)), ChainProblem::gap, 5, 4);
  }
  Collector c = open_collector(dir, secrets_for({&g}));
  auto s = only_gate(c);
  CHECK(s.last_seq == 4);
  CHECK(s.rows == 4);
  CHECK(s.problem == ChainProblem::gap);
  CHECK(s.problem_seq == 5);
}

TEST_CASE("collector: gate secrets file") {
  const std::string hex64(64, 'a');
  auto ok = gate::backoffice::parse_gate_secrets(
      "# gate secrets\n\nL1-S07-G03 " + hex64 + "\n  L1-S07-G04\t" + std::string(64, 'B') + "  \n");
  REQUIRE(ok.ok());
  CHECK(ok->size() == 2);
  CHECK(ok->at("L1-S07-G03") == std::string(32, '\xaa'));
  CHECK(ok->at("L1-S07-G04") == std::string(32, '\xbb'));
  struct Bad {
    std::string text;
    std::string message;
  };
  for (const Bad& bad : {
           Bad{"L1-S07-G03\n", "line 1: want `<gate id> <hex>`"},
           Bad{"\nL1-S07-G03 " + std::string(62, 'a') + "\n", "line 2: the secret is shorter"},
           Bad{"L1-S07-G03 " + std::string(63, 'a') + "\n", "line 1: the secret is not hex"},
           Bad{"L1-S07-G03 " + std::string(63, 'a') + "g\n", "line 1: the secret is not hex"},
           Bad{"L1/S07 " + hex64 + "\n", "line 1: bad gate id"},
           Bad{"G " + hex64 + "\nG " + hex64 + "\n", "line 2: gate G listed twice"},
       }) {
    auto r = gate::backoffice::parse_gate_secrets(bad.text);
    REQUIRE_FALSE(r.ok());
    INFO(r.error().message);
    CHECK(r.error().message.rfind("gate secrets: " + bad.message, 0) == 0);
    CHECK(r.error().message.find(std::string(62, 'a')) == std::string::npos);
  }
}

TEST_CASE("collector: the station of a gate id") {
  using gate::backoffice::station_of_gate;
  CHECK(station_of_gate("L1-S07-G03") == "L1-S07");
  CHECK(station_of_gate("L12-S107-G3") == "L12-S107");
  CHECK(station_of_gate("L1-S07") == "");
  CHECK(station_of_gate("L1--G03") == "");
  CHECK(station_of_gate("gate") == "");
}
