// read_card over a scripted channel: the exact APDUs of spec/cards.md, the card's replies given.
#include "firmware/core/card_profile.h"

#include <catch2/catch.hpp>
#include <initializer_list>
#include <string_view>

#include "firmware/core/apdu.h"

namespace gate::core {
namespace {

using namespace std::chrono_literals;
using ReadResult = std::variant<CardData, Reason>;

hal::Bytes hex(std::string_view text) {
  hal::Bytes out;
  int hi = -1;
  for (char c : text) {
    if (c == ' ') continue;
    const int v = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(hi << 4 | v));
      hi = -1;
    }
  }
  return out;
}
hal::Bytes cat(std::initializer_list<hal::Bytes> parts) {
  hal::Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// Commands and the test vector, as spec/cards.md writes them.
const hal::Bytes kSelectTu = hex("00 A4 04 00 08 A0 00 00 06 32 01 01 05 00");
const hal::Bytes kReadTu = hex("00 B0 95 00 00");
const hal::Bytes kBalance = hex("80 5C 00 02 04");
const hal::Bytes kSelectMf = hex("00 A4 00 00 02 3F 00 00");
const hal::Bytes kReadBj = hex("00 B0 84 00 00");
const hal::Bytes kOk = hex("90 00");
const hal::Bytes kSpecFci = hex(
    "6F 31 84 08 A0 00 00 06 32 01 01 05 A5 25 9F 08 01 02 9F 0C 1E 01 01 10 00 FF FF FF FF 02 01 "
    "03 10 51 70 01 01 70 90 79 84 20 19 08 06 20 40 12 31 00 00");
const hal::Bytes kSpecFile = hex(
    "01 01 10 00 FF FF FF FF 02 01 03 10 51 70 01 01 70 90 79 84 20 19 08 06 20 40 12 31 00 00");
const hal::Bytes kFciNo9f0c = hex("6F 10 84 08 A0 00 00 06 32 01 01 05 A5 04 9F 08 01 02");
const hal::Bytes kSpecBalance = hex("00 00 0B 22 90 00");
const hal::Bytes kBjFile =
    hex("AB CD EF 01 23 45 67 89 10 00 01 00 01 01 00 00 00 00 00 00 00 00 00 00 20 21 03 15 20 31 "
        "03 14");

const hal::CardTarget kCpuCard{
    .uid = {0x08, 0x12, 0x34, 0x56}, .atqa = 0x0004, .sak = 0x20, .iso14443_4 = true};

struct Step {
  hal::Bytes command;  // what read_card must send
  Result<hal::Bytes> reply;
};

class ScriptedChannel final : public hal::ApduChannel {
 public:
  explicit ScriptedChannel(std::vector<Step> steps) : steps_(std::move(steps)) {}
  std::vector<hal::Bytes> sent;
  std::vector<std::chrono::milliseconds> timeouts;
  std::vector<hal::Bytes> expected() const {
    std::vector<hal::Bytes> out;
    for (const auto& s : steps_) out.push_back(s.command);
    return out;
  }

 private:
  Result<hal::Bytes> do_transceive(std::span<const std::uint8_t> command,
                                   std::chrono::milliseconds timeout) override {
    sent.emplace_back(command.begin(), command.end());
    timeouts.push_back(timeout);
    if (next_ >= steps_.size()) return make_error(Errc::io_error, "script exhausted");
    return steps_[next_++].reply;
  }
  std::vector<Step> steps_;
  std::size_t next_ = 0;
};

// Runs read_card against `steps` and checks it sent exactly the scripted commands, in order.
ReadResult run(std::vector<Step> steps, CardProfileOptions options = {},
               const hal::CardTarget& target = kCpuCard) {
  ScriptedChannel channel(std::move(steps));
  ReadResult result = read_card(target, channel, options);
  CHECK(channel.sent == channel.expected());
  for (auto t : channel.timeouts) CHECK(t == options.apdu_timeout);
  return result;
}

Reason reason_of(const ReadResult& r) {
  return std::holds_alternative<Reason>(r) ? std::get<Reason>(r) : Reason::ok;
}

void check_spec_card(const ReadResult& r, std::optional<std::int64_t> balance) {
  REQUIRE(std::holds_alternative<CardData>(r));
  const CardData& d = std::get<CardData>(r);
  CHECK(d.credential == "tu:3105170010170907984");
  CHECK(d.valid_from == 2019y / 8 / 6);
  CHECK(d.valid_until == 2040y / 12 / 31);
  CHECK(d.balance_fen == balance);
}

Step ok_step(const hal::Bytes& cmd, const hal::Bytes& data) {
  return {cmd, cat({data, kOk})};
}
Step sw_step(const hal::Bytes& cmd, std::string_view sw) {
  return {cmd, hex(sw)};
}
Step err_step(const hal::Bytes& cmd, Errc code) {
  return {cmd, make_error(code, "scripted")};
}

}  // namespace

TEST_CASE("spec test vector: T-Union from the FCI's 9F0C, balance 28.50 CNY") {
  check_spec_card(run({ok_step(kSelectTu, kSpecFci), {kBalance, kSpecBalance}}), 2850);
}

TEST_CASE("spec test vector: FCI without 9F0C forces READ BINARY of SFI 0x15") {
  check_spec_card(
      run({ok_step(kSelectTu, kFciNo9f0c), ok_step(kReadTu, kSpecFile), {kBalance, kSpecBalance}}),
      2850);
  // A 9F0C of the wrong size, an empty FCI and an FCI without 6F also lead to READ BINARY.
  const hal::Bytes short_9f0c = cat({hex("6F 30 84 08 A0 00 00 06 32 01 01 05 A5 24 9F 08 01 02 "
                                         "9F 0C 1D"),
                                     hal::Bytes(kSpecFile.begin(), kSpecFile.end() - 1)});
  for (const hal::Bytes& fci : {short_9f0c, hal::Bytes{}, hex("84 08 A0 00 00 06 32 01 01 05")}) {
    check_spec_card(
        run({ok_step(kSelectTu, fci), ok_step(kReadTu, kSpecFile), {kBalance, kSpecBalance}}),
        2850);
  }
}

TEST_CASE("long length forms, two-byte tags and padding in the FCI") {
  const hal::Bytes fci =
      cat({hex("6F 81 35 84 08 A0 00 00 06 32 01 01 05 A5 82 00 27 00 9F 08 01 02 "
               "9F 0C 81 1E"),
           kSpecFile});
  check_spec_card(run({ok_step(kSelectTu, fci), {kBalance, kSpecBalance}}), 2850);
}

TEST_CASE("balance: optional, top bit masked, failures leave it absent") {
  CardProfileOptions no_balance;
  no_balance.read_balance = false;
  check_spec_card(run({ok_step(kSelectTu, kSpecFci)}, no_balance), std::nullopt);
  check_spec_card(run({ok_step(kSelectTu, kSpecFci), sw_step(kBalance, "80 00 0B 22 90 00")}),
                  2850);
  check_spec_card(run({ok_step(kSelectTu, kSpecFci), sw_step(kBalance, "69 85")}), std::nullopt);
  check_spec_card(run({ok_step(kSelectTu, kSpecFci), sw_step(kBalance, "00 0B 22 90 00")}),
                  std::nullopt);
  check_spec_card(run({ok_step(kSelectTu, kSpecFci), err_step(kBalance, Errc::timeout)}),
                  std::nullopt);
  check_spec_card(run({ok_step(kSelectTu, kSpecFci), err_step(kBalance, Errc::io_error)}),
                  std::nullopt);
}

TEST_CASE("61xx: GET RESPONSE with Le = xx, chunks appended") {
  const hal::Bytes head(kSpecFci.begin(), kSpecFci.begin() + 16);
  const hal::Bytes tail(kSpecFci.begin() + 16, kSpecFci.end());
  check_spec_card(run({sw_step(kSelectTu, "61 10"),
                       {hex("00 C0 00 00 10"), cat({head, hex("61 23")})},
                       ok_step(hex("00 C0 00 00 23"), tail),
                       sw_step(kBalance, "61 04"),
                       {hex("00 C0 00 00 04"), kSpecBalance}}),
                  2850);
  // A card chaining forever is cut off after kMaxApduRounds replies.
  std::vector<Step> endless = {sw_step(kSelectTu, "01 61 01")};
  for (int i = 1; i < kMaxApduRounds; ++i)
    endless.push_back(sw_step(hex("00 C0 00 00 01"), "01 61 01"));
  CHECK(reason_of(run(std::move(endless))) == Reason::read_error);
}

TEST_CASE("6Cxx: the command once more with Le = xx") {
  check_spec_card(run({sw_step(kSelectTu, "6C 12"),
                       ok_step(hex("00 A4 04 00 08 A0 00 00 06 32 01 01 05 12"), kFciNo9f0c),
                       sw_step(kReadTu, "6C 1E"),
                       ok_step(hex("00 B0 95 00 1E"), kSpecFile),
                       {kBalance, kSpecBalance}}),
                  2850);
  // Asked twice: a broken exchange.
  CHECK(reason_of(run({sw_step(kSelectTu, "6C 33"),
                       sw_step(hex("00 A4 04 00 08 A0 00 00 06 32 01 01 05 33"), "6C 34")})) ==
        Reason::read_error);
}

TEST_CASE("T-Union SELECT: 'not on this card' falls through to Beijing, other words fail") {
  for (auto sw : {"6A 82", "6A 81", "6A 86", "6A 88", "69 81", "69 86", "6D 00", "6E 00"}) {
    INFO(sw);
    const ReadResult r =
        run({sw_step(kSelectTu, sw), ok_step(kSelectMf, {}), ok_step(kReadBj, kBjFile)});
    REQUIRE(std::holds_alternative<CardData>(r));
    const CardData& d = std::get<CardData>(r);
    CHECK(d.credential == "bj:abcdef0123456789");
    CHECK(d.valid_from == 2021y / 3 / 15);
    CHECK(d.valid_until == 2031y / 3 / 14);
    CHECK_FALSE(d.balance_fen);
  }
  for (auto sw : {"6F 00", "69 85", "62 83", "63 00", "91 00", "6A 83", "67 00"}) {
    INFO(sw);
    CHECK(reason_of(run({sw_step(kSelectTu, sw)})) == Reason::read_error);
  }
}

TEST_CASE("Beijing: fall-through outcomes") {
  const Step tu_absent = sw_step(kSelectTu, "6A 82");
  CHECK(reason_of(run({tu_absent, sw_step(kSelectMf, "6A 82")})) == Reason::unsupported_card);
  CHECK(reason_of(run({sw_step(kSelectTu, "6D 00"), sw_step(kSelectMf, "6E 00")})) ==
        Reason::unsupported_card);
  CHECK(reason_of(run({tu_absent, ok_step(kSelectMf, {}), sw_step(kReadBj, "6A 82")})) ==
        Reason::unsupported_card);
  CHECK(reason_of(run({tu_absent, sw_step(kSelectMf, "6F 00")})) == Reason::read_error);
  CHECK(reason_of(run({tu_absent, ok_step(kSelectMf, {}), sw_step(kReadBj, "69 82")})) ==
        Reason::read_error);
  CHECK(reason_of(run({tu_absent, err_step(kSelectMf, Errc::timeout)})) == Reason::read_error);
  CHECK(reason_of(run({tu_absent, ok_step(kSelectMf, {}), err_step(kReadBj, Errc::io_error)})) ==
        Reason::read_error);
  CHECK(reason_of(run({tu_absent, ok_step(kSelectMf, {}),
                       ok_step(kReadBj, hal::Bytes(31, 0x11))})) == Reason::read_error);
  const hal::Bytes longer = cat({kBjFile, hex("01 02 03 04 05 06 07 08")});
  const ReadResult r = run({tu_absent, ok_step(kSelectMf, hex("6F 00")), ok_step(kReadBj, longer)});
  REQUIRE(std::holds_alternative<CardData>(r));
  CHECK(std::get<CardData>(r).credential == "bj:abcdef0123456789");
}

TEST_CASE("after the T-Union application is selected, every failure is a read error") {
  CHECK(reason_of(run({ok_step(kSelectTu, kFciNo9f0c), sw_step(kReadTu, "6A 82")})) ==
        Reason::read_error);
  CHECK(reason_of(run({ok_step(kSelectTu, kFciNo9f0c), sw_step(kReadTu, "62 82")})) ==
        Reason::read_error);
  for (std::size_t size : {29u, 31u, 0u}) {
    const hal::Bytes file(size, 0x20);
    CHECK(reason_of(run({ok_step(kSelectTu, kFciNo9f0c), ok_step(kReadTu, file)})) ==
          Reason::read_error);
  }
}

TEST_CASE("short replies and failed exchanges are read errors") {
  CHECK(reason_of(run({sw_step(kSelectTu, "90")})) == Reason::read_error);
  CHECK(reason_of(run({sw_step(kSelectTu, "")})) == Reason::read_error);
  CHECK(reason_of(run({ok_step(kSelectTu, kFciNo9f0c), sw_step(kReadTu, "6A")})) ==
        Reason::read_error);
  CHECK(reason_of(run({sw_step(kSelectTu, "61 10"), sw_step(hex("00 C0 00 00 10"), "61")})) ==
        Reason::read_error);
  for (Errc code : {Errc::timeout, Errc::io_error, Errc::device_lost}) {
    CHECK(reason_of(run({err_step(kSelectTu, code)})) == Reason::read_error);
    CHECK(reason_of(run({ok_step(kSelectTu, kFciNo9f0c), err_step(kReadTu, code)})) ==
          Reason::read_error);
  }
  CardProfileOptions slow;
  slow.apdu_timeout = 37ms;  // run() checks every exchange was given this timeout
  check_spec_card(run({ok_step(kSelectTu, kSpecFci), {kBalance, kSpecBalance}}, slow), 2850);
}

TEST_CASE("malformed TLV in the FCI is a read error, never a fallback") {
  const hal::Bytes bad[] = {
      cat({hex("6F 41"), hal::Bytes(kSpecFci.begin() + 2, kSpecFci.end())}),  // 6F overruns
      hex("6F 10 84 08 A0 00 00 06 32 01 01 05 A5 06 9F 08 01 02"),           // A5 overruns
      hex("6F 10 84 08 A0 00 00 06 32 01 01 05 A5 04 9F 08 03 02"),           // 9F08 overruns
      hex("6F 0F 84 08 A0 00 00 06 32 01 01 05 A5 03 9F 08 01"),              // 9F08 value cut
      hex("6F 04 84 03 A0 00"),                                               // 84 overruns
      hex("6F 04 9F 8F 01 01 00"),                                            // three-byte tag
      hex("6F 80 84 00"),                                                     // indefinite length
      hex("6F 83 00 00 02 84 00"),                                            // three length bytes
      hex("6F 81"),                                                           // length truncated
      hex("9F"),                                                              // tag truncated
      hex("6F"),                                                              // length missing
  };
  for (const hal::Bytes& fci : bad) {
    INFO(fci.size());
    CHECK(reason_of(run({ok_step(kSelectTu, fci)})) == Reason::read_error);
  }
}

TEST_CASE("BCD and dates: a nibble above 9 or a day that does not exist is a read error") {
  auto with = [](std::size_t at, std::string_view bytes) {
    hal::Bytes file = kSpecFile;
    const hal::Bytes b = hex(bytes);
    std::copy(b.begin(), b.end(), file.begin() + static_cast<std::ptrdiff_t>(at));
    return file;
  };
  CHECK(std::holds_alternative<CardData>(decode_tunion_file(kSpecFile)));
  for (const auto& [at, bytes] :
       std::vector<std::pair<std::size_t, std::string_view>>{{10, "A3"},
                                                             {19, "8F"},
                                                             {20, "2F"},
                                                             {25, "19 13"},
                                                             {26, "13 01"},
                                                             {22, "02 30"},
                                                             {26, "11 31"},
                                                             {22, "01 00"},
                                                             {24, "FF FF FF FF"}}) {
    INFO(at << " " << bytes);
    CHECK(std::get<Reason>(decode_tunion_file(with(at, bytes))) == Reason::read_error);
    const hal::Bytes bad = with(at, bytes);
    const hal::Bytes fci =
        cat({hex("6F 31 84 08 A0 00 00 06 32 01 01 05 A5 25 9F 08 01 02 9F 0C 1E"), bad});
    CHECK(reason_of(run({ok_step(kSelectTu, fci)})) == Reason::read_error);
    CHECK(reason_of(run({ok_step(kSelectTu, kFciNo9f0c), ok_step(kReadTu, bad)})) ==
          Reason::read_error);
  }
  // 29 February exists in leap years only.
  CHECK(std::holds_alternative<CardData>(decode_tunion_file(with(20, "20 24 02 29"))));
  CHECK(std::holds_alternative<Reason>(decode_tunion_file(with(20, "20 23 02 29"))));
  hal::Bytes bj = kBjFile;
  bj[30] = 0x13;  // month 13 in the last valid day
  CHECK(std::get<Reason>(decode_beijing_file(bj)) == Reason::read_error);
  bj = kBjFile;
  bj[24] = 0xA0;
  CHECK(std::get<Reason>(decode_beijing_file(bj)) == Reason::read_error);
}

TEST_CASE("MIFARE Classic: 4-byte UID only, and no APDU sent") {
  auto classic = [](std::vector<std::uint8_t> uid, std::uint8_t sak) {
    return hal::CardTarget{.uid = std::move(uid), .atqa = 0x0004, .sak = sak, .iso14443_4 = false};
  };
  const ReadResult r = run({}, {}, classic({0xDE, 0xAD, 0x0B, 0xEF}, 0x08));
  REQUIRE(std::holds_alternative<CardData>(r));
  CHECK(std::get<CardData>(r).credential == "m1:dead0bef");
  CHECK_FALSE(std::get<CardData>(r).valid_until);
  CHECK(std::get<CardData>(run({}, {}, classic({1, 2, 3, 4}, 0x18))).credential == "m1:01020304");
  CHECK(reason_of(run({}, {}, classic({1, 2, 3, 4, 5, 6, 7}, 0x08))) == Reason::read_error);
  CHECK(reason_of(run({}, {}, classic(std::vector<std::uint8_t>(10, 1), 0x08))) ==
        Reason::read_error);
  CHECK(reason_of(run({}, {}, classic({1, 2, 3}, 0x08))) == Reason::read_error);
  CHECK(reason_of(run({}, {}, classic({1, 2, 3, 4}, 0x00))) == Reason::unsupported_card);
  // SAK 0x28 with ISO 14443-4: the APDU profiles, not the UID.
  hal::CardTarget dual = classic({1, 2, 3, 4}, 0x28);
  dual.iso14443_4 = true;
  check_spec_card(run({ok_step(kSelectTu, kSpecFci), {kBalance, kSpecBalance}}, {}, dual), 2850);
}

}  // namespace gate::core
