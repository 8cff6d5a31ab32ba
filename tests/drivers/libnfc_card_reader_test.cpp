// LibnfcCardReader through the real libnfc (pn532_uart driver, unmodified) and a real pty, against
// the PN532 emulator. Presence rules, the card profiles over InDataExchange, faulty cards, a card
// leaving mid-exchange, reader loss and recovery, and interrupt() during a poll.
#include "drivers/libnfc_card_reader.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <thread>

#include "firmware/core/card_profile.h"
#include "sim/cards/card_factory.h"
#include "sim/cards/faulty_card.h"
#include "sim/devices/sim_clock.h"
#include "sim/pn532/pn532_emulator.h"
#include "tests/support/temp_dir.h"

namespace gate::drivers {
namespace {

using namespace std::chrono_literals;
using Kind = hal::CardPresence::Kind;

constexpr const char* kTu = "tu:3105170010170907984";
constexpr const char* kBj = "bj:0123456789abcdef";
constexpr const char* kM1 = "m1:0a1b2c3d";

struct Rig {
  test::TempDir dir;
  sim::SimClock clock{Instant(std::chrono::seconds(1653253200))};
  std::unique_ptr<sim::Pn532Emulator> pn532;
  std::unique_ptr<LibnfcCardReader> reader;

  Rig() {
    auto e = sim::Pn532Emulator::start(dir.file("pn532"));
    REQUIRE(e.ok());
    pn532 = std::move(*e);
    LibnfcReaderConfig config;
    config.connstring = pn532->connstring();
    auto r = LibnfcCardReader::create(clock, config);
    REQUIRE(r.ok());
    reader = std::move(*r);
  }

  // One pass (poll with no wait), which must succeed.
  hal::CardPresence pass() {
    auto p = reader->poll(0ms);
    INFO((p.ok() ? std::string("ok") : p.error().message));
    REQUIRE(p.ok());
    return *p;
  }
  std::variant<core::CardData, core::Reason> read(const hal::CardPresence& p) {
    return core::read_card(p.target, *reader);
  }
  // A whole tap: the card enters, is found alone and read; then it leaves and is gone. Returns
  // what the read gave (credential_of).
  std::string tap(std::shared_ptr<sim::EmulatedCard> card);
};

std::string credential_of(const std::variant<core::CardData, core::Reason>& r) {
  const auto* card = std::get_if<core::CardData>(&r);
  return card ? card->credential
              : std::string("reason:") + std::string(core::reason_name(std::get<core::Reason>(r)));
}

std::string Rig::tap(std::shared_ptr<sim::EmulatedCard> card) {
  pn532->place(std::move(card));
  hal::CardPresence p = pass();
  REQUIRE(p.kind == Kind::one);
  std::string got = credential_of(read(p));
  pn532->remove_all();
  CHECK(pass().kind == Kind::none);
  return got;
}

TEST_CASE(
    "libnfc: a T-Union card is reported once, read through the profile, and held is one tap") {
  Rig rig;
  CHECK(rig.pass().kind == Kind::none);
  rig.pn532->place(sim::make_card_for_key(kTu));
  hal::CardPresence p = rig.pass();
  REQUIRE(p.kind == Kind::one);
  CHECK(p.target.iso14443_4);
  CHECK(credential_of(rig.read(p)) == kTu);
  // Still on the reader: no new presence, however often it is polled.
  for (int i = 0; i < 5; ++i) CHECK(rig.pass().kind == Kind::none);
  rig.pn532->remove_all();
  CHECK(rig.pass().kind == Kind::none);
  rig.pn532->place(sim::make_card_for_key(kTu));
  CHECK(rig.pass().kind == Kind::one);
}

TEST_CASE("libnfc: Beijing and MIFARE Classic cards read as their keys") {
  Rig rig;
  for (const char* key : {kBj, kM1}) CHECK(rig.tap(sim::make_card_for_key(key)) == key);
}

TEST_CASE("libnfc: two cards are multiple_cards once, the one left alone is then read") {
  Rig rig;
  auto a = sim::make_card_for_key(kTu);
  auto b = sim::make_card_for_key(kBj);
  rig.pn532->place_many({a, b});
  CHECK(rig.pass().kind == Kind::multiple);
  CHECK(rig.pass().kind == Kind::none);  // the same two: not reported again
  rig.pn532->remove(b);
  hal::CardPresence p = rig.pass();
  REQUIRE(p.kind == Kind::one);
  CHECK(credential_of(rig.read(p)) == kTu);
}

TEST_CASE("libnfc: every faulty card is read_error, and the next tap reads fine") {
  using sim::FaultMode;
  Rig rig;
  for (FaultMode mode : {FaultMode::garbage, FaultMode::wrong_status, FaultMode::short_reply,
                         FaultMode::silent_after, FaultMode::leaves_field_after,
                         FaultMode::malformed_fci, FaultMode::invalid_bcd_number}) {
    CAPTURE(static_cast<int>(mode));
    CHECK(rig.tap(std::make_shared<sim::FaultyCard>(mode, 1)) == "reason:read_error");
    CHECK(rig.tap(sim::make_card_for_key(kTu)) == kTu);
  }
}

TEST_CASE("libnfc: a card gone between detection and its APDUs is read_error, not a crash") {
  Rig rig;
  rig.pn532->place(sim::make_card_for_key(kTu));
  hal::CardPresence p = rig.pass();
  REQUIRE(p.kind == Kind::one);
  rig.pn532->remove_all();
  CHECK(credential_of(rig.read(p)) == "reason:read_error");
  CHECK(rig.pass().kind == Kind::none);
  CHECK(rig.reader->device_open());
}

TEST_CASE("libnfc: a vanished reader is device_lost, and it comes back by itself") {
  Rig rig;
  CHECK(rig.pass().kind == Kind::none);
  rig.pn532->close();
  auto lost = rig.reader->poll(0ms);
  REQUIRE_FALSE(lost.ok());
  CHECK(lost.error().code == Errc::device_lost);
  CHECK_FALSE(rig.reader->device_open());
  // Reopen attempts back off on the injected clock: none is made before it has moved.
  auto again = rig.reader->poll(0ms);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == Errc::device_lost);
  REQUIRE(rig.pn532->reopen().ok());
  rig.pn532->place(sim::make_card_for_key(kTu));
  rig.clock.advance(std::chrono::seconds(10));
  hal::CardPresence p = rig.pass();
  CHECK(rig.reader->device_open());
  REQUIRE(p.kind == Kind::one);
  CHECK(credential_of(rig.read(p)) == kTu);
}

// Runs a long poll on another thread, interrupts it once the emulator has seen `seen` hold, and
// returns how long the poll took from the interrupt.
std::chrono::steady_clock::duration interrupted_poll(
    Rig& rig, const std::function<bool(const sim::Pn532Counters&)>& seen) {
  bool found_card = true;
  std::thread poller([&] {
    auto r = rig.reader->poll(std::chrono::seconds(30));
    found_card = r.ok() && r->kind != Kind::none;
  });
  bool got_there = rig.pn532->wait_for(seen, std::chrono::seconds(10));
  auto interrupted_at = std::chrono::steady_clock::now();
  rig.reader->interrupt();
  poller.join();
  auto took = std::chrono::steady_clock::now() - interrupted_at;
  REQUIRE(got_there);
  CHECK_FALSE(found_card);
  return took;
}

TEST_CASE("libnfc: shutdown during a long poll of an empty field ends it within one pass") {
  Rig rig;
  CHECK(rig.pass().kind == Kind::none);
  std::size_t before = rig.pn532->counters().frames_received;
  auto took = interrupted_poll(rig, [&](const sim::Pn532Counters& c) {
    return c.frames_received > before + 20;  // several passes into a 30 s poll
  });
  CHECK(took < libnfc_pass_bound(LibnfcReaderConfig{}));
  // Interrupted for good: a later poll returns at once instead of waiting its timeout.
  auto again_at = std::chrono::steady_clock::now();
  (void)rig.reader->poll(std::chrono::seconds(30));
  CHECK(std::chrono::steady_clock::now() - again_at < libnfc_pass_bound(LibnfcReaderConfig{}));
}

TEST_CASE("libnfc: shutdown while a hung chip holds a command ends the poll within the bound") {
  Rig rig;
  CHECK(rig.pass().kind == Kind::none);
  rig.pn532->set_hung(true);
  auto took =
      interrupted_poll(rig, [](const sim::Pn532Counters& c) { return c.commands_hung > 0; });
  CHECK(took < libnfc_pass_bound(LibnfcReaderConfig{}));
}

TEST_CASE("libnfc: a hung chip is a lost reader, reopened once it answers again") {
  Rig rig;
  CHECK(rig.pass().kind == Kind::none);
  rig.pn532->set_hung(true);
  auto hung = rig.reader->poll(0ms);
  REQUIRE_FALSE(hung.ok());
  CHECK(hung.error().code == Errc::device_lost);
  rig.pn532->set_hung(false);
  rig.pn532->place(sim::make_card_for_key(kTu));
  rig.clock.advance(std::chrono::seconds(10));
  hal::CardPresence p = rig.pass();
  REQUIRE(p.kind == Kind::one);
  CHECK(credential_of(rig.read(p)) == kTu);
}

}  // namespace
}  // namespace gate::drivers
