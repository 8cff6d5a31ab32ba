// Tests sim/pn532/pn532_commands: the chip-level commands (firmware, diagnose, registers,
// parameters, RF configuration, status, power), driven by the byte frames a host writes. Expected
// replies are from the PN532 user manual (UM0701 §7) and from what libnfc 1.8's pn53x.c sends and
// decodes, not from this emulator's output.
#include "sim/pn532/pn532_commands.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <utility>
#include <vector>

#include "tests/sim/pn532_host_frames.h"

namespace gate::sim::pn532 {
namespace {

using namespace std::chrono_literals;
using namespace test;

TEST_CASE("pn532 commands: GetFirmwareVersion answers as a PN532 v1.6, Diagnose echoes libnfc") {
  CommandHandler chip;
  CHECK(answer(chip, {0x00, 0x00, 0xFF, 0x02, 0xFE, 0xD4, 0x02, 0x2A, 0x00}) ==
        hal::Bytes{0x00, 0x00, 0xFF, 0x06, 0xFA, 0xD5, 0x03, 0x32, 0x01, 0x06, 0x07, 0xE8, 0x00});
  // pn53x_check_communication: Diagnose 00 "libnfc" must come back as 00 "libnfc".
  CHECK(answer(chip, {0x00, 0x00, 0xFF, 0x09, 0xF7, 0xD4, 0x00, 0x00, 0x6C, 0x69, 0x62, 0x6E, 0x66,
                      0x63, 0xBE, 0x00}) == hal::Bytes{0x00, 0x00, 0xFF, 0x09, 0xF7, 0xD5, 0x01,
                                                       0x00, 0x6C, 0x69, 0x62, 0x6E, 0x66, 0x63,
                                                       0xBC, 0x00});
  // SAMConfiguration normal mode: D5 15.
  CHECK(answer(chip, {0x00, 0x00, 0xFF, 0x03, 0xFD, 0xD4, 0x14, 0x01, 0x17, 0x00}) ==
        hal::Bytes{0x00, 0x00, 0xFF, 0x02, 0xFE, 0xD5, 0x15, 0x16, 0x00});
}

TEST_CASE("pn532 commands: an unknown command or bad parameters get the syntax error frame") {
  CommandHandler chip;
  const hal::Bytes error{0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00};
  CHECK(answer(chip, encode_info_frame(kTfiHostToChip, hal::Bytes{0x8C, 0x00})) == error);
  CHECK(answer(chip, encode_info_frame(kTfiHostToChip, hal::Bytes{0x4A, 0x03, 0x00})) == error);
  CHECK(answer(chip, encode_info_frame(kTfiHostToChip, hal::Bytes{0x32, 0x05, 0xFF})) == error);
  CHECK(answer(chip, encode_info_frame(kTfiHostToChip, hal::Bytes{0x06, 0x63})) == error);
}

TEST_CASE("pn532 commands: registers read back what was written, status registers do not") {
  CommandHandler chip;
  // libnfc's first ReadRegister: TxMode, RxMode, ManualRCV, Status2, BitFraming.
  CHECK(reply_data(chip, {0x06, 0x63, 0x02, 0x63, 0x03, 0x63, 0x0D, 0x63, 0x38, 0x63, 0x3D}) ==
        hal::Bytes{0x07, 0x80, 0x80, 0x00, 0x00, 0x00});
  CHECK(reply_data(chip, {0x08, 0x63, 0x02, 0x03, 0x63, 0x3A, 0x80, 0xFF, 0xB0, 0x12}) ==
        hal::Bytes{0x09});
  CHECK(reply_data(chip, {0x06, 0x63, 0x02, 0x63, 0x3A, 0xFF, 0xB0}) ==
        hal::Bytes{0x07, 0x03, 0x00, 0x12});
  CHECK(chip.register_value(0x6302) == 0x03);
}

TEST_CASE("pn532 commands: SetParameters, RFConfiguration and GetGeneralStatus") {
  CommandHandler chip;
  CHECK(chip.settings().auto_rats);
  CHECK(reply_data(chip, {0x12, 0x14}) == hal::Bytes{0x13});
  CHECK(chip.parameters() == 0x14);
  // Every configuration item with its data size: field, timings, MaxRtyCOM, retries, analog.
  const std::vector<std::pair<std::uint8_t, std::size_t>> items{
      {0x01, 1}, {0x02, 3}, {0x04, 1}, {0x05, 3}, {0x0A, 11}, {0x0B, 8}, {0x0C, 3}, {0x0D, 9}};
  for (auto [item, size] : items) {
    hal::Bytes cmd{0x32, item};
    cmd.resize(2 + size, 0x01);
    CHECK(reply_data(chip, cmd) == hal::Bytes{0x33});
    cmd.push_back(0x00);
    CHECK(reply_data(chip, cmd) == hal::Bytes{0x7F});
  }
  CHECK(chip.field().powered());
  CHECK(chip.settings().passive_activation_retries == 0x01);

  chip.field().place(tunion());
  REQUIRE(reply_data(chip, {0x4A, 0x01, 0x00})[1] == 0x01);
  // Err 00, Field 00, NbTg 1, Tg 1 BrRx 00 BrTx 00 Type 00, SAM status 00.
  CHECK(reply_data(chip, {0x04}) ==
        hal::Bytes{0x05, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00});
  CHECK(reply_data(chip, {0x52, 0x00}) == hal::Bytes{0x53, 0x00});  // InRelease
  CHECK(reply_data(chip, {0x04}) == hal::Bytes{0x05, 0x00, 0x00, 0x00, 0x00});
}

TEST_CASE("pn532 commands: Diagnose card presence, InSelect, and PowerDown") {
  CommandHandler chip;
  REQUIRE(chip.asleep());
  chip.wake();
  CHECK_FALSE(chip.asleep());
  answer(chip, kOneTry);
  auto card = tunion();
  chip.field().place(card);
  REQUIRE(reply_data(chip, {0x4A, 0x01, 0x00})[1] == 0x01);
  CHECK(reply_data(chip, {0x00, 0x06}) == hal::Bytes{0x01, 0x00});
  CHECK(reply_data(chip, {0x44, 0x01}) == hal::Bytes{0x45, 0x00});
  CHECK(reply_data(chip, {0x00, 0x06}) == hal::Bytes{0x01, 0x27});  // no active target
  CHECK(reply_data(chip, {0x54, 0x01}) == hal::Bytes{0x55, 0x00});
  CHECK(reply_data(chip, {0x00, 0x06}) == hal::Bytes{0x01, 0x00});
  chip.field().remove(card);
  CHECK(reply_data(chip, {0x00, 0x06}) == hal::Bytes{0x01, 0x01});

  // libnfc's PowerDown: WakeUpEnable F0 (I2C, GPIO, SPI, HSU) -> D5 17 00, then asleep, field off.
  CHECK(answer(chip, {0x00, 0x00, 0xFF, 0x03, 0xFD, 0xD4, 0x16, 0xF0, 0x26, 0x00}) ==
        hal::Bytes{0x00, 0x00, 0xFF, 0x03, 0xFD, 0xD5, 0x17, 0x00, 0x14, 0x00});
  CHECK(chip.asleep());
  CHECK_FALSE(chip.field().powered());
  chip.wake();
  CHECK_FALSE(chip.asleep());
  // Without HSU among the wake-up sources, the UART cannot wake it.
  CHECK(reply_data(chip, {0x16, 0x20}) == hal::Bytes{0x17, 0x00});
  chip.wake();
  CHECK(chip.asleep());
}

}  // namespace
}  // namespace gate::sim::pn532
