// Tests sim/pn532/pn532_initiator and pn532_field: the reader-mode commands over emulated cards
// (InListPassiveTarget, InAutoPoll, InDataExchange, InCommunicateThru, InSelect, InDeselect,
// InRelease), driven by the byte frames a host writes. Expected replies are from the PN532 user
// manual (UM0701 §7.3) and from what libnfc 1.8's pn53x.c sends and decodes.
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <utility>
#include <vector>

#include "sim/cards/card_factory.h"
#include "sim/cards/faulty_card.h"
#include "sim/cards/mifare_classic_card.h"
#include "sim/pn532/pn532_commands.h"
#include "tests/sim/pn532_host_frames.h"

namespace gate::sim::pn532 {
namespace {

using namespace std::chrono_literals;
using namespace test;

TEST_CASE("pn532 initiator: InListPassiveTarget reports the manual's MIFARE 1K example") {
  CommandHandler chip;
  chip.field().place(std::make_shared<MifareClassicCard>(hal::Bytes{0x92, 0x2E, 0x58, 0x32}));
  // D4 4A 01 00 -> D5 4B 01 | 01 00 04 08 04 92 2E 58 32 (Tg, SENS_RES, SEL_RES, NFCID1).
  CHECK(answer(chip, {0x00, 0x00, 0xFF, 0x04, 0xFC, 0xD4, 0x4A, 0x01, 0x00, 0xE1, 0x00}) ==
        hal::Bytes{0x00, 0x00, 0xFF, 0x0C, 0xF4, 0xD5, 0x4B, 0x01, 0x01, 0x00, 0x04, 0x08, 0x04,
                   0x92, 0x2E, 0x58, 0x32, 0x84, 0x00});
}

TEST_CASE("pn532 initiator: InListPassiveTarget with no card, one and two T-Union cards") {
  CommandHandler chip;
  REQUIRE(answer(chip, kOneTry) ==
          hal::Bytes{0x00, 0x00, 0xFF, 0x02, 0xFE, 0xD5, 0x33, 0xF8, 0x00});
  CHECK(reply_data(chip, {0x4A, 0x01, 0x00}) == hal::Bytes{0x4B, 0x00});

  auto first = tunion();
  auto second = tunion("tu:3105170010170907985");
  chip.field().place(first);
  const hal::Bytes uid1 = first->target().uid;
  REQUIRE(uid1.size() == 4);
  // SENS_RES 00 04 (libnfc prints it as "ATQA (SENS_RES): 00  04"), SEL_RES 20, then the ATS.
  CHECK(reply_data(chip, {0x4A, 0x01, 0x00}) ==
        concat({{0x4B, 0x01, 0x01, 0x00, 0x04, 0x20, 0x04}, uid1, kAts}));

  chip.field().place(second);
  const hal::Bytes uid2 = second->target().uid;
  CHECK(reply_data(chip, {0x4A, 0x02, 0x00}) == concat({{0x4B, 0x02, 0x01, 0x00, 0x04, 0x20, 0x04},
                                                        uid1,
                                                        kAts,
                                                        {0x02, 0x00, 0x04, 0x20, 0x04},
                                                        uid2,
                                                        kAts}));
  // MaxTg 1 with two cards: one target, Tg 1.
  CHECK(reply_data(chip, {0x4A, 0x01, 0x00})[1] == 0x01);
}

TEST_CASE("pn532 initiator: libnfc lists two cards one by one, as InDeselect halts each") {
  CommandHandler chip;
  answer(chip, kOneTry);
  auto a = tunion();
  auto b = tunion("tu:3105170010170907985");
  chip.field().place(a);
  chip.field().place(b);
  auto first = reply_data(chip, {0x4A, 0x01, 0x00});
  CHECK(hal::Bytes(first.begin() + 7, first.begin() + 11) == a->target().uid);
  CHECK(reply_data(chip, {0x44, 0x00}) == hal::Bytes{0x45, 0x00});
  auto second = reply_data(chip, {0x4A, 0x01, 0x00});
  CHECK(hal::Bytes(second.begin() + 7, second.begin() + 11) == b->target().uid);
  CHECK(reply_data(chip, {0x44, 0x00}) == hal::Bytes{0x45, 0x00});
  CHECK(reply_data(chip, {0x4A, 0x01, 0x00}) == hal::Bytes{0x4B, 0x00});
  // Selecting by UID reaches a halted card (WUPA); so does cycling the RF field.
  CHECK(reply_data(chip, concat({{0x4A, 0x01, 0x00}, a->target().uid}))[1] == 0x01);
  CHECK(reply_data(chip, {0x32, 0x01, 0x00}) == hal::Bytes{0x33});
  CHECK(reply_data(chip, {0x32, 0x01, 0x01}) == hal::Bytes{0x33});
  CHECK(reply_data(chip, {0x4A, 0x02, 0x00})[1] == 0x02);
}

TEST_CASE("pn532 initiator: with endless retries InListPassiveTarget waits for a card") {
  CommandHandler chip;  // MxRtyPassiveActivation is FF at power-on
  CHECK(answer(chip, encode_info_frame(kTfiHostToChip, hal::Bytes{0x4A, 0x01, 0x00})).empty());
  REQUIRE(chip.waiting());
  CHECK_FALSE(chip.deadline());
  CHECK(chip.resume(kT0 + 1h).kind == CommandResult::Kind::waiting);
  auto card = tunion();
  chip.field().place(card);
  CommandResult done = chip.resume(kT0 + 2h);
  REQUIRE(done.kind == CommandResult::Kind::reply);
  CHECK(done.output ==
        concat({{0x4B, 0x01, 0x01, 0x00, 0x04, 0x20, 0x04}, card->target().uid, kAts}));
  CHECK_FALSE(chip.waiting());

  // The host aborts a waiting command.
  chip.field().remove_all();
  answer(chip, encode_info_frame(kTfiHostToChip, hal::Bytes{0x4A, 0x01, 0x00}));
  REQUIRE(chip.waiting());
  chip.cancel();
  CHECK_FALSE(chip.waiting());
}

TEST_CASE("pn532 initiator: InDataExchange passes the APDU to a T-Union card") {
  CommandHandler chip;
  answer(chip, kOneTry);
  auto card = tunion();
  chip.field().place(card);
  REQUIRE(reply_data(chip, {0x4A, 0x01, 0x00})[1] == 0x01);
  hal::Bytes reply = reply_data(chip, concat({{0x40, 0x01}, kSelectTunion}));
  REQUIRE(reply.size() > 4);
  CHECK(reply[0] == 0x41);
  CHECK(reply[1] == 0x00);  // status: success
  CHECK(reply[2] == 0x6F);  // FCI template
  CHECK(hal::Bytes(reply.end() - 2, reply.end()) == hal::Bytes{0x90, 0x00});
  // Target 2 does not exist: command not acceptable in this context.
  CHECK(reply_data(chip, concat({{0x40, 0x02}, kSelectTunion})) == hal::Bytes{0x41, 0x27});
  // Once the card left the field nothing answers: timeout.
  chip.field().remove(card);
  CHECK(reply_data(chip, concat({{0x40, 0x01}, kSelectTunion})) == hal::Bytes{0x41, 0x01});
}

TEST_CASE("pn532 initiator: a faulty card that falls silent or leaves gives status 01 (timeout)") {
  auto mode = GENERATE(FaultMode::silent_after, FaultMode::leaves_field_after);
  CommandHandler chip;
  answer(chip, kOneTry);
  chip.field().place(std::make_shared<FaultyCard>(mode, 1));
  REQUIRE(reply_data(chip, {0x4A, 0x01, 0x00})[1] == 0x01);
  hal::Bytes good = reply_data(chip, concat({{0x40, 0x01}, kSelectTunion}));
  CHECK(hal::Bytes(good.begin(), good.begin() + 2) == hal::Bytes{0x41, 0x00});
  CHECK(reply_data(chip, {0x40, 0x01, 0x00, 0xB0, 0x95, 0x00, 0x00}) == hal::Bytes{0x41, 0x01});
}

TEST_CASE("pn532 initiator: a MIFARE Classic card does not answer an APDU") {
  CommandHandler chip;
  answer(chip, kOneTry);
  chip.field().place(make_card_for_key("m1:04a1b2c3"));
  auto listed = reply_data(chip, {0x4A, 0x01, 0x00});
  CHECK(listed == hal::Bytes{0x4B, 0x01, 0x01, 0x00, 0x04, 0x08, 0x04, 0x04, 0xA1, 0xB2, 0xC3});
  CHECK(reply_data(chip, concat({{0x40, 0x01}, kSelectTunion})) == hal::Bytes{0x41, 0x01});
}

TEST_CASE("pn532 initiator: without automatic RATS an ISO 14443-4 card needs RATS sent through") {
  CommandHandler chip;
  answer(chip, kOneTry);
  CHECK(reply_data(chip, {0x12, 0x04}) == hal::Bytes{0x13});  // SetParameters: no fAutomaticRATS
  auto card = tunion();
  chip.field().place(card);
  CHECK(reply_data(chip, {0x4A, 0x01, 0x00}) ==
        concat({{0x4B, 0x01, 0x01, 0x00, 0x04, 0x20, 0x04}, card->target().uid}));
  CHECK(reply_data(chip, concat({{0x40, 0x01}, kSelectTunion})) == hal::Bytes{0x41, 0x01});
  // InCommunicateThru: RATS (E0 50) gets the ATS; then an I-block (PCB 02) carries the APDU.
  CHECK(reply_data(chip, {0x42, 0xE0, 0x50}) == concat({{0x43, 0x00}, kAts}));
  hal::Bytes reply = reply_data(chip, concat({{0x42, 0x02}, kSelectTunion}));
  CHECK(hal::Bytes(reply.begin(), reply.begin() + 3) == hal::Bytes{0x43, 0x00, 0x02});
  CHECK(hal::Bytes(reply.end() - 2, reply.end()) == hal::Bytes{0x90, 0x00});
  // S(DESELECT) is answered and halts the card.
  CHECK(reply_data(chip, {0x42, 0xC2}) == hal::Bytes{0x43, 0x00, 0xC2});
  CHECK(reply_data(chip, {0x4A, 0x01, 0x00}) == hal::Bytes{0x4B, 0x00});
}

TEST_CASE("pn532 initiator: InAutoPoll finds up to two cards, or answers none at its deadline") {
  CommandHandler chip;
  // libnfc's nfc_initiator_poll_target: PollNr 20, Period 2, types 20 (ISO 14443-4A) and 10.
  const hal::Bytes poll{0x60, 0x14, 0x02, 0x20, 0x10};
  CHECK(reply_data(chip, poll).empty());
  REQUIRE(chip.deadline());
  CHECK(*chip.deadline() == kT0 + 20 * 2 * 2 * 150ms);
  CHECK(chip.resume(kT0 + 1s).kind == CommandResult::Kind::waiting);
  CommandResult none = chip.resume(kT0 + 12s);
  REQUIRE(none.kind == CommandResult::Kind::reply);
  CHECK(none.output == hal::Bytes{0x61, 0x00});

  auto card = tunion();
  auto classic = make_card_for_key("m1:04a1b2c3");
  chip.field().place(card);
  chip.field().place(classic);
  const hal::Bytes data1 = concat({{0x01, 0x00, 0x04, 0x20, 0x04}, card->target().uid, kAts});
  const hal::Bytes data2{0x02, 0x00, 0x04, 0x08, 0x04, 0x04, 0xA1, 0xB2, 0xC3};
  CHECK(reply_data(chip, poll) ==
        concat({{0x61, 0x02, 0x20, static_cast<std::uint8_t>(data1.size())},
                data1,
                {0x10, static_cast<std::uint8_t>(data2.size())},
                data2}));
}

TEST_CASE("pn532 initiator: a reply longer than 262 bytes comes in parts flagged MI") {
  // A card whose reply to anything is 300 bytes and 90 00.
  class Talkative final : public EmulatedCard {
   public:
    hal::CardTarget target() const override { return {{0x08, 1, 2, 3}, 0x0004, 0x20, true}; }
    Result<hal::Bytes> respond(std::span<const std::uint8_t> apdu) override {
      received.assign(apdu.begin(), apdu.end());
      hal::Bytes reply(302, 0xAB);
      reply[300] = 0x90;
      reply[301] = 0x00;
      return reply;
    }
    hal::Bytes received;
  };
  CommandHandler chip;
  answer(chip, kOneTry);
  auto card = std::make_shared<Talkative>();
  chip.field().place(card);
  REQUIRE(reply_data(chip, {0x4A, 0x01, 0x00})[1] == 0x01);
  // The host chains its own APDU with MI (Tg | 0x40): the chip collects the parts.
  CHECK(reply_data(chip, {0x40, 0x41, 0x00, 0xA4}) == hal::Bytes{0x41, 0x00});
  hal::Bytes first = reply_data(chip, {0x40, 0x01, 0x04, 0x00});
  CHECK(card->received == hal::Bytes{0x00, 0xA4, 0x04, 0x00});
  REQUIRE(first.size() == 2 + 262);
  CHECK(first[1] == 0x40);
  hal::Bytes rest = reply_data(chip, {0x40, 0x01});
  REQUIRE(rest.size() == 2 + 40);
  CHECK(rest[1] == 0x00);
  CHECK(hal::Bytes(rest.end() - 2, rest.end()) == hal::Bytes{0x90, 0x00});
}

}  // namespace
}  // namespace gate::sim::pn532
