// The gate's own uploader (`gate-sim upload`: JournalUploader, HttpsClient::post) against the
// back office's collector (`gate-backoffice collect`), both real programs: a journal uploaded
// whole; the collector SIGKILLed and restarted on its port with its TLS directory, and the gate's
// next rows still accepted under the CA it was configured with; a row deleted, edited or swapped
// in the gate's file refused at its seq, which the upload reports and `gates` shows.
#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/sim/collector_fixture.h"
#include "tests/sim/collector_process.h"

using namespace gate::test::collector;
using gate::test::TempDir;

namespace {

// gate-sim upload to `collector`, trusting `ca_file`, four rows a batch.
gate::test::RunResult upload_to(const CollectorProcess& collector, const std::string& journal,
                                const std::string& ca_file) {
  auto flags = collector.upload_settings(ca_file);
  flags.insert(flags.end(), {"--set", "upload_batch=4"});
  return upload(journal, flags);
}

}  // namespace

TEST_CASE("gate-sim upload to gate-backoffice collect: held whole, across a collector SIGKILL") {
  TempDir dir;
  GateJournal g(dir, "L1-S07-G03");  // the test key is the simulator's secret
  REQUIRE(g.key.secret == gate::app::simulator_journal_secret());
  g.decisions(10);
  CollectorProcess collector(dir);
  std::filesystem::copy_file(dir.file("tls/ca.pem"), dir.file("gate-ca.pem"));

  auto first = upload_to(collector, g.path, dir.file("gate-ca.pem"));
  INFO(first.out);
  CHECK(first.exit_code == 0);
  CHECK_THAT(first.out, Catch::Contains("gate-sim: uploaded: acked 10"));
  CHECK(collector.gates() == "L1-S07-G03 last_seq=10 rows=10\n");

  collector.child->kill_and_wait(SIGKILL);
  collector.start();  // the same port, the same TLS directory
  g.decisions(5, kT0 + 1h);
  auto second = upload_to(collector, g.path, dir.file("gate-ca.pem"));
  INFO(second.out);
  CHECK(second.exit_code == 0);
  CHECK_THAT(second.out, Catch::Contains("gate-sim: uploaded: acked 15"));
  CHECK(collector.gates() == "L1-S07-G03 last_seq=15 rows=15\n");
}

TEST_CASE(
    "gate-sim upload to gate-backoffice collect: a tampered journal file is refused at the "
    "row, and gates shows it") {
  TempDir dir;
  GateJournal g(dir, "L1-S07-G03");
  g.decisions(10);
  CollectorProcess collector(dir);
  auto first = upload_to(collector, g.path, collector.ca_file());
  INFO(first.out);
  CHECK(first.exit_code == 0);

  // Someone with the file changes rows not yet uploaded: the upload stops at once (retrying
  // cannot repair a chain), naming the problem and the seq, and the collector keeps the rows
  // before it.
  g.decisions(10, kT0 + 1h);
  std::string problem;
  SECTION("a row deleted") {
    g.delete_row(12);
    problem = "gap at seq 12";
  }
  SECTION("a row edited") {
    g.edit_row(12);
    problem = "altered at seq 12";
  }
  SECTION("two rows swapped") {
    g.swap_rows(12);  // 12 and 13: one batch (11-14) holds both
    problem = "reordered at seq 12";
  }
  auto refused = upload_to(collector, g.path, collector.ca_file());
  INFO(refused.out);
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.out,
             Catch::Contains("gate-sim: upload stopped: ") && Catch::Contains(problem));
  const std::string name = problem.substr(0, problem.find(' '));
  CHECK(collector.gates() == "L1-S07-G03 last_seq=11 rows=11 problem=" + name + " seq=12\n");
}
