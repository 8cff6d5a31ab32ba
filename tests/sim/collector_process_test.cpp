// `gate-backoffice collect` as a real process: its ready line, a batch acknowledged over HTTPS,
// SIGKILL right after the acknowledgement and a restart on the same port with the same TLS
// directory (the gate's copy of ca.pem still trusted, the acknowledged rows still held, a retry
// not stored twice), a clean stop on SIGTERM; then `gates` and `trace` on its database.
#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <span>

#include "child_process.h"
#include "firmware/core/bcd.h"
#include "firmware/store/journal_batch.h"
#include "sim/ride_code/pem_file.h"
#include "tests/sim/collector_fixture.h"

using namespace gate::test::collector;
using gate::test::ChildProcess;
using gate::test::gate_backoffice;
using gate::test::run_to_end;
using gate::test::TempDir;

namespace {

std::string read_file(const std::string& path) {
  auto text = gate::sim::read_small_file(path);
  REQUIRE(text.ok());
  return *text;
}

std::string hex(const std::string& bytes) {
  return gate::core::to_lower_hex(
      std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

// Starts the collector and waits for its ready line; the port it listens on.
std::uint16_t start_collector(ChildProcess& child) {
  REQUIRE(child.started());
  std::string line;
  REQUIRE(child.read_line(line));
  std::smatch m;
  INFO(line);
  REQUIRE(std::regex_match(line, m, std::regex(R"(listening on https://127\.0\.0\.1:(\d+)/)")));
  return static_cast<std::uint16_t>(std::stoul(m[1]));
}

}  // namespace

TEST_CASE(
    "gate-backoffice collect: SIGKILLed after an acknowledgement and restarted, it keeps it") {
  TempDir dir;
  GateJournal g(dir, "L1-S07-G03");
  g.add(decision(kCardA, kT0));
  g.add(event(gate::core::EventKind::staff_confirm, kCardC, kT0 + 1min));
  g.decisions(4, kT0 + 2min);
  std::ofstream(dir.file("secrets")) << "# gate secrets\nL1-S07-G03 " << hex(g.key.secret) << "\n";
  const std::vector<std::string> args = {
      "collect",           "--db",      dir.file("c.db"), "--secrets",
      dir.file("secrets"), "--tls-dir", dir.file("tls")};

  std::uint16_t port = 0;
  {
    ChildProcess first(gate_backoffice(args));
    port = start_collector(first);
    // The gate is configured with a copy of the CA certificate, made on this first start.
    std::filesystem::copy_file(dir.file("tls/ca.pem"), dir.file("gate-ca.pem"));
    auto acked = post_batch(port, dir.file("gate-ca.pem"), g.batch(0, 4));
    CHECK(acked.status_line == "HTTP/1.1 200 OK");
    CHECK(acked.body == "GJA1 acked=4\n");
    // Killed the moment the gate has its acknowledgement: no chance to flush anything more.
    int status = first.kill_and_wait(SIGKILL);
    CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));
  }
  CHECK(read_file(dir.file("tls/ca.pem")) == read_file(dir.file("gate-ca.pem")));

  std::vector<std::string> again = args;
  again.insert(again.end(), {"--port", std::to_string(port)});
  ChildProcess second(gate_backoffice(again));
  CHECK(start_collector(second) == port);
  // The gate never marked rows 1-4 (say its own crash lost that): it sends 1-6, the collector
  // holds 1-4 already and stores 5-6.
  auto acked = post_batch(port, dir.file("gate-ca.pem"), g.batch());
  CHECK(acked.status_line == "HTTP/1.1 200 OK");
  CHECK(acked.body == "GJA1 acked=6\n");
  int status = second.kill_and_wait(SIGTERM);
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));

  auto gates = run_to_end(gate_backoffice({"gates", "--db", dir.file("c.db")}));
  CHECK(gates.exit_code == 0);
  CHECK(gates.out == "L1-S07-G03 last_seq=6 rows=6\n");

  const std::string body_a =
      gate::store::canonical_json(gate::store::JournalEntry(decision(kCardA, kT0)));
  auto by_card = run_to_end(gate_backoffice({"trace", "--db", dir.file("c.db"), "--credential",
                                             kCardA, "--to", "2022-05-23T13:01:00+08:00"}));
  CHECK(by_card.exit_code == 0);
  CHECK(by_card.out == body_a + "\n");
  // The station from 13:00:30: the staff confirmation and the four decisions, not A's.
  auto at_station = run_to_end(gate_backoffice({"trace", "--db", dir.file("c.db"), "--station",
                                                "L1-S07", "--from", "2022-05-23T13:00:30+08:00"}));
  CHECK(at_station.exit_code == 0);
  CHECK(std::count(at_station.out.begin(), at_station.out.end(), '\n') == 5);
  CHECK(at_station.out.find(kCardA) == std::string::npos);
  CHECK(at_station.out.find(kCardC) != std::string::npos);

  // A's holder, from the registry: card A bound to id-a01 the day before.
  std::ofstream(dir.file("ops.jsonl"))
      << R"({"op":"bind","at":"2022-05-22T09:00:00+08:00","credential":")" << kCardA
      << R"(","identity":"id-a01","media":"card","by":"id-a01"})"
      << "\n";
  REQUIRE(run_to_end(gate_backoffice({"apply", "--registry", dir.file("reg.db"), "--ops",
                                      dir.file("ops.jsonl")}))
              .exit_code == 0);
  auto by_identity = run_to_end(gate_backoffice({"trace", "--db", dir.file("c.db"), "--identity",
                                                 "id-a01", "--registry", dir.file("reg.db")}));
  CHECK(by_identity.exit_code == 0);
  CHECK(by_identity.out == body_a + "\n");

  CHECK(run_to_end(gate_backoffice({"trace", "--db", dir.file("c.db")})).exit_code == 2);
  CHECK(run_to_end(gate_backoffice({"trace", "--db", dir.file("c.db"), "--identity", "id-a01"}))
            .exit_code == 2);
  CHECK(run_to_end(gate_backoffice({"trace", "--db", dir.file("c.db"), "--station", "L1-S07",
                                    "--from", "yesterday"}))
            .exit_code == 2);
  CHECK(run_to_end(gate_backoffice({"gates", "--db", dir.file("missing.db")})).exit_code == 1);
}

TEST_CASE("gate-backoffice collect: a refused chain shows in `gates` with its problem and seq") {
  TempDir dir;
  GateJournal g(dir, "L1-S07-G03");
  g.decisions(5);
  g.tamper("UPDATE journal SET body = replace(body, '\"open\"', '\"deny\"') WHERE seq = 3");
  std::ofstream(dir.file("secrets")) << "L1-S07-G03 " << hex(g.key.secret) << "\n";
  ChildProcess collector(gate_backoffice({"collect", "--db", dir.file("c.db"), "--secrets",
                                          dir.file("secrets"), "--tls-dir", dir.file("tls")}));
  std::uint16_t port = start_collector(collector);
  auto refused = post_batch(port, dir.file("tls/ca.pem"), g.batch());
  CHECK(refused.status_line == "HTTP/1.1 409 Conflict");
  CHECK(refused.body == "GJA1 acked=2 problem=altered seq=3\n");
  // Read while the collector runs (and holds the file open): the operator's view.
  auto gates = run_to_end(gate_backoffice({"gates", "--db", dir.file("c.db")}));
  CHECK(gates.exit_code == 0);
  CHECK(gates.out == "L1-S07-G03 last_seq=2 rows=2 problem=altered seq=3\n");
  collector.kill_and_wait(SIGTERM);
}
