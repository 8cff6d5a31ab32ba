// The injected faults of the gate's devices and files (sim/gate_sim/io_faults.h), each through
// SimGate::play as a scenario plays it: the defined behaviour while the fault lasts (decisions.md
// row 2 out of service, or cards still deciding when only the scanner is gone), the display, one
// log line when it starts and one when it clears, and the recovery the gate makes by itself.
// Time is the simulator's clock; the only real waits are the PN532 and scanner drivers' own
// reopening of a pty, and (with a feed) the sync thread's rebuild, each bounded.
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <thread>

#include "firmware/gate/gate_controller.h"
#include "firmware/store/iso_time.h"
#include "firmware/store/record_loader.h"
#include "sim/gate_sim/sim_gate.h"
#include "tests/firmware/sync/feed_sync_site.h"
#include "tests/sim/child_process.h"
#include "tests/support/temp_dir.h"

using namespace std::chrono;
using gate::core::EventKind;
using gate::core::Reason;
using gate::test::TempDir;

namespace {

const std::string kDemoRecords = std::string(GATE_SOURCE_DIR) + "/sim/demo/records.jsonl";
const std::string kGreen = "tu:3105170010170907984";  // the demo's green rider
const gate::Instant kStart = *gate::store::parse_iso8601("2022-05-23T05:00:00+08:00");

std::size_t count(const std::vector<std::string>& lines, const std::string& prefix) {
  return static_cast<std::size_t>(std::count_if(
      lines.begin(), lines.end(), [&](const auto& l) { return l.rfind(prefix, 0) == 0; }));
}

// A gate on the demo's records (or on a feed), with every decision and event it journals.
class Bench {
 public:
  Bench() {
    config_.gate = *gate::core::parse_gate_spec("L1:S07:G03:entry");
    config_.cache_path = dir.file("cache.db");
    config_.journal_path = dir.file("journal.db");
  }
  gate::app::Config& config() { return config_; }
  void build_cache() {
    REQUIRE(gate::store::load_records_file(kDemoRecords, config_.cache_path, kStart).ok());
  }
  gate::sim::SimGate& start() {
    auto made = gate::sim::SimGate::create(
        config_, kStart, [this](std::uint64_t, const gate::store::JournalEntry& e) {
          if (auto* d = std::get_if<gate::core::DecisionRecord>(&e))
            reasons.push_back(d->decision.reason);
          if (auto* ev = std::get_if<gate::core::GateEvent>(&e)) events.push_back(ev->kind);
        });
    INFO((made.ok() ? std::string() : made.error().message));
    REQUIRE(made.ok());
    gate_ = std::move(made).value();
    return *gate_;
  }
  gate::sim::SimGate& gate() { return *gate_; }
  void play(const std::string& line) {
    auto event = gate::sim::parse_scenario_line(line, 1);
    REQUIRE(event.ok());
    REQUIRE(event->has_value());
    gate::Status s = gate_->play(**event);
    INFO(line << ": " << (s.ok() ? std::string() : s.error().message));
    REQUIRE(s.ok());
  }
  // Taps `key` 21 minutes after the last tap (the demo's anti-passback window is 20 minutes) and
  // past the loop's hold-off for a credential seen again; the reason of the one decision it made.
  Reason tap(const std::string& key = kGreen) {
    play("wait 2s");
    gate_->clock().set_wall(gate_->clock().wall_now() + minutes(21));
    const std::size_t before = reasons.size();
    play("tap " + key);
    REQUIRE(reasons.size() == before + 1);
    if (reasons.back() == Reason::ok) play("pass");
    return reasons.back();
  }
  bool out_of_service() const {
    return gate_->indicator().current().text_en ==
           gate::control::out_of_service_indicator().text_en;
  }
  std::size_t events_of(EventKind kind) const {
    return static_cast<std::size_t>(std::count(events.begin(), events.end(), kind));
  }

  TempDir dir;
  std::vector<Reason> reasons;
  std::vector<EventKind> events;

 private:
  gate::app::Config config_;
  std::unique_ptr<gate::sim::SimGate> gate_;
};

// The demo's records published as a signed feed (a snapshot at kStart, valid for an hour) and
// served by the simulator's loopback feed server, which the bench's gate syncs from.
struct FeedSite {
  explicit FeedSite(Bench& b) {
    feed.now = kStart;
    std::ifstream in(kDemoRecords);
    records.assign(std::istreambuf_iterator<char>(in), {});
    feed.publish(1, records, "", true);
    gate::sim::FeedServerOptions options;
    options.root = feed.path();
    options.ca_cert_path = b.dir.file("feed-ca.pem");
    auto started = gate::sim::FeedServer::start(options);
    REQUIRE(started.ok());
    server = std::move(started).value();
    const std::string key_pem = b.dir.file("feed-key.pem");
    std::ofstream(key_pem) << feed.key.public_key_pem().value();
    auto& c = b.config();
    REQUIRE(gate::app::set_config_value(c, "feed_url", server->base_url()).ok());
    REQUIRE(gate::app::set_config_value(c, "feed_interval", "1h").ok());
    c.feed.ca_file = options.ca_cert_path;
    c.feed.server_name = gate::sim::FeedServer::server_name();
    c.feed.key_file = key_pem;
    REQUIRE(gate::app::validate_config(c).ok());
  }
  feed_test::TestFeed feed;
  std::string records;
  std::unique_ptr<gate::sim::FeedServer> server;
};

// Starts the bench's gate on the feed without a cache: the first sync makes it.
gate::sim::SimGate& start_on_feed(Bench& b, FeedSite& site) {
  auto& gate = b.start();
  gate.attach_feed_server(site.server.get());
  REQUIRE(gate.runtime().syncer() != nullptr);
  REQUIRE(gate.runtime().syncer()->wait_for_attempts(1, seconds(30)).good_syncs == 1);
  REQUIRE(gate.step().ok());
  REQUIRE(gate.runtime().cache_usable());
  return gate;
}

void reader_gone_and_back(Bench& b, feed_site::AllLogs& logs) {
  CHECK(b.tap() == Reason::ok);
  logs.take();
  const std::size_t downs = b.events_of(EventKind::reader_down);
  const std::size_t ups = b.events_of(EventKind::reader_up);
  b.play("fault reader-gone on");
  b.play("wait 2s");
  CHECK_FALSE(b.out_of_service());  // within reader_down_grace (3 s)
  b.play("wait 2s");
  CHECK(b.out_of_service());
  CHECK(b.events_of(EventKind::reader_down) == downs + 1);
  b.play("fault reader-gone off");
  b.play("wait 5s");  // the driver's reopen backoff is at most 4 s on the simulated clock
  CHECK(b.events_of(EventKind::reader_up) == ups + 1);
  CHECK_FALSE(b.out_of_service());
  CHECK(b.tap() == Reason::ok);
  auto lines = logs.take();
  CHECK(count(lines, "gate: card reader down") == 1);
  CHECK(count(lines, "gate: card reader back") == 1);
}

}  // namespace

TEST_CASE("fault reader-gone (direct): out of service after the grace, back by itself") {
  feed_site::AllLogs logs;
  Bench b;
  b.build_cache();
  b.start();
  reader_gone_and_back(b, logs);
}

TEST_CASE("fault reader-gone (pn532): the pty goes, comes back, the libnfc driver reopens it") {
  feed_site::AllLogs logs;
  Bench b;
  b.build_cache();
  b.config().reader = "pn532";
  auto& gate = b.start();
  const std::string link = gate.pn532()->link_path();
  b.play("fault reader-gone on");
  struct stat st {};
  CHECK(::lstat(link.c_str(), &st) != 0);  // the link went with the device
  CHECK_FALSE(gate.pn532()->is_open());
  b.play("fault reader-gone off");
  CHECK(::lstat(link.c_str(), &st) == 0);  // the same path again
  b.play("wait 5s");
  reader_gone_and_back(b, logs);
  CHECK(gate.libnfc_reader()->device_open());
}

TEST_CASE("fault scanner-gone: cards still work, codes again after it is back") {
  const std::string kind = GENERATE(std::string("direct"), std::string("serial"));
  INFO(kind);
  feed_site::AllLogs logs;
  Bench b;
  b.build_cache();
  b.config().scanner = kind;
  b.start();
  b.play("scan not-a-ride-code");
  REQUIRE(b.reasons.size() == 1);
  CHECK(b.reasons.back() == Reason::code_malformed);
  logs.take();
  b.play("fault scanner-gone on");
  b.play("wait 2s");
  CHECK_FALSE(b.out_of_service());  // cards still work
  CHECK(b.tap() == Reason::ok);
  b.play("fault scanner-gone off");
  b.play("wait 5s");  // the serial driver's reopen backoff, simulated clock
  b.play("scan not-a-ride-code-either");
  REQUIRE(b.reasons.size() == 3);
  CHECK(b.reasons.back() == Reason::code_malformed);
  auto lines = logs.take();
  CHECK(count(lines, "gate: code scanner down") == 1);
  CHECK(count(lines, "gate: code scanner back") == 1);
}

TEST_CASE("fault cache-unreadable: out of service while it lasts, in service again by itself") {
  feed_site::AllLogs logs;
  Bench b;
  b.build_cache();
  b.start();
  CHECK(b.tap() == Reason::ok);
  logs.take();
  b.play("fault cache-unreadable on");
  b.play("wait 6s");  // the runtime's recheck (5 s) finds the path is not the file it reads
  CHECK(b.out_of_service());
  CHECK_FALSE(b.gate().runtime().cache_usable());
  CHECK(b.tap() == Reason::out_of_service);
  b.play("wait 20s");  // rechecks fail the same way: no more lines
  CHECK(b.tap() == Reason::out_of_service);
  b.play("fault cache-unreadable off");
  b.play("wait 6s");
  CHECK_FALSE(b.out_of_service());
  CHECK(b.tap() == Reason::ok);
  auto lines = logs.take();
  CHECK(count(lines, "app: cache file ") == 1);  // "... is no longer the one open"
  CHECK(count(lines, "app: cache still unusable: ") == 1);
  CHECK(count(lines, "app: cache readable, gate back in service") == 1);
}

TEST_CASE(
    "fault cache-corrupt without a feed: out of service, the file kept aside, a new cache "
    "installed is taken up") {
  feed_site::AllLogs logs;
  Bench b;
  b.build_cache();
  b.start();
  CHECK(b.tap() == Reason::ok);
  logs.take();
  b.play("fault cache-corrupt on");
  b.play("fault cache-corrupt off");  // nothing to undo
  b.play("wait 6s");                  // the runtime's recheck reads the sync state: damaged
  CHECK(b.out_of_service());
  CHECK(b.tap() == Reason::out_of_service);
  const std::string cache = b.gate().runtime().cache_path();
  std::vector<std::string> aside;
  for (const auto& e : std::filesystem::directory_iterator(b.dir.path())) {
    const std::string name = e.path().filename().string();
    if (name.starts_with("cache.db.damaged-") && !name.ends_with("-wal")) aside.push_back(name);
  }
  CHECK(aside.size() == 1);  // kept, not deleted
  CHECK_FALSE(std::filesystem::exists(cache));

  b.build_cache();  // an operator installs a good one
  b.play("wait 6s");
  CHECK_FALSE(b.out_of_service());
  CHECK(b.tap() == Reason::ok);
  auto lines = logs.take();
  CHECK(count(lines, "app: cache damaged, gate out of service") == 1);
  CHECK(count(lines, "app: damaged cache kept as ") == 1);
  CHECK(count(lines, "app: cache readable, gate back in service") == 1);
}

TEST_CASE("fault cache-corrupt with a feed: the gate rebuilds its cache from the snapshot") {
  feed_site::AllLogs logs;
  Bench b;
  FeedSite site(b);
  auto& gate = start_on_feed(b, site);
  CHECK(b.tap() == Reason::ok);
  logs.take();
  b.play("fault cache-corrupt on");
  CHECK(b.tap() == Reason::out_of_service);  // the tap, or the 5 s recheck, met the damage
  // The runtime set the file aside and asked the sync thread for a new one, which it builds from
  // the snapshot at once (not at its next interval, an hour away).
  auto status = gate.runtime().syncer()->wait_for_attempts(2, seconds(30));
  REQUIRE(status.good_syncs == 2);
  b.play("wait 3s");  // the loop adopts it; the last result's screen (2 s) is over
  CHECK_FALSE(b.out_of_service());
  CHECK(b.tap() == Reason::ok);
  auto lines = logs.take();
  CHECK(count(lines, "validator: cache read failing") <= 1);  // only if the tap came first
  CHECK(count(lines, "app: cache damaged, gate out of service") == 1);
  CHECK(count(lines, "app: damaged cache kept as ") == 1);
  CHECK(count(lines, "feed: cache set aside as damaged: rebuilding it from the snapshot") == 1);
  CHECK(count(lines, "feed: feed sync: sequence 0 -> 1, snapshot") == 1);
  CHECK(count(lines, "app: cache synced, gate back in service") == 1);
}

TEST_CASE(
    "fault feed-garbage: syncs fail (logged once), the gate decides on its last cache until "
    "it is stale, and the next sync after the fault recovers") {
  feed_site::AllLogs logs;
  Bench b;
  FeedSite site(b);
  auto& gate = start_on_feed(b, site);
  auto* syncer = gate.runtime().syncer();
  syncer->stop();  // the syncs below are the test's, at the instants it names
  logs.take();
  b.play("fault feed-garbage on");
  CHECK_FALSE(syncer->run_once(kStart + minutes(1)).ok());
  CHECK_FALSE(syncer->run_once(kStart + minutes(2)).ok());
  CHECK(site.server->garbled() >= 2);
  b.play("wait 1s");
  CHECK(b.events_of(EventKind::sync_failure) == 2);
  CHECK(b.tap() == Reason::ok);  // the last good cache

  // Past max_cache_age_minutes (1440) since the last good sync: the policy's `stale`.
  gate.clock().set_wall(kStart + hours(25));
  CHECK(b.tap() == Reason::cache_stale);  // staff_check: unconfirmed, a deny after 20 s
  b.play("wait 21s");

  b.play("fault feed-garbage off");
  site.feed.now = gate.clock().wall_now();  // a manifest the gate's clock finds current
  site.feed.publish(2, site.records, "", true);
  REQUIRE(syncer->run_once(gate.clock().wall_now()).ok());
  b.play("wait 1s");
  CHECK(b.events_of(EventKind::sync_success) == 2);
  CHECK(b.tap() == Reason::ok);
  auto lines = logs.take();
  CHECK(count(lines, "feed: feed sync refused: manifest.gfd: ") == 1);  // once, not per sync
  CHECK(count(lines, "feed: feed sync: sequence 1 -> 2") == 1);
}

TEST_CASE("fault feed-slow: a sync held up by the server never holds up the loop") {
  feed_site::AllLogs logs;
  Bench b;
  FeedSite site(b);
  auto& gate = start_on_feed(b, site);
  auto* syncer = gate.runtime().syncer();
  syncer->stop();
  b.play("fault feed-slow on");
  gate::Result<gate::feed::SyncOutcome> outcome = gate::make_error(gate::Errc::io_error, "");
  std::thread syncing([&] { outcome = syncer->run_once(kStart + minutes(1)); });
  // Bounded: the server counts the request it holds as soon as it has read it.
  for (int i = 0; i < 1000 && site.server->slowed() == 0; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  CHECK(site.server->slowed() == 1);
  // Taps decided while the sync waits for its answer.
  CHECK(b.tap() == Reason::ok);
  CHECK(b.tap() == Reason::ok);
  CHECK(syncer->status().attempts == 1);  // the slow sync has not ended
  b.play("fault feed-slow off");          // the held answer goes out now
  syncing.join();
  CHECK(outcome.ok());
  b.play("wait 1s");
  CHECK(b.events_of(EventKind::sync_success) == 2);
}

TEST_CASE("fault feed-slow: the syncer gives up at its own timeout, logged once a reason") {
  // Real time here: the HTTPS client's socket timeouts are not on an injected clock, so they are
  // made short (300 ms) and the server holds answers back for 60 s.
  feed_site::AllLogs logs;
  TempDir dir;
  feed_test::TestFeed feed;
  feed.publish(1, "", "", true);
  gate::sim::FeedServerOptions options;
  options.root = feed.path();
  options.ca_cert_path = dir.file("ca.pem");
  auto server = gate::sim::FeedServer::start(options);
  REQUIRE(server.ok());
  gate::sync::FeedSyncerConfig c;
  c.https = gate::test::local_https_config((*server)->base_url(), options.ca_cert_path,
                                           gate::sim::FeedServer::server_name(), seconds(60));
  c.https.io_timeout = milliseconds(300);
  c.cache_path = dir.file("cache.db");
  c.staging_dir = dir.file("staging");
  c.key_state_path = dir.file("feed-key");
  c.configured_key = feed.pub();
  feed_site::StillClock clock(feed.now);
  auto syncer = gate::sync::FeedSyncer::create(c, clock);
  REQUIRE(syncer.ok());
  (*server)->set_fault(gate::sim::FeedFault::slow);
  // Failed, not answered late: the server would have sent the file after 60 s. The first sync
  // times out waiting for the answer; the server's one thread still holds that request, so the
  // next ones time out in the TLS handshake: two reasons in three failed syncs, two lines.
  REQUIRE_FALSE((*syncer)->run_once(feed.now).ok());
  REQUIRE_FALSE((*syncer)->run_once(feed.now).ok());
  REQUIRE_FALSE((*syncer)->run_once(feed.now).ok());
  (*server)->set_fault(gate::sim::FeedFault::none);
  REQUIRE((*syncer)->run_once(feed.now).ok());
  auto lines = logs.take();
  CHECK(count(lines, "feed: feed sync failed: manifest.gfd: waiting for the response head: ") == 1);
  CHECK(count(lines, "feed: feed sync failed: manifest.gfd: tls: handshake ") == 1);
  CHECK(count(lines, "feed: feed sync: sequence 0 -> 1, snapshot") == 1);
}

TEST_CASE("gate-sim run: reader-gone and cache-unreadable in a scenario, with the pn532 reader") {
  // The real program: the records it prints show the decisions and events; the same faults as
  // above, through the board's libnfc driver on the emulator's pty.
  Bench b;
  b.build_cache();
  const std::string scenario = b.dir.file("faults.txt");
  std::ofstream(scenario) << "clock 2022-05-23T05:00:00+08:00\n"
                             "tap "
                          << kGreen
                          << "\npass\n"
                             "fault reader-gone on\nwait 4s\nfault reader-gone off\nwait 5s\n"
                             "clock 2022-05-23T05:30:00+08:00\n"
                             "tap "
                          << kGreen
                          << "\npass\n"
                             "fault cache-unreadable on\nwait 6s\n"
                             "clock 2022-05-23T06:00:00+08:00\n"
                             "tap "
                          << kGreen
                          << "\n"
                             "fault cache-unreadable off\nwait 6s\n"
                             "tap "
                          << kGreen << "\n";
  auto run = gate::test::run_to_end(
      gate::test::gate_sim({"run", "--cache", b.config().cache_path, "--gate", "L1:S07:G03:entry",
                            "--reader", "pn532", "--scenario", scenario}));
  INFO(run.out);
  REQUIRE(run.exit_code == 0);
  std::vector<std::string> seen;  // reasons and events, in order
  std::istringstream lines(run.out);
  for (std::string line; std::getline(lines, line);) {
    for (const char* field : {"\"reason\":\"", "\"event\":\""}) {
      const auto at = line.find(field);
      if (at == std::string::npos) continue;
      const auto from = at + std::strlen(field);
      seen.push_back(line.substr(from, line.find('"', from) - from));
      break;
    }
  }
  // The `clock` lines step past the anti-passback window for the same card: each is a journaled
  // clock_jump (see "Injected faults").
  CHECK(seen == std::vector<std::string>{"startup", "ok", "reader_down", "reader_up", "clock_jump",
                                         "ok", "clock_jump", "out_of_service", "ok"});
}
