// gate-sim upload as a program: its flags, a collector that refuses every batch (the simulator's
// GET-only feed server: a POST with a body is a 400) given up at the timeout with the last error,
// and a journal with nothing left pending. Uploading to a real collector is the back office's
// end-to-end test.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "firmware/app/config.h"
#include "firmware/store/journal.h"
#include "sim/feed_server/feed_server.h"
#include "tests/sim/child_process.h"
#include "tests/support/temp_dir.h"

using namespace std::chrono;

namespace {

const gate::Instant kT0 = sys_days{2022y / May / 23} + 5h;

// A journal of `rows` start-up events of gate L1-S07-G03 under the simulator's secret, with
// `acked` of them acknowledged.
void write_journal(const std::string& path, int rows, std::uint64_t acked) {
  auto journal =
      gate::store::Journal::open(path, {gate::app::simulator_journal_secret(), "L1-S07-G03"});
  REQUIRE(journal.ok());
  for (int i = 0; i < rows; ++i) {
    gate::core::GateEvent e;
    e.ts = kT0 + seconds(i);
    e.gate = "L1-S07-G03";
    e.kind = gate::core::EventKind::startup;
    REQUIRE(journal->append(e).ok());
  }
  REQUIRE(journal->acknowledge(acked).ok());
}

// gate-sim with stderr (where upload reports) folded into stdout.
gate::test::RunResult upload(std::vector<std::string> args) {
  args.insert(args.begin(), "upload");
  std::vector<std::string> argv = gate::test::gate_sim(std::move(args));
  argv.insert(argv.begin(), {"/bin/sh", "-c", "exec \"$@\" 2>&1", "sh"});
  return gate::test::run_to_end(argv);
}

}  // namespace

TEST_CASE("gate-sim upload: an unreadable collector CA fails before anything is sent",
          "[gate-sim][upload]") {
  gate::test::TempDir dir;
  const std::string journal = dir.file("journal.db");
  write_journal(journal, 3, 0);
  auto r = upload({"--journal", journal, "--gate", "L1:S07:G03:entry", "--set",
                   "collector_url=https://127.0.0.1:1/", "--set", "collector_ca=/nonexistent.pem"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.out, Catch::Contains("/nonexistent.pem"));
}

TEST_CASE("gate-sim upload: gives up at the timeout with the collector's last answer",
          "[gate-sim][upload]") {
  gate::test::TempDir dir;
  const std::string journal = dir.file("journal.db");
  write_journal(journal, 3, 0);
  gate::sim::FeedServerOptions options;
  options.root = dir.path();
  options.ca_cert_path = dir.file("ca.pem");
  auto server = gate::sim::FeedServer::start(options);
  REQUIRE(server.ok());
  const std::vector<std::string> collector{
      "--set", "collector_url=" + (*server)->base_url(),
      "--set", "collector_ca=" + options.ca_cert_path,
      "--set", "collector_server_name=" + gate::sim::FeedServer::server_name()};

  std::vector<std::string> args{"--journal",        journal,     "--gate",
                                "L1:S07:G03:entry", "--timeout", "2s"};
  args.insert(args.end(), collector.begin(), collector.end());
  const auto start = steady_clock::now();
  auto refused = upload(args);
  CHECK(steady_clock::now() - start < seconds(30));  // a hang guard: the timeout is 2 s
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.out,
             Catch::Contains("gate-sim: upload gave up after 2s with 3 row(s) pending: collector: "
                             "collector answered HTTP 400 (batch malformed)"));
  CHECK((*server)->responses() >= 2);  // retried within the timeout

  // Acknowledged by the back office some other way: nothing left, exit 0.
  write_journal(journal, 0, 3);
  auto done = upload(args);
  CHECK(done.exit_code == 0);
  CHECK_THAT(done.out, Catch::Contains("gate-sim: uploaded: acked 3"));
}

TEST_CASE("gate-sim upload: flags it cannot do without", "[gate-sim][upload]") {
  gate::test::TempDir dir;
  const std::string journal = dir.file("journal.db");
  write_journal(journal, 1, 0);
  auto no_collector = upload({"--journal", journal, "--gate", "L1:S07:G03:entry"});
  CHECK(no_collector.exit_code == 2);
  CHECK_THAT(no_collector.out, Catch::Contains("upload needs collector_url"));
  auto no_gate = upload({"--journal", journal, "--set", "collector_url=https://c/"});
  CHECK(no_gate.exit_code == 2);
  auto bad_key = upload({"--journal", journal, "--gate", "L1:S07:G03:entry", "--set",
                         "collector_url=https://c/gates"});
  CHECK(bad_key.exit_code == 2);
  CHECK_THAT(bad_key.out,
             Catch::Contains("collector_url: expected an https:// URL ending with '/'"));
  auto missing = upload({"--journal", dir.file("none.db"), "--gate", "L1:S07:G03:entry", "--set",
                         "collector_url=https://c/", "--set", "collector_ca=ca.pem"});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.out, Catch::Contains("no journal at"));
}
