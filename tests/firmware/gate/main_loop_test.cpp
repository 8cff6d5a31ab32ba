// The main loop with the real cache and journal on disk and the simulated devices: ordering of
// journal and relay, one tap per presence and hold-off, cards held while the gate is busy, reader
// loss, a missing cache, the watchdog. Time moves only through SimClock. The card and reader cases
// run twice: on the simulated reader, and on the board's libnfc driver reading the PN532
// emulator through libnfc's own pn532_uart driver; the ride-code and scanner cases run on the
// simulated scanner and on the board's serial scanner driver reading the scanner emulator's pty.
#include "firmware/gate/main_loop.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "firmware/store/record_loader.h"
#include "sim/cards/card_factory.h"
#include "sim/gate_sim/sim_gate.h"
#include "tests/firmware/core/trc1_vectors.h"
#include "tests/support/log_capture.h"

using namespace gate;
using namespace std::chrono_literals;

namespace {

// 05:00 on 23 May 2022 in Beijing = 21:00 UTC on the 22nd.
const Instant kFirstTrain = Instant(std::chrono::seconds(1653253200));

constexpr const char* kRecords = R"(
{"type":"policy","id":"l1","effective_from":"2022-05-20T00:00:00+08:00","scope":{"lines":["L1"],"stations":[]},"health_mode":"enforce","not_upgraded":"staff_check","anti_passback_minutes":20}
{"type":"binding","credential":"tu:3105170010170907984","identity":"id-1","media":"card","status":"active","since":"2022-05-17T09:12:00+08:00"}
{"type":"health","identity":"id-1","colour":"green","popup":false,"last_negative_test":null,"as_of":"2022-05-23T04:00:00+08:00"}
{"type":"binding","credential":"tu:3105170020000000012","identity":"id-2","media":"card","status":"active","since":"2022-05-17T09:12:00+08:00"}
{"type":"health","identity":"id-2","colour":"green","popup":false,"last_negative_test":null,"as_of":"2022-05-23T04:00:00+08:00"}
)";

// The demo's ride-code issuer key, and the account of its first code (sim/demo/records.jsonl).
constexpr const char* kRideCodeRecords = R"(
{"type":"issuer_key","issuer_id":1,"key_id":1,"public_key_hex":"04696d724d9ca18306d21e5849dd0b45cdbdad0a5878e8ee1f9679d49d1b524d54bfc64470f942da1519a5fb5dc6ad02f74ef14871c50069c912356f661336fac7","valid_from":"2021-05-23T05:00:00+08:00","valid_until":"2023-05-23T05:00:00+08:00","revoked":false}
{"type":"binding","credential":"qr:100000000001","identity":"id-a10","media":"qr","status":"active","since":"2022-05-18T09:00:00+08:00"}
{"type":"health","identity":"id-a10","colour":"green","popup":false,"last_negative_test":"2022-05-22T21:00:00+08:00","as_of":"2022-05-23T04:00:00+08:00"}
)";
// The demo's first ride code (sim/demo/scenario.txt): account 100000000001, made at the first
// train and valid for 60 s.
const std::string kGreenCode =
    "TRC1:V50W50000N00A79%ETQKCY:IUKCFEJRO0WBEX.HEO2VEGFO2%CARIR *2M1FU+B/M5J66R3P.2L.XN$IU4SR1DJ"
    "TD2YWGWPODRQYD1CTC2N59/OJZO0MU7NGL$94C9LI9I5R17K%SOD98MGLRN6.EJZWHASLA335UMF 0-%8UDEFD9*P4E+"
    "9%FT:1ESG1OY2CNAHD5F45LEPA*8Z2E-OQ5R5XA5I74KSIWNH55AFQ72B0DUP FWNR67-GS4K2MHEB9-UFS$505T:A8K"
    "OMIBBDGCH2LBVC*76P1U/.S16G6%OQXMP+2P4ORQGM09M-IPPV5IDKI7B6ES2";

struct Fixture {
  std::filesystem::path dir;
  app::Config config;
  std::vector<store::JournalEntry> entries;
  std::vector<bool> relay_open_when_journaled;
  std::unique_ptr<sim::SimGate> gate;

  // `reader`: "direct" (the simulated reader) or "pn532" (the board's libnfc driver reading the
  // PN532 emulator through libnfc). `scanner`: "direct" (the simulated scanner) or "serial" (the
  // board's serial driver reading the scanner emulator).
  explicit Fixture(bool with_cache = true, std::string extra_records = "",
                   const std::string& reader = "direct", const std::string& scanner = "direct") {
    dir = std::filesystem::temp_directory_path() /
          ("main-loop-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    config.gate = *core::parse_gate_spec("L1:S07:G03:entry");
    config.cache_path = (dir / "cache.db").string();
    config.journal_path = (dir / "journal.db").string();
    config.reader = reader;
    config.scanner = scanner;
    if (with_cache) {
      std::ofstream(dir / "records.jsonl") << kRecords << extra_records;
      REQUIRE(
          store::load_records_file((dir / "records.jsonl").string(), config.cache_path, kFirstTrain)
              .ok());
    }
    start();
  }
  ~Fixture() {
    gate.reset();
    std::filesystem::remove_all(dir);
  }
  void start() {
    gate.reset();
    auto created = sim::SimGate::create(
        config, kFirstTrain, [this](std::uint64_t, const store::JournalEntry& e) {
          entries.push_back(e);
          relay_open_when_journaled.push_back(gate ? gate->mechanism().relay_open() : false);
        });
    REQUIRE(created.ok());
    gate = std::move(*created);
  }
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::vector<core::DecisionRecord> decisions() const {
    std::vector<core::DecisionRecord> out;
    for (const auto& e : entries) {
      if (const auto* d = std::get_if<core::DecisionRecord>(&e)) out.push_back(*d);
    }
    return out;
  }
  void place(const std::string& key) { gate->field().place_many({sim::make_card_for_key(key)}); }
  void remove_all() { gate->field().remove_all(); }
  // The reader vanishes (down) or comes back: the simulated reader's switch, or the emulated
  // PN532's pty closed and a new one behind the same link.
  void set_reader_down(bool down) {
    if (auto* pn532 = gate->pn532()) {
      if (down) {
        pn532->close();
      } else {
        REQUIRE(pn532->reopen().ok());
      }
    } else {
      gate->reader().set_down(down);
    }
  }
  // How long a reader that came back may take to be used again: at once for the simulated one;
  // the libnfc driver's longest reopen backoff for the PN532.
  Duration recovery() const {
    return gate->pn532() ? Duration(drivers::LibnfcReaderConfig{}.backoff_max) : Duration::zero();
  }
  // The scanner delivers one line: into the simulated scanner's queue, or as the scanner
  // emulator's bytes (CR LF) on the pty the serial driver reads.
  void scan(const std::string& text) {
    if (auto* emulator = gate->scanner_emulator()) {
      REQUIRE(emulator->send_line(text).ok());
    } else {
      gate->scanner().push_line(text);
    }
  }
  // The scanner vanishes (down) or comes back: the simulated scanner's switch, or the scanner
  // emulator's pty closed and a new one behind the same link.
  void set_scanner_down(bool down) {
    if (auto* emulator = gate->scanner_emulator()) {
      if (down) {
        emulator->close();
      } else {
        REQUIRE(emulator->reopen().ok());
      }
    } else {
      gate->scanner().set_down(down);
    }
  }
  // How long a scanner that came back may take to be read again (the serial driver's longest
  // reopen backoff).
  Duration scanner_recovery() const {
    return gate->serial_scanner() ? Duration(drivers::SerialScannerConfig{}.backoff_max)
                                  : Duration::zero();
  }
};

}  // namespace

TEST_CASE("an open decision is journaled before the relay is driven") {
  Fixture f;
  f.place("tu:3105170010170907984");
  REQUIRE(f.gate->step().ok());
  auto d = f.decisions();
  REQUIRE(d.size() == 1);
  CHECK(d[0].decision.reason == core::Reason::ok);
  CHECK(f.relay_open_when_journaled.back() == false);  // the relay moved only after the append
  CHECK(f.gate->mechanism().relay_open());
  CHECK(f.gate->indicator().current().light == hal::Light::green);
}

TEST_CASE("a card held on the reader is one tap, the same card again within hold-off is ignored") {
  auto reader = GENERATE(as<std::string>{}, "direct", "pn532");
  INFO("reader " << reader);
  Fixture f(true, "", reader);
  f.place("tu:3105170020000000012");
  REQUIRE(f.gate->advance(3s).ok());  // held on the reader for 3 s: still one tap
  CHECK(f.decisions().size() == 1);
  f.gate->mechanism().add_passages(1);
  REQUIRE(f.gate->step().ok());
  f.remove_all();
  REQUIRE(f.gate->step().ok());  // off the reader for one poll: a reader sees no shorter absence
  // Presented again 3 s after its read: past the 1.5 s hold-off, a new tap (refused by
  // anti-passback, but decided and recorded).
  f.place("tu:3105170020000000012");
  REQUIRE(f.gate->step().ok());
  CHECK(f.decisions().size() == 2);
  f.remove_all();
  REQUIRE(f.gate->advance(1s).ok());
  // Re-presented 1 s after the previous read: within the hold-off, not a new tap.
  f.place("tu:3105170020000000012");
  REQUIRE(f.gate->step().ok());
  CHECK(f.decisions().size() == 2);
}

TEST_CASE("a card that comes while the gate is open is read once the gate is ready") {
  auto reader = GENERATE(as<std::string>{}, "direct", "pn532");
  INFO("reader " << reader);
  Fixture f(true, "", reader);
  f.place("tu:3105170010170907984");
  REQUIRE(f.gate->step().ok());
  f.remove_all();
  f.place("tu:3105170020000000012");  // the next rider taps while the first is still passing
  REQUIRE(f.gate->advance(100ms).ok());
  CHECK(f.decisions().size() == 1);
  f.gate->mechanism().add_passages(1);
  REQUIRE(f.gate->step().ok());
  REQUIRE(f.decisions().size() == 2);
  CHECK(f.decisions()[1].credential == "tu:3105170020000000012");
  CHECK(f.decisions()[1].decision.reason == core::Reason::ok);
}

TEST_CASE("a card gone before the gate was ready reads as read_error") {
  auto reader = GENERATE(as<std::string>{}, "direct", "pn532");
  INFO("reader " << reader);
  Fixture f(true, "", reader);
  f.place("tu:3105170010170907984");
  REQUIRE(f.gate->step().ok());
  f.remove_all();
  f.place("tu:3105170020000000012");
  REQUIRE(f.gate->step().ok());
  f.remove_all();  // left before the first rider passed
  f.gate->mechanism().add_passages(1);
  REQUIRE(f.gate->step().ok());
  REQUIRE(f.decisions().size() == 2);
  CHECK(f.decisions()[1].decision.reason == core::Reason::read_error);
}

TEST_CASE("reader down: out of service after the grace, back by itself") {
  auto reader = GENERATE(as<std::string>{}, "direct", "pn532");
  INFO("reader " << reader);
  Fixture f(true, "", reader);
  f.set_reader_down(true);
  REQUIRE(f.gate->step().ok());
  CHECK(f.gate->indicator().current() == control::idle_indicator());
  REQUIRE(f.gate->advance(3s - 10ms).ok());
  CHECK(f.gate->indicator().current() == control::idle_indicator());
  REQUIRE(f.gate->advance(10ms).ok());
  CHECK(f.gate->indicator().current() == control::out_of_service_indicator());
  // Codes still get a decision: out_of_service.
  f.gate->scanner().push_line("TRC1:XYZ");
  REQUIRE(f.gate->step().ok());
  REQUIRE(f.decisions().size() == 1);
  CHECK(f.decisions()[0].decision.reason == core::Reason::out_of_service);
  REQUIRE(f.gate->advance(2s).ok());
  f.set_reader_down(false);
  REQUIRE(f.gate->step().ok());
  REQUIRE(f.gate->advance(f.recovery()).ok());
  CHECK(f.gate->indicator().current() == control::idle_indicator());
  // And it reads cards again.
  f.place("tu:3105170010170907984");
  REQUIRE(f.gate->step().ok());
  REQUIRE(f.decisions().size() == 2);
  CHECK(f.decisions()[1].decision.reason == core::Reason::ok);
  int down = 0, up = 0;
  for (const auto& e : f.entries) {
    if (const auto* ev = std::get_if<core::GateEvent>(&e)) {
      down += ev->kind == core::EventKind::reader_down;
      up += ev->kind == core::EventKind::reader_up;
    }
  }
  CHECK(down == 1);  // logged and recorded once, not once per poll
  CHECK(up == 1);
}

TEST_CASE("without a usable cache the gate is out of service and says so") {
  Fixture f(false);
  CHECK(f.gate->indicator().current() == control::out_of_service_indicator());
  f.place("tu:3105170010170907984");
  REQUIRE(f.gate->step().ok());
  REQUIRE(f.decisions().size() == 1);
  CHECK(f.decisions()[0].decision.reason == core::Reason::out_of_service);
  CHECK(f.decisions()[0].decision.outcome == core::Outcome::deny);
  CHECK_FALSE(f.gate->mechanism().relay_open());
}

TEST_CASE("a code scanned while staff are checking is held and decided afterwards") {
  Fixture f;
  f.place("tu:3105170080000000018");  // not upgraded: policy says staff_check
  REQUIRE(f.gate->step().ok());
  f.remove_all();
  REQUIRE(f.decisions().back().decision.outcome == core::Outcome::staff_check);
  f.gate->scanner().push_line("not a code");
  REQUIRE(f.gate->advance(1s).ok());
  CHECK(f.decisions().size() == 1);
  REQUIRE(f.gate->advance(20s).ok());  // staff never came: deny, then the held line is decided
  REQUIRE(f.decisions().size() == 2);
  CHECK(f.decisions()[1].decision.reason == core::Reason::code_malformed);
}

TEST_CASE("the loop kicks the watchdog every iteration, a stalled loop lets it expire") {
  Fixture f;
  std::size_t before = f.gate->watchdog().kicks();
  REQUIRE(f.gate->advance(1s).ok());
  CHECK(f.gate->watchdog().kicks() >= before + 100);  // every 10 ms step
  CHECK_FALSE(f.gate->watchdog().expired());
  f.gate->clock().advance(f.config.watchdog_timeout + 1ms);  // time passes, the loop does not run
  CHECK(f.gate->watchdog().expired());
}

TEST_CASE("the anti-passback memory is rebuilt from the journal at start-up") {
  Fixture f;
  f.place("tu:3105170010170907984");
  REQUIRE(f.gate->step().ok());
  f.remove_all();
  f.start();  // a restart on the same journal and cache
  f.gate->clock().advance(10min);
  f.place("tu:3105170010170907984");
  REQUIRE(f.gate->step().ok());
  CHECK(f.decisions().back().decision.reason == core::Reason::already_inside);
}

TEST_CASE("a cache not synced for longer than the policy allows gives cache_stale") {
  // Synced at the first train; the station's policy allows 60 minutes, then a staff check.
  Fixture f(true, R"({"type":"policy","id":"s07","effective_from":"2022-05-20T00:00:00+08:00",)"
                  R"("scope":{"lines":[],"stations":["S07"]},"health_mode":"enforce",)"
                  R"("max_cache_age_minutes":60,"stale":"staff_check"})"
                  "\n");
  f.gate->clock().advance(60min);
  f.place("tu:3105170010170907984");
  REQUIRE(f.gate->step().ok());
  CHECK(f.decisions().back().decision.reason == core::Reason::ok);  // exactly 60 min: not older
  f.remove_all();
  f.gate->mechanism().add_passages(1);
  f.gate->clock().advance(1s);
  f.place("tu:3105170020000000012");
  REQUIRE(f.gate->step().ok());
  CHECK(f.decisions().back().decision.reason == core::Reason::cache_stale);
  CHECK(f.decisions().back().decision.outcome == core::Outcome::staff_check);
}

TEST_CASE(
    "anti-passback holds for ride-code accounts: a second code of the same account is refused") {
  // The public vectors' replay stream: three valid codes of one install (account 100000000001,
  // issuer 1 key 1), generated seconds apart. Two people sharing the account (or one screenshot
  // each of consecutive codes) get one entry.
  Fixture f(true, kRideCodeRecords);
  core::test::Trc1Vectors v = core::test::load_trc1_vectors();
  REQUIRE(v.replay_stream.size() == 5);
  const core::test::Trc1Case& first = v.replay_stream[0];
  const core::test::Trc1Case& later = v.replay_stream[2];  // another code, same account
  REQUIRE(later.expect == "ok");
  f.gate->clock().set_wall(first.now);
  f.gate->scanner().push_line(first.text);
  REQUIRE(f.gate->step().ok());
  REQUIRE(f.decisions().size() == 1);
  CHECK(f.decisions()[0].decision.reason == core::Reason::ok);
  f.gate->mechanism().add_passages(1);
  REQUIRE(f.gate->step().ok());
  f.gate->clock().set_wall(later.now);
  f.gate->scanner().push_line(later.text);
  REQUIRE(f.gate->step().ok());
  REQUIRE(f.decisions().size() == 2);
  CHECK(f.decisions()[1].credential == "qr:100000000001");
  CHECK(f.decisions()[1].decision.reason == core::Reason::already_inside);
}

TEST_CASE("a ride code gets the same decision through the serial scanner as through direct") {
  auto scanner = GENERATE(as<std::string>{}, "direct", "serial");
  INFO("scanner " << scanner);
  Fixture f(true, kRideCodeRecords, "direct", scanner);
  REQUIRE(f.gate->advance(4s).ok());
  f.scan(kGreenCode);
  REQUIRE(f.gate->step().ok());
  auto d = f.decisions();
  REQUIRE(d.size() == 1);  // decided in the step right after the scan
  CHECK(d[0].credential == "qr:100000000001");
  CHECK(d[0].decision.media == core::Media::qr);
  CHECK(d[0].decision.outcome == core::Outcome::open);
  CHECK(d[0].decision.reason == core::Reason::ok);
  CHECK(f.gate->mechanism().relay_open());
  f.gate->mechanism().add_passages(1);
  REQUIRE(f.gate->advance(1s).ok());
  // Bytes that are no code (NUL, non-ASCII) reach the verifier as they are: code_malformed.
  f.scan(std::string("TRC1:\0\xff\x80V50", 11));
  REQUIRE(f.gate->step().ok());
  REQUIRE(f.decisions().size() == 2);
  CHECK(f.decisions()[1].decision.reason == core::Reason::code_malformed);
}

TEST_CASE("scanner down: logged once, nothing journaled, cards still work, codes again when back") {
  auto scanner = GENERATE(as<std::string>{}, "direct", "serial");
  INFO("scanner " << scanner);
  test::LogCapture logs;
  Fixture f(true, kRideCodeRecords, "direct", scanner);
  REQUIRE(f.gate->step().ok());
  const std::size_t entries = f.entries.size();
  f.set_scanner_down(true);
  REQUIRE(f.gate->advance(5s).ok());  // longer than reader_down_grace
  CHECK(f.entries.size() == entries);
  CHECK(f.gate->indicator().current() == control::idle_indicator());  // still in service
  f.place("tu:3105170010170907984");
  REQUIRE(f.gate->step().ok());
  REQUIRE(f.decisions().size() == 1);
  CHECK(f.decisions()[0].decision.reason == core::Reason::ok);
  f.remove_all();
  f.gate->mechanism().add_passages(1);
  REQUIRE(f.gate->step().ok());
  f.set_scanner_down(false);
  REQUIRE(f.gate->advance(f.scanner_recovery() + 10ms).ok());
  f.scan(kGreenCode);
  REQUIRE(f.gate->step().ok());
  REQUIRE(f.decisions().size() == 2);
  CHECK(f.decisions()[1].credential == "qr:100000000001");
  CHECK(f.decisions()[1].decision.reason == core::Reason::ok);
  auto down = logs.messages(LogLevel::error, "gate");
  REQUIRE(down.size() == 1);  // once, not once per iteration
  CHECK(down[0].find("code scanner down") != std::string::npos);
  auto back = logs.messages(LogLevel::info, "gate");
  REQUIRE(back.size() == 1);
  CHECK(back[0].find("code scanner back") != std::string::npos);
}

TEST_CASE("the simulator refuses a scanner it does not have, naming the ones it has") {
  Fixture f;
  f.config.scanner = "usb";
  auto created = sim::SimGate::create(f.config, kFirstTrain, {});
  REQUIRE_FALSE(created.ok());
  CHECK(created.error().code == Errc::invalid_argument);
  CHECK(created.error().message.find("`direct` and `serial`") != std::string::npos);
}
