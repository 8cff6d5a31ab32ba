// The runtime with feed_url set (host builds only: a real nginx): a gate that starts without a
// cache is out of service; its sync thread builds the cache from the feed, and the loop takes it
// up without a restart and decides by it. Each sync's outcome is journaled, by the loop thread.
#include <sqlite3.h>

#include <algorithm>
#include <fstream>
#include <mutex>
#include <thread>

#include "firmware/app/gate_runtime.h"
#include "sim/cards/card_factory.h"
#include "sim/gate_sim/sim_gate.h"
#include "tests/firmware/sync/feed_sync_site.h"

using namespace feed_site;
using namespace std::chrono;

namespace {

// 05:00 on 23 May 2022 in Beijing: the policy of kState is in force, its health record fresh.
const gate::Instant kFirstTrain = gate::Instant(seconds(1653253200));

// A gate whose feed is the site's nginx, pinning the site's feed key, no cache yet.
gate::app::Config feed_config(Site& site, const std::string& interval = "5min") {
  const std::string key_pem = site.dir.file("feed-key.pem");
  std::ofstream(key_pem) << site.feed.key.public_key_pem().value();
  gate::app::Config config;
  config.gate = *gate::core::parse_gate_spec("L1:S07:G03:entry");
  config.cache_path = site.cache;
  config.journal_path = site.dir.file("journal.db");
  REQUIRE(gate::app::set_config_value(
              config, "feed_url", "https://127.0.0.1:" + std::to_string(site.nginx.port()) + "/")
              .ok());
  REQUIRE(gate::app::set_config_value(config, "feed_interval", interval).ok());
  config.feed.ca_file = site.pki.ca_cert;
  config.feed.server_name = "localhost";
  config.feed.key_file = key_pem;
  REQUIRE(gate::app::validate_config(config).ok());
  return config;
}

}  // namespace

TEST_CASE("GateRuntime: a missing cache made by the first sync puts the gate in service",
          "[feed-syncer]") {
  Site site;
  site.feed.now = kFirstTrain;
  site.feed.publish(3, kState, "", true);
  const gate::app::Config config = feed_config(site);

  AllLogs logs;
  std::vector<gate::core::DecisionRecord> decisions;
  auto made = gate::sim::SimGate::create(
      config, kFirstTrain, [&](std::uint64_t, const gate::store::JournalEntry& e) {
        if (auto* d = std::get_if<gate::core::DecisionRecord>(&e)) decisions.push_back(*d);
      });
  REQUIRE(made.ok());
  auto& gate = **made;
  CHECK_FALSE(gate.runtime().cache_usable());
  CHECK(gate.indicator().current() == gate::control::out_of_service_indicator("no cache"));

  // The sync thread started with the runtime; the loop carries on meanwhile.
  REQUIRE(gate.runtime().syncer() != nullptr);
  auto status = gate.runtime().syncer()->wait_for_attempts(1, seconds(30));
  REQUIRE(status.good_syncs == 1);
  CHECK(status.sequence == 3);

  REQUIRE(gate.step().ok());  // the loop thread opens the new cache
  CHECK(gate.runtime().cache_usable());
  CHECK(gate.indicator().current() != gate::control::out_of_service_indicator());

  // A sync transaction left open (every binding deleted, not committed) does not hold the
  // decision up: the loop's read-only connection reads the last committed state (WAL).
  sqlite3* sync_connection = nullptr;
  REQUIRE(sqlite3_open_v2(site.cache.c_str(), &sync_connection, SQLITE_OPEN_READWRITE, nullptr) ==
          SQLITE_OK);
  REQUIRE(sqlite3_exec(sync_connection, "BEGIN IMMEDIATE; DELETE FROM binding;", nullptr, nullptr,
                       nullptr) == SQLITE_OK);
  gate.field().place_many({gate::sim::make_card_for_key(kTu)});
  REQUIRE(gate.step().ok());
  REQUIRE(sqlite3_exec(sync_connection, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(sync_connection);
  REQUIRE(decisions.size() == 1);
  CHECK(decisions[0].decision.reason == gate::core::Reason::ok);
  CHECK(gate.mechanism().relay_open());

  made->reset();  // stops the sync thread
  bool said = false;
  for (const auto& line : logs.take())
    said = said || line == "app: cache synced, gate back in service";
  CHECK(said);
}

TEST_CASE("GateRuntime: each sync's outcome is journaled by the loop thread, good or failed",
          "[feed-syncer]") {
  Site site;
  site.feed.now = kFirstTrain;
  site.feed.publish(3, kState, "", true);
  const gate::app::Config config = feed_config(site, "1s");

  AllLogs logs;
  std::mutex mutex;  // the observer must only ever run on the loop thread; checked below
  const auto loop_thread = std::this_thread::get_id();
  std::vector<gate::core::EventKind> events;
  bool off_thread = false;
  auto made = gate::sim::SimGate::create(
      config, kFirstTrain, [&](std::uint64_t, const gate::store::JournalEntry& e) {
        std::lock_guard<std::mutex> lock(mutex);
        off_thread = off_thread || std::this_thread::get_id() != loop_thread;
        if (auto* ev = std::get_if<gate::core::GateEvent>(&e)) events.push_back(ev->kind);
      });
  REQUIRE(made.ok());
  auto& gate = **made;
  auto events_now = [&] {
    std::lock_guard<std::mutex> lock(mutex);
    return events;
  };
  using gate::core::EventKind;
  REQUIRE(gate.runtime().syncer() != nullptr);
  REQUIRE(gate.runtime().syncer()->wait_for_attempts(1, seconds(30)).good_syncs == 1);
  // The sync ended on its own thread; nothing is journaled until the loop runs.
  CHECK(events_now() == std::vector<EventKind>{EventKind::startup});
  REQUIRE(gate.step().ok());
  CHECK(events_now() == std::vector<EventKind>{EventKind::startup, EventKind::sync_success});

  // A manifest that is not one: the next sync (a second later) fails and is journaled as such.
  site.write("manifest.gfd", std::vector<char>{'n', 'o', 't', ' ', 'a', ' ', 'f', 'e', 'e', 'd'});
  // (A sync already under way when the file changed may still succeed: wait for a failed one.)
  auto status = gate.runtime().syncer()->status();
  for (std::uint64_t n = status.attempts + 1; status.last_error.empty() && n < 20; ++n) {
    status = gate.runtime().syncer()->wait_for_attempts(n, seconds(30));
  }
  REQUIRE_FALSE(status.last_error.empty());
  gate.runtime().syncer()->stop();  // no further syncs: the events below are all there is
  status = gate.runtime().syncer()->status();
  REQUIRE(gate.step().ok());
  auto seen = events_now();
  REQUIRE(seen.size() == 1 + status.attempts);
  CHECK(seen[1] == EventKind::sync_success);
  CHECK(std::count(seen.begin(), seen.end(), EventKind::sync_failure) ==
        static_cast<long>(status.attempts - status.good_syncs));
  CHECK(seen.back() == EventKind::sync_failure);
  CHECK_FALSE(off_thread);
}
