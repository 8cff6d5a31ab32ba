// A decision that opened the gate is in the journal even when the simulator is killed (SIGKILL)
// right after it: the record is durable before the relay moves and before it is printed. After a
// restart on the same journal the record is there, and the anti-passback memory rebuilt from it
// refuses the same card. A ride code accepted before a SIGKILL is still refused as code_replayed
// after the restart: the replay memory is in the journal's file and durable before the gate opens.
#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "child_process.h"
#include "tests/support/temp_dir.h"

using gate::test::ChildProcess;
using gate::test::gate_sim;
using gate::test::run_to_end;
using gate::test::TempDir;

namespace {
const std::string kDemo = std::string(GATE_SOURCE_DIR) + "/sim/demo";
}  // namespace

TEST_CASE("SIGKILL right after an open decision loses nothing") {
  TempDir dir;
  REQUIRE(run_to_end(gate_sim({"cache-build", "--records", kDemo + "/records.jsonl", "--out",
                               dir.file("cache.db"), "--synced-at", "2022-05-23T04:30:00+08:00"}))
              .exit_code == 0);
  const std::vector<std::string> run =
      gate_sim({"run", "--cache", dir.file("cache.db"), "--gate", "L1:S07:G03:entry", "--journal",
                dir.file("journal.db"), "--interactive"});
  std::string opened;
  {
    ChildProcess gate(run);
    REQUIRE(gate.started());
    gate.write("clock 2022-05-23T05:00:00+08:00\ntap tu:3105170010170907984\n");
    std::string line;
    while (gate.read_line(line)) {
      if (line.rfind("{", 0) == 0 && line.find("\"outcome\":\"open\"") != std::string::npos) {
        opened = line;
        break;
      }
    }
    REQUIRE(!opened.empty());
    int status = gate.kill_and_wait(SIGKILL);
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGKILL);
  }
  CHECK(opened.find("\"credential\":\"tu:***************7984\"") != std::string::npos);

  auto dump = run_to_end(gate_sim({"journal", "--journal", dir.file("journal.db")}));
  REQUIRE(dump.exit_code == 0);
  CHECK(dump.out.find(opened + "\n") != std::string::npos);

  // Restart on the same journal: the same card within the 20-minute anti-passback window.
  ChildProcess again(run);
  again.write("clock 2022-05-23T05:01:00+08:00\ntap tu:3105170010170907984\n");
  again.close_stdin();
  std::string line, decision;
  while (again.read_line(line)) {
    if (line.find("\"outcome\":") != std::string::npos) decision = line;
  }
  CHECK(again.wait_exit() == 0);
  CHECK(decision.find("\"reason\":\"already_inside\"") != std::string::npos);
}

TEST_CASE("a ride code accepted before a SIGKILL is code_replayed after the restart") {
  TempDir dir;
  REQUIRE(run_to_end(gate_sim({"cache-build", "--records", kDemo + "/records.jsonl", "--out",
                               dir.file("cache.db"), "--synced-at", "2022-05-23T04:30:00+08:00"}))
              .exit_code == 0);
  std::ifstream scenario(kDemo + "/scenario.txt");
  std::string scan;  // the demo's green rider's ride code (account 100000000001)
  for (std::string line; std::getline(scenario, line);) {
    if (line.rfind("scan TRC1:", 0) == 0) {
      scan = line;
      break;
    }
  }
  REQUIRE(!scan.empty());
  const std::vector<std::string> run =
      gate_sim({"run", "--cache", dir.file("cache.db"), "--gate", "L1:S07:G03:entry", "--journal",
                dir.file("journal.db"), "--interactive"});
  const std::string at = "clock 2022-05-23T05:00:04+08:00\n";
  {
    ChildProcess gate(run);
    REQUIRE(gate.started());
    gate.write(at + scan + "\n");
    std::string line, opened;
    while (opened.empty() && gate.read_line(line)) {
      if (line.find("\"media\":\"qr\"") != std::string::npos) opened = line;
    }
    CHECK(opened.find("\"reason\":\"ok\"") != std::string::npos);
    REQUIRE(WIFSIGNALED(gate.kill_and_wait(SIGKILL)));
  }
  // The same code again, at the same instant, on the restarted gate.
  ChildProcess again(run);
  again.write(at + scan + "\n");
  again.close_stdin();
  std::string line, decision;  // a refused code has no credential (media none)
  while (again.read_line(line)) {
    if (line.find("\"outcome\":") != std::string::npos) decision = line;
  }
  CHECK(again.wait_exit() == 0);
  CHECK(decision.find("\"reason\":\"code_replayed\"") != std::string::npos);
}
