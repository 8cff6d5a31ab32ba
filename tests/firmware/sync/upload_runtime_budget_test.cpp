// The disk budget with the uploader beside it (host builds only: nginx answering as a collector
// that holds rows 1-2): a gate whose journal reaches its budget wakes the uploader at once instead
// of waiting for its interval, and the next recheck prunes what the collector acknowledged, never
// more.
#include <catch2/catch.hpp>

#include "firmware/app/gate_runtime.h"
#include "sim/gate_sim/sim_gate.h"
#include "tests/firmware/sync/nginx_fixture.h"
#include "tests/support/log_capture.h"
#include "tests/support/temp_dir.h"

using namespace std::chrono;

TEST_CASE("GateRuntime: a journal at its budget wakes the uploader, and the recheck prunes what it "
          "acknowledged",
          "[uploader][journal_budget]") {
  gate::test::TempDir dir;
  const gate::test::TestPki pki = gate::test::make_test_pki(dir.path());
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
           {"upload_interval", "1h"},  // only a wake-up brings a second round within the test
           {"journal_max_size", "96KiB"},
           {"journal_full_policy", "alarm"}}) {
    REQUIRE(gate::app::set_config_value(config, key, value).ok());
  }
  REQUIRE(gate::app::validate_config(config).ok());

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
