// The emulated cards of sim/cards: byte-exact against spec/cards.md, read through read_card, and
// each fault mode as documented in faulty_card.h.
#include <catch2/catch.hpp>
#include <set>

#include "firmware/core/card_profile.h"
#include "sim/cards/beijing_card.h"
#include "sim/cards/card_factory.h"
#include "sim/cards/faulty_card.h"
#include "sim/cards/mifare_classic_card.h"
#include "sim/cards/tunion_card.h"
#include "sim/cards/unsupported_card.h"

namespace gate::sim {
namespace {

using namespace std::chrono_literals;
using core::CardData;
using core::Reason;

hal::Bytes hex(std::string_view text) {
  hal::Bytes out;
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    out.push_back(
        static_cast<std::uint8_t>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
    i += 2;
  }
  return out;
}

// An ApduChannel to one emulated card, recording what was sent.
class CardChannel final : public hal::ApduChannel {
 public:
  explicit CardChannel(EmulatedCard& card) : card_(card) {}
  std::vector<hal::Bytes> sent;

 private:
  Result<hal::Bytes> do_transceive(std::span<const std::uint8_t> command,
                                   std::chrono::milliseconds) override {
    sent.emplace_back(command.begin(), command.end());
    return card_.respond(command);
  }
  EmulatedCard& card_;
};

struct Read {
  std::variant<CardData, Reason> result;
  std::vector<hal::Bytes> sent;
};

// One presence of `card`: enters the field, then read_card.
Read tap(EmulatedCard& card) {
  card.enter_field();
  CardChannel channel(card);
  auto result = core::read_card(card.target(), channel);
  return {std::move(result), std::move(channel.sent)};
}

const CardData& data_of(const Read& r) {
  REQUIRE(std::holds_alternative<CardData>(r.result));
  return std::get<CardData>(r.result);
}
Reason reason_of(const Read& r) {
  return std::holds_alternative<Reason>(r.result) ? std::get<Reason>(r.result) : Reason::ok;
}

const hal::Bytes kSelectTu = hex("00 A4 04 00 08 A0 00 00 06 32 01 01 05 00");
const hal::Bytes kReadTu = hex("00 B0 95 00 00");
const hal::Bytes kBalance = hex("80 5C 00 02 04");
const hal::Bytes kSelectMf = hex("00 A4 00 00 02 3F 00 00");
const hal::Bytes kReadBj = hex("00 B0 84 00 00");

TUnionCard spec_card(TUnionCardOptions options = {}) {
  return TUnionCard("3105170010170907984", 2019y / 8 / 6, 2040y / 12 / 31, 2850, options);
}

void check_spec_card(const Read& r, std::optional<std::int64_t> balance = 2850) {
  const CardData& d = data_of(r);
  CHECK(d.credential == "tu:3105170010170907984");
  CHECK(d.valid_from == 2019y / 8 / 6);
  CHECK(d.valid_until == 2040y / 12 / 31);
  CHECK(d.balance_fen == balance);
}

}  // namespace

TEST_CASE("TUnionCard answers the spec's test vector byte for byte") {
  TUnionCard card = spec_card();
  card.enter_field();
  const hal::Bytes file = hex(
      "01 01 10 00 FF FF FF FF 02 01 03 10 51 70 01 01 70 90 79 84 20 19 08 06 20 40 12 31 00 00");
  CHECK(card.respond(kReadTu).value() == hex("6A 82"));  // nothing selected yet
  CHECK(
      card.respond(kSelectTu).value() ==
      hex("6F 31 84 08 A0 00 00 06 32 01 01 05 A5 25 9F 08 01 02 9F 0C 1E 01 01 10 00 FF FF FF FF "
          "02 01 03 10 51 70 01 01 70 90 79 84 20 19 08 06 20 40 12 31 00 00 90 00"));
  hal::Bytes with_sw = file;
  with_sw.insert(with_sw.end(), {0x90, 0x00});
  CHECK(card.respond(kReadTu).value() == with_sw);
  CHECK(card.respond(kBalance).value() == hex("00 00 0B 22 90 00"));
  CHECK(card.respond(hex("00 CA 00 00 00")).value() == hex("6D 00"));
  CHECK(card.respond(hex("90 A4 04 00 00")).value() == hex("6E 00"));
  check_spec_card(tap(card));
  CHECK(tap(card).sent == std::vector<hal::Bytes>{kSelectTu, kBalance});
}

TEST_CASE("TUnionCard options: no 9F0C, 61xx chaining, 6Cxx, leading digit") {
  TUnionCardOptions options;
  options.fci_with_public_file = false;
  TUnionCard plain = spec_card(options);
  Read r = tap(plain);
  check_spec_card(r);
  CHECK(r.sent == std::vector<hal::Bytes>{kSelectTu, kReadTu, kBalance});

  options.chain_61xx = true;
  TUnionCard chained = spec_card(options);
  chained.enter_field();
  CHECK(chained.respond(kSelectTu).value() == hex("61 10"));  // 18-byte FCI, 16 a round
  CHECK(chained.respond(hex("00 C0 00 00 10")).value().size() == 16 + 2);
  r = tap(chained);
  check_spec_card(r);
  // SELECT + 2 GET RESPONSE (18 = 16 + 2), READ BINARY + 2 (30 = 16 + 14), GET BALANCE + 1.
  CHECK(r.sent.size() == 8);
  CHECK(r.sent[1] == hex("00 C0 00 00 10"));
  CHECK(r.sent[2] == hex("00 C0 00 00 02"));

  TUnionCardOptions exact;
  exact.fci_with_public_file = false;
  exact.wants_exact_le = true;
  exact.leading_digit = '7';
  TUnionCard strict = spec_card(exact);
  r = tap(strict);
  check_spec_card(r);
  CHECK(r.sent == std::vector<hal::Bytes>{kSelectTu,
                                          hex("00 A4 04 00 08 A0 00 00 06 32 01 01 05 12"), kReadTu,
                                          hex("00 B0 95 00 1E"), kBalance});
  exact.chain_61xx = true;
  exact.fci_with_public_file = true;
  TUnionCard both = spec_card(exact);
  check_spec_card(tap(both));
}

TEST_CASE("phone cards show a fresh random UID per presence, physical cards a fixed one") {
  TUnionCardOptions phone_options;
  phone_options.phone = true;
  TUnionCard phone = spec_card(phone_options);
  std::set<std::vector<std::uint8_t>> uids;
  for (int i = 0; i < 20; ++i) {
    phone.enter_field();
    const hal::CardTarget t = phone.target();
    CHECK(t.uid.size() == 4);
    CHECK(t.uid[0] == 0x08);
    CHECK(t.sak == 0x20);
    CHECK(t.iso14443_4);
    CHECK(phone.target().uid == t.uid);  // stable within one presence
    uids.insert(t.uid);
    check_spec_card(tap(phone));  // the key never changes
  }
  CHECK(uids.size() >= 19);

  TUnionCard physical = spec_card();
  physical.enter_field();
  const auto uid = physical.target().uid;
  CHECK(uid.size() == 4);
  CHECK(uid[0] != 0x08);
  physical.enter_field();
  CHECK(physical.target().uid == uid);
  CHECK(TUnionCard("3105170010170907985", 2019y / 8 / 6, 2040y / 12 / 31, 0).target().uid != uid);
}

TEST_CASE("BeijingCard, MifareClassicCard, UnsupportedCard") {
  BeijingCard bj({0xAB, 0xCD, 0xEF, 0x01, 0x23, 0x45, 0x67, 0x89}, 2021y / 3 / 15, 2031y / 3 / 14);
  CHECK(bj.respond(kSelectTu).value() == hex("6A 82"));
  CHECK(bj.file().size() == 32);
  Read r = tap(bj);
  CHECK(data_of(r).credential == "bj:abcdef0123456789");
  CHECK(data_of(r).valid_from == 2021y / 3 / 15);
  CHECK(data_of(r).valid_until == 2031y / 3 / 14);
  CHECK(r.sent == std::vector<hal::Bytes>{kSelectTu, kSelectMf, kReadBj});

  MifareClassicCard m1({0x0A, 0x1B, 0x2C, 0x3D});
  CHECK(m1.target().sak == 0x08);
  CHECK_FALSE(m1.target().iso14443_4);
  CHECK(m1.respond(kSelectTu).error().code == Errc::io_error);
  r = tap(m1);
  CHECK(data_of(r).credential == "m1:0a1b2c3d");
  CHECK(r.sent.empty());
  MifareClassicCard m1_7({0x04, 1, 2, 3, 4, 5, 6});
  CHECK(reason_of(tap(m1_7)) == Reason::read_error);

  for (bool has_mf : {false, true}) {
    UnsupportedCard bank(has_mf);
    CHECK(bank.target().iso14443_4);
    CHECK(bank.respond(kSelectTu).value() == hex("6A 82"));
    CHECK(bank.respond(kSelectMf).value() == hex(has_mf ? "90 00" : "6A 82"));
    r = tap(bank);
    CHECK(reason_of(r) == Reason::unsupported_card);
    CHECK(r.sent.size() == (has_mf ? 3u : 2u));
  }
}

TEST_CASE("FaultyCard: each mode ends in read_error as documented") {
  struct Case {
    FaultMode mode;
    hal::Bytes first_reply;
  };
  for (const Case& c :
       {Case{FaultMode::garbage, hex("DE AD BE EF 13 37")},
        Case{FaultMode::wrong_status, hex("6F 00")}, Case{FaultMode::short_reply, hex("90")}}) {
    FaultyCard card(c.mode);
    card.enter_field();
    CHECK(card.respond(kSelectTu).value() == c.first_reply);
    CHECK(card.respond(kSelectMf).value() == c.first_reply);
    const Read r = tap(card);
    CHECK(reason_of(r) == Reason::read_error);
    CHECK(r.sent == std::vector<hal::Bytes>{kSelectTu});  // no fall-through to Beijing
  }
  FaultyCard malformed(FaultMode::malformed_fci);
  malformed.enter_field();
  const hal::Bytes fci = malformed.respond(kSelectTu).value();
  CHECK(fci[0] == 0x6F);
  CHECK(fci[1] > fci.size() - 4);  // the 6F length runs past the data
  CHECK(reason_of(tap(malformed)) == Reason::read_error);

  FaultyCard bad_bcd(FaultMode::invalid_bcd_number);
  bad_bcd.enter_field();
  const hal::Bytes select = bad_bcd.respond(kSelectTu).value();
  CHECK(select[21 + 12] == 0x5A);  // 9F0C's value starts at byte 21 of the spec FCI layout
  CHECK(bad_bcd.respond(kReadTu).value()[12] == 0x5A);
  CHECK(reason_of(tap(bad_bcd)) == Reason::read_error);
}

TEST_CASE("FaultyCard: silent or leaving after N good replies") {
  for (auto [mode, code] : {std::pair{FaultMode::silent_after, Errc::timeout},
                            std::pair{FaultMode::leaves_field_after, Errc::io_error}}) {
    FaultyCard n0(mode, 0);
    n0.enter_field();
    CHECK(n0.respond(kSelectTu).error().code == code);
    CHECK(reason_of(tap(n0)) == Reason::read_error);
    FaultyCard n1(mode, 1);  // SELECT answered, READ BINARY fails
    Read r = tap(n1);
    CHECK(reason_of(r) == Reason::read_error);
    CHECK(r.sent == std::vector<hal::Bytes>{kSelectTu, kReadTu});
    CHECK(reason_of(tap(n1)) == Reason::read_error);  // a new presence restarts the count
    FaultyCard n2(mode, 2);  // only GET BALANCE fails: the read stands, without a balance
    check_spec_card(tap(n2), std::nullopt);
    FaultyCard n3(mode, 3);
    check_spec_card(tap(n3), 2850);
    CHECK(n3.respond(kSelectTu).error().code == code);  // and stays broken in this presence
  }
}

TEST_CASE("make_card_for_key: keys round-trip through read_card") {
  CardOptions options;
  options.balance_fen = 1234;
  for (std::string_view key : {"tu:3105170010170907984", "tu:0000000000000000001",
                               "bj:0123456789abcdef", "m1:deadbeef", "m1:00000000"}) {
    INFO(key);
    auto card = make_card_for_key(key, options);
    REQUIRE(card);
    const Read r = tap(*card);
    CHECK(data_of(r).credential == key);
    if (key.starts_with("m1:")) continue;
    CHECK(data_of(r).valid_from == 2020y / 1 / 1);
    CHECK(data_of(r).valid_until == 2040y / 12 / 31);
    CHECK(data_of(r).balance_fen ==
          (key.starts_with("tu:") ? std::optional<std::int64_t>(1234) : std::nullopt));
  }
  CardOptions phone;
  phone.phone = true;
  phone.valid_from = 2022y / 5 / 23;
  phone.valid_until = 2022y / 12 / 31;
  auto card = make_card_for_key("tu:3105170010170907984", phone);
  REQUIRE(card);
  card->enter_field();
  const auto first = card->target().uid;
  const Read r = tap(*card);
  CHECK(card->target().uid != first);
  CHECK(card->target().uid[0] == 0x08);
  CHECK(data_of(r).credential == "tu:3105170010170907984");
  CHECK(data_of(r).valid_from == 2022y / 5 / 23);
  CHECK(data_of(r).valid_until == 2022y / 12 / 31);

  for (std::string_view bad : {"", "tu:", "tu:310517001017090798", "tu:31051700101709079840",
                               "bj:0123456789ABCDEF", "bj:0123456789abcde", "m1:DEADBEEF",
                               "m1:deadbee", "qr:12345", "xx:deadbeef", "tu 3105170010170907984"}) {
    INFO(bad);
    CHECK(make_card_for_key(bad) == nullptr);
  }
}

}  // namespace gate::sim
