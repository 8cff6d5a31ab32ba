// The runtime with collector_url set (host builds only: a real nginx answering as a collector):
// the uploader starts beside the loop, sends the journal's rows over HTTPS and persists the
// acknowledgement, and stopping the runtime stops it. With the disk budget beside it: a gate whose
// journal reaches its budget wakes the uploader at once instead of waiting for its interval, and
// the next recheck prunes what the collector acknowledged, never more.
#include <catch2/catch.hpp>

#include "firmware/app/gate_runtime.h"
#include "sim/gate_sim/sim_gate.h"
#include "tests/firmware/sync/feed_sync_site.h"
#include "tests/firmware/sync/nginx_fixture.h"
#include "tests/support/log_capture.h"
#include "tests/support/temp_dir.h"

using namespace std::chrono;

namespace {

// A gate (no cache: out of service, still journaling) whose collector is nginx's /post/acked/
// location, which answers every batch "GJA1 acked=2": a collector holding rows 1-2. The upload
// interval is an hour, so a second round within a test comes only from a wake-up. `more`: further
// keys.
gate::app::Config collector_config(const gate::test::TempDir& dir,
                                   const gate::test::NginxServer& nginx,
                                   const gate::test::TestPki& pki,
                                   std::vector<std::pair<std::string, std::string>> more = {}) {
  gate::app::Config config;
  config.gate = *gate::core::parse_gate_spec("L1:S07:G03:entry");
  config.cache_path = dir.file("cache.db");
  config.journal_path = dir.file("journal.db");
  std::vector<std::pair<std::string, std::string>> keys = {
      {"collector_url", "https://127.0.0.1:" + std::to_string(nginx.port()) + "/post/acked/"},
      {"collector_ca", pki.ca_cert},
      {"collector_server_name", "localhost"},
      {"upload_interval", "1h"}};
  keys.insert(keys.end(), more.begin(), more.end());
  for (const auto& [key, value] : keys) {
    INFO(key << " = " << value);
    REQUIRE(gate::app::set_config_value(config, key, value).ok());
  }
  REQUIRE(gate::app::validate_config(config).ok());
  return config;
}

}  // namespace

TEST_CASE("GateRuntime: with collector_url the journal is uploaded beside the loop", "[uploader]") {
  gate::test::TempDir dir;
  const gate::test::TestPki pki = gate::test::make_test_pki(dir.path());
  // Its /post/acked/ location answers every batch "GJA1 acked=2": a collector holding rows 1-2.
  gate::test::NginxServer nginx{dir.path(), pki, dir.file("www")};
  nginx.start();

  const gate::app::Config config = collector_config(dir, nginx, pki);

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

TEST_CASE(
    "GateRuntime: a journal at its budget wakes the uploader, and the recheck prunes what it "
    "acknowledged",
    "[uploader][journal_budget]") {
  gate::test::TempDir dir;
  const gate::test::TestPki pki = gate::test::make_test_pki(dir.path());
  gate::test::NginxServer nginx{dir.path(), pki, dir.file("www")};
  nginx.start();

  const gate::app::Config config = collector_config(
      dir, nginx, pki, {{"journal_max_size", "96KiB"}, {"journal_full_policy", "alarm"}});

  gate::test::LogCapture logs;
  auto made = gate::sim::SimGate::create(config, sys_days{2022y / May / 23} + 5h, {});
  REQUIRE(made.ok());
  gate::sim::SimGate& gate = **made;
  gate::app::GateRuntime& runtime = gate.runtime();
  REQUIRE(runtime.uploader() != nullptr);
  REQUIRE(runtime.uploader()->wait_for_attempts(1, seconds(30)).acked == 1);  // the start-up

  // Tailgating events until the budget is reached: the uploader's second round follows at once.
  for (int i = 0; i < 2000 && runtime.journal_space() == gate::control::JournalSpace::ok; ++i) {
    gate.mechanism().add_passages(1);
    REQUIRE(gate.advance(2100ms).ok());
  }
  REQUIRE(runtime.journal_space() == gate::control::JournalSpace::full_alarm);
  auto status = runtime.uploader()->wait_for_attempts(2, seconds(30));
  REQUIRE(status.attempts >= 2);
  CHECK(status.acked == 2);  // this collector holds rows 1-2, whatever is sent

  // The next recheck prunes rows 1 and 2 and nothing else: still over, still alarmed. (The
  // uploader prunes only past journal_retention, 7 days before the simulated clock: none of these.)
  REQUIRE(gate.advance(5s).ok());
  auto rows = runtime.journal().read();
  REQUIRE(rows.ok());
  REQUIRE_FALSE(rows->empty());
  CHECK(rows->front().seq == 3);
  CHECK(runtime.journal_space() == gate::control::JournalSpace::full_alarm);
}
