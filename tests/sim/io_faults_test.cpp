// The injected faults of the gate's devices and files (sim/gate_sim/io_faults.h), each through
// SimGate::play as a scenario plays it: the defined behaviour while the fault lasts (decisions.md
// row 2 out of service, or cards still deciding when only the scanner is gone), the display, one
// log line when it starts and one when it clears, and the recovery the gate makes by itself.
// Time is the simulator's clock; the only real waits are the PN532 and scanner drivers' own
// reopening of a pty, and (with a feed) the sync thread's rebuild, each bounded.
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <memory>

#include "firmware/gate/gate_controller.h"
#include "firmware/store/iso_time.h"
#include "firmware/store/record_loader.h"
#include "sim/gate_sim/sim_gate.h"
#include "tests/firmware/sync/feed_sync_site.h"
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
  return static_cast<std::size_t>(std::count_if(lines.begin(), lines.end(), [&](const auto& l) {
    return l.rfind(prefix, 0) == 0;
  }));
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
          if (auto* d = std::get_if<gate::core::DecisionRecord>(&e)) reasons.push_back(d->decision.reason);
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
  // Taps `key` half an hour after the last tap (the demo's anti-passback window is 20 minutes) and
  // past the loop's hold-off for a credential seen again; the reason of the one decision it made.
  Reason tap(const std::string& key = kGreen) {
    play("wait 2s");
    gate_->clock().set_wall(gate_->clock().wall_now() + minutes(30));
    const std::size_t before = reasons.size();
    play("tap " + key);
    REQUIRE(reasons.size() == before + 1);
    if (reasons.back() == Reason::ok) play("pass");
    return reasons.back();
  }
  bool out_of_service() const {
    return gate_->indicator().current().text_en == gate::control::out_of_service_indicator().text_en;
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

TEST_CASE("fault cache-corrupt without a feed: out of service, the file kept aside, a new cache "
          "installed is taken up") {
  feed_site::AllLogs logs;
  Bench b;
  b.build_cache();
  b.start();
  CHECK(b.tap() == Reason::ok);
  logs.take();
  b.play("fault cache-corrupt on");
  b.play("fault cache-corrupt off");  // nothing to undo
  CHECK(b.tap() == Reason::out_of_service);  // the tap met the damage
  b.play("wait 1s");
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
  CHECK(count(lines, "validator: cache read failing") == 1);
  CHECK(count(lines, "app: cache damaged, gate out of service") == 1);
  CHECK(count(lines, "app: damaged cache kept as ") == 1);
  CHECK(count(lines, "app: cache readable, gate back in service") == 1);
}
