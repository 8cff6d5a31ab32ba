// Tests sim/pn532/pn532_frame: the PN532 host-link frame codec. Expected bytes come from the
// PN532 user manual (UM0701 §6.2.1 and the GetFirmwareVersion example of §7.2.2) and from what
// libnfc 1.8's pn532_uart driver writes (pn53x_build_frame, pn532_uart_wakeup).
#include "sim/pn532/pn532_frame.h"

#include <catch2/catch.hpp>
#include <numeric>
#include <vector>

namespace gate::sim::pn532 {
namespace {

using Kind = FrameEvent::Kind;

// libnfc's GetFirmwareVersion command (pn53x-internal.h shows it as 00 FF 02 FE D4 02 2A 00).
const hal::Bytes kGetFirmwareVersion{0x00, 0x00, 0xFF, 0x02, 0xFE, 0xD4, 0x02, 0x2A, 0x00};
// The manual's GetFirmwareVersion reply: a PN532 v1.6 supporting ISO 14443 A/B and ISO 18092.
const hal::Bytes kFirmwareReply{0x00, 0x00, 0xFF, 0x06, 0xFA, 0xD5, 0x03,
                                0x32, 0x01, 0x06, 0x07, 0xE8, 0x00};
// libnfc 1.8 wakes a PN532 on a UART with 55 55 and fourteen 00, then sends SAMConfiguration.
hal::Bytes libnfc_wakeup_and_sam_configuration() {
  hal::Bytes bytes{0x55, 0x55};
  bytes.resize(16, 0x00);
  bytes.insert(bytes.end(), {0x00, 0x00, 0xFF, 0x03, 0xFD, 0xD4, 0x14, 0x01, 0x17, 0x00});
  return bytes;
}

std::vector<Kind> kinds(const std::vector<FrameEvent>& events) {
  std::vector<Kind> out;
  for (const auto& e : events) out.push_back(e.kind);
  return out;
}

std::vector<FrameEvent> feed_byte_by_byte(FrameParser& parser, const hal::Bytes& bytes) {
  std::vector<FrameEvent> out;
  for (std::uint8_t b : bytes) {
    auto events = parser.feed(std::span(&b, 1));
    out.insert(out.end(), events.begin(), events.end());
  }
  return out;
}

TEST_CASE("pn532 frame: encodes normal frames as the manual shows them") {
  const hal::Bytes reply_data{0x03, 0x32, 0x01, 0x06, 0x07};
  CHECK(encode_info_frame(kTfiChipToHost, reply_data) == kFirmwareReply);
  CHECK(encode_info_frame(kTfiHostToChip, hal::Bytes{0x02}) == kGetFirmwareVersion);
  CHECK(ack_frame() == hal::Bytes{0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00});
  CHECK(nack_frame() == hal::Bytes{0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00});
  CHECK(syntax_error_frame() == hal::Bytes{0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00});
}

TEST_CASE("pn532 frame: 255 bytes of TFI and data fit a normal frame, more need an extended one") {
  const hal::Bytes data254(254, 0x11);
  hal::Bytes normal = encode_info_frame(kTfiChipToHost, data254);
  REQUIRE(normal.size() == 254 + 8);
  CHECK(normal[3] == 0xFF);  // LEN 255
  CHECK(normal[4] == 0x01);  // LCS

  const hal::Bytes data300(300, 0x22);
  hal::Bytes extended = encode_info_frame(kTfiChipToHost, data300);
  REQUIRE(extended.size() == 300 + 11);
  // 00 00 FF FF FF LENM LENL LCS: LEN = 301 = 0x012D, LCS = 0x100 - (0x01 + 0x2D).
  CHECK(hal::Bytes(extended.begin(), extended.begin() + 9) ==
        hal::Bytes{0x00, 0x00, 0xFF, 0xFF, 0xFF, 0x01, 0x2D, 0xD2, 0xD5});
  const unsigned sum = std::accumulate(extended.begin() + 8, extended.end() - 1, 0u);
  CHECK((sum & 0xFF) == 0);  // TFI + data + DCS
  CHECK(extended.back() == 0x00);

  // The parser takes extended frames up to what a PN532 accepts.
  const hal::Bytes data260(260, 0x33);
  FrameParser parser;
  auto events = parser.feed(encode_info_frame(kTfiHostToChip, data260));
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == Kind::info);
  CHECK(events[0].extended);
  CHECK(events[0].data == data260);
}

TEST_CASE("pn532 frame: parses information frames, ACK, NACK, the error frame and a wake-up") {
  FrameParser parser;
  hal::Bytes stream = kGetFirmwareVersion;
  for (const auto& f : {ack_frame(), nack_frame(), syntax_error_frame()}) {
    stream.insert(stream.end(), f.begin(), f.end());
  }
  stream.insert(stream.end(), {0x55, 0x55, 0x55});
  auto events = parser.feed(stream);
  CHECK(kinds(events) == std::vector{Kind::info, Kind::ack, Kind::nack, Kind::error, Kind::wakeup});
  CHECK(events[0].tfi == kTfiHostToChip);
  CHECK(events[0].data == hal::Bytes{0x02});
  CHECK_FALSE(events[0].extended);
}

TEST_CASE("pn532 frame: libnfc's long wake-up preamble, then SAMConfiguration") {
  FrameParser parser;
  auto events = parser.feed(libnfc_wakeup_and_sam_configuration());
  REQUIRE(kinds(events) == std::vector{Kind::wakeup, Kind::info});
  CHECK(events[1].data == hal::Bytes{0x14, 0x01});
}

TEST_CASE("pn532 frame: a bad LCS or DCS drops the frame and the next one still parses") {
  hal::Bytes bad_dcs = kGetFirmwareVersion;
  bad_dcs[7] ^= 0x01;
  hal::Bytes bad_lcs = kGetFirmwareVersion;
  bad_lcs[4] = 0xFD;
  FrameParser parser;
  hal::Bytes stream = bad_dcs;
  stream.insert(stream.end(), bad_lcs.begin(), bad_lcs.end());
  stream.insert(stream.end(), kGetFirmwareVersion.begin(), kGetFirmwareVersion.end());
  auto events = parser.feed(stream);
  CHECK(kinds(events) == std::vector{Kind::corrupt, Kind::corrupt, Kind::info});
}

TEST_CASE("pn532 frame: garbage between frames is skipped") {
  FrameParser parser;
  hal::Bytes stream{0x12, 0xFF, 0x00, 0x34, 0xFF, 0xAB};
  stream.insert(stream.end(), kGetFirmwareVersion.begin(), kGetFirmwareVersion.end());
  stream.insert(stream.end(), {0x99, 0x00, 0x00, 0x00});
  const auto ack = ack_frame();
  stream.insert(stream.end(), ack.begin(), ack.end());
  auto events = parser.feed(stream);
  CHECK(kinds(events) == std::vector{Kind::info, Kind::ack});
  CHECK(parser.skipped() > 0);
}

TEST_CASE("pn532 frame: split reads, down to byte by byte, give the same events") {
  hal::Bytes stream = libnfc_wakeup_and_sam_configuration();
  const auto big = encode_info_frame(kTfiHostToChip, hal::Bytes(260, 0x5A));
  stream.insert(stream.end(), big.begin(), big.end());
  stream.insert(stream.end(), kGetFirmwareVersion.begin(), kGetFirmwareVersion.end());
  const auto ack = ack_frame();
  stream.insert(stream.end(), ack.begin(), ack.end());

  FrameParser whole;
  const auto expected = whole.feed(stream);
  REQUIRE(kinds(expected) ==
          std::vector{Kind::wakeup, Kind::info, Kind::info, Kind::info, Kind::ack});

  FrameParser one_by_one;
  const auto events = feed_byte_by_byte(one_by_one, stream);
  REQUIRE(kinds(events) == kinds(expected));
  for (std::size_t i = 0; i < events.size(); ++i) CHECK(events[i].data == expected[i].data);

  FrameParser halves;
  const std::size_t cut = stream.size() / 2;
  auto first = halves.feed(std::span(stream.data(), cut));
  auto second = halves.feed(std::span(stream.data() + cut, stream.size() - cut));
  first.insert(first.end(), second.begin(), second.end());
  CHECK(kinds(first) == kinds(expected));
}

TEST_CASE(
    "pn532 frame: frames longer than a PN532 takes are dropped; reset forgets a partial one") {
  FrameParser parser;
  auto events = parser.feed(encode_info_frame(kTfiHostToChip, hal::Bytes(kMaxFrameBody, 0x01)));
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == Kind::corrupt);

  parser.feed(std::span(kGetFirmwareVersion.data(), 6));
  parser.reset();
  events = parser.feed(kGetFirmwareVersion);
  CHECK(kinds(events) == std::vector{Kind::info});
}

}  // namespace
}  // namespace gate::sim::pn532
