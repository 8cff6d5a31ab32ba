// The main loop's test fixture: the real cache and journal in a temporary directory, the
// simulator's devices (sim::SimGate) and every journaled entry as the observer saw it, with the
// relay's state at that moment. Shared by the loop's tests (main_loop_test.cpp) and its faults'
// (main_loop_faults_test.cpp). Time moves only through SimClock.
#pragma once

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "firmware/store/record_loader.h"
#include "sim/cards/card_factory.h"
#include "sim/gate_sim/sim_gate.h"

namespace gate::test {

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

}  // namespace gate::test
