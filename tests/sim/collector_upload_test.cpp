// The gate's own uploader (`gate-sim upload`: JournalUploader, HttpsClient::post) against the
// back office's collector (`gate-backoffice collect`), both real programs: a journal uploaded
// whole; the collector SIGKILLed and restarted on its port with its TLS directory, and the gate's
// next rows still accepted under the CA it was configured with; a row deleted from the gate's file
// refused as a gap at its seq, which `gates` shows.
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <span>

#include "child_process.h"
#include "firmware/app/config.h"
#include "firmware/core/bcd.h"
#include "tests/sim/collector_fixture.h"

using namespace gate::test::collector;
using gate::test::ChildProcess;
using gate::test::gate_backoffice;
using gate::test::run_to_end;
using gate::test::TempDir;

namespace {

// The collector for gate L1-S07-G03 under the simulator's journal secret (gate-sim's default).
struct CollectorProcess {
  const TempDir& dir;
  std::unique_ptr<ChildProcess> child;
  std::uint16_t port = 0;

  explicit CollectorProcess(const TempDir& d) : dir(d) {
    const std::string secret = gate::app::simulator_journal_secret();
    std::ofstream(dir.file("secrets"))
        << "L1-S07-G03 "
        << gate::core::to_lower_hex(
               std::span(reinterpret_cast<const std::uint8_t*>(secret.data()), secret.size()))
        << "\n";
    start();
  }
  void start() {
    std::vector<std::string> args = {
        "collect",   "--db",          dir.file("c.db"), "--secrets",         dir.file("secrets"),
        "--tls-dir", dir.file("tls"), "--port",         std::to_string(port)};
    child = std::make_unique<ChildProcess>(gate_backoffice(args));
    REQUIRE(child->started());
    std::string line;
    REQUIRE(child->read_line(line));
    std::smatch m;
    INFO(line);
    REQUIRE(std::regex_match(line, m, std::regex(R"(listening on https://127\.0\.0\.1:(\d+)/)")));
    port = static_cast<std::uint16_t>(std::stoul(m[1]));
  }
  std::string gates() {
    auto r = run_to_end(gate_backoffice({"gates", "--db", dir.file("c.db")}));
    CHECK(r.exit_code == 0);
    return r.out;
  }
};

// `gate-sim upload` of `journal` to the collector, trusting `ca_file`; stderr folded into stdout.
// It returns as soon as every row is acknowledged; `timeout` bounds a collector that refuses.
gate::test::RunResult upload(const std::string& journal, std::uint16_t port,
                             const std::string& ca_file, const std::string& timeout = "30s") {
  std::vector<std::string> argv = gate::test::gate_sim(
      {"upload", "--journal", journal, "--gate", "L1:S07:G03:entry", "--timeout", timeout, "--set",
       "collector_url=https://127.0.0.1:" + std::to_string(port) + "/", "--set",
       "collector_ca=" + ca_file, "--set", "collector_server_name=localhost", "--set",
       "upload_batch=4"});
  argv.insert(argv.begin(), {"/bin/sh", "-c", "exec \"$@\" 2>&1", "sh"});
  return run_to_end(argv);
}

}  // namespace

TEST_CASE("gate-sim upload to gate-backoffice collect: held whole, across a collector SIGKILL") {
  TempDir dir;
  GateJournal g(dir, "L1-S07-G03");  // the test key is the simulator's secret
  REQUIRE(g.key.secret == gate::app::simulator_journal_secret());
  g.decisions(10);
  CollectorProcess collector(dir);
  std::filesystem::copy_file(dir.file("tls/ca.pem"), dir.file("gate-ca.pem"));

  auto first = upload(g.path, collector.port, dir.file("gate-ca.pem"));
  INFO(first.out);
  CHECK(first.exit_code == 0);
  CHECK_THAT(first.out, Catch::Contains("gate-sim: uploaded: acked 10"));
  CHECK(collector.gates() == "L1-S07-G03 last_seq=10 rows=10\n");

  collector.child->kill_and_wait(SIGKILL);
  collector.start();  // the same port, the same TLS directory
  g.decisions(5, kT0 + 1h);
  auto second = upload(g.path, collector.port, dir.file("gate-ca.pem"));
  INFO(second.out);
  CHECK(second.exit_code == 0);
  CHECK_THAT(second.out, Catch::Contains("gate-sim: uploaded: acked 15"));
  CHECK(collector.gates() == "L1-S07-G03 last_seq=15 rows=15\n");

  // Someone deletes a row not yet uploaded from the gate's file: refused at its seq.
  g.decisions(5, kT0 + 2h);
  g.tamper("DELETE FROM journal WHERE seq = 18");
  // Refused for good: it gives up at the timeout, long enough for a first round under qemu.
  auto refused = upload(g.path, collector.port, dir.file("gate-ca.pem"), "4s");
  INFO(refused.out);
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.out, Catch::Contains("gap at seq 18"));
  CHECK(collector.gates() == "L1-S07-G03 last_seq=17 rows=17 problem=gap seq=18\n");
}
