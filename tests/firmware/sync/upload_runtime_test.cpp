// The runtime with collector_url set (host builds only: a real nginx answering as a collector):
// the uploader starts beside the loop, sends the journal's rows over HTTPS and persists the
// acknowledgement, and stopping the runtime stops it.
#include <catch2/catch.hpp>

#include "firmware/app/gate_runtime.h"
#include "sim/gate_sim/sim_gate.h"
#include "tests/firmware/sync/feed_sync_site.h"
#include "tests/firmware/sync/nginx_fixture.h"
#include "tests/support/temp_dir.h"

using namespace std::chrono;

TEST_CASE("GateRuntime: with collector_url the journal is uploaded beside the loop", "[uploader]") {
  gate::test::TempDir dir;
  const gate::test::TestPki pki = gate::test::make_test_pki(dir.path());
  // Its /post/acked/ location answers every batch "GJA1 acked=2": a collector holding rows 1-2.
  gate::test::NginxServer nginx{dir.path(), pki, dir.file("www")};
  nginx.start();

  gate::app::Config config;
  config.gate = *gate::core::parse_gate_spec("L1:S07:G03:entry");
  config.cache_path = dir.file("cache.db");  // none: out of service, still journaling
  config.journal_path = dir.file("journal.db");
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"collector_url", "https://127.0.0.1:" + std::to_string(nginx.port()) + "/post/acked/"},
           {"collector_ca", pki.ca_cert},
           {"collector_server_name", "localhost"},
           {"upload_interval", "1h"}}) {
    REQUIRE(gate::app::set_config_value(config, key, value).ok());
  }
  REQUIRE(gate::app::validate_config(config).ok());

  feed_site::AllLogs logs;
  const gate::Instant start = sys_days{2022y / May / 23} + 5h;
  auto made = gate::sim::SimGate::create(config, start, {});
  REQUIRE(made.ok());
  gate::app::GateRuntime& runtime = (*made)->runtime();
  REQUIRE(runtime.uploader() != nullptr);
  // The start-up event is row 1: sent, and acknowledged as far as it goes (min(2, 1)).
  auto status = runtime.uploader()->wait_for_attempts(1, seconds(30));
  INFO(status.last_error);
  CHECK(status.acked == 1);
  CHECK(status.pending == 0);
  CHECK(nginx.post_log(1).find("application/x-gate-journal-batch L1-S07-G03:1-1 GJB1 ") == 0);

  made->reset();  // stops the uploader, then the loop
  auto journal = gate::store::Journal::open(
      config.journal_path, {gate::app::simulator_journal_secret(), config.gate.gate_id()});
  REQUIRE(journal.ok());
  CHECK(journal->acknowledged().value() == 1);
  bool said = false;
  for (const auto& line : logs.take()) {
    said = said || line == "app: journal upload to " + config.collector.url + ", 1 row(s) pending";
  }
  CHECK(said);
}
