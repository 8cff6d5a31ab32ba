// Test helpers for the PN532 command tests: run a host's byte frame through a CommandHandler and
// get the chip's answer back as bytes, plus the constants both test files use.
#pragma once

#include <catch2/catch.hpp>
#include <initializer_list>
#include <memory>

#include "sim/cards/card_factory.h"
#include "sim/pn532/pn532_commands.h"
#include "sim/pn532/pn532_frame.h"

namespace gate::sim::pn532::test {

inline const SteadyTime kT0{};
// SELECT of the T-Union application (spec/cards.md).
inline const hal::Bytes kSelectTunion{0x00, 0xA4, 0x04, 0x00, 0x08, 0xA0, 0x00,
                                      0x00, 0x06, 0x32, 0x01, 0x01, 0x05, 0x00};
// The ATS of every emulated ISO 14443-4 card, with its length byte.
inline const hal::Bytes kAts{0x05, 0x78, 0x80, 0x70, 0x02};
// libnfc's RFConfiguration MaxRetries for a single try (NP_INFINITE_SELECT false).
inline const hal::Bytes kOneTry{0x00, 0x00, 0xFF, 0x06, 0xFA, 0xD4, 0x32,
                                0x05, 0x00, 0x01, 0x02, 0xF2, 0x00};

inline std::shared_ptr<EmulatedCard> tunion(const char* key = "tu:3105170010170907984") {
  return make_card_for_key(key);
}

// What the chip sends after its ACK for the host frame `frame`: the reply frame, the syntax error
// frame, or nothing while the command waits.
inline hal::Bytes answer(CommandHandler& chip, const hal::Bytes& frame, SteadyTime now = kT0) {
  FrameParser parser;
  auto events = parser.feed(frame);
  REQUIRE(events.size() == 1);
  REQUIRE(events[0].kind == FrameEvent::Kind::info);
  CommandResult result = chip.execute(events[0].data, now);
  switch (result.kind) {
    case CommandResult::Kind::reply:
      return encode_info_frame(kTfiChipToHost, result.output);
    case CommandResult::Kind::syntax_error:
      return syntax_error_frame();
    case CommandResult::Kind::waiting:
      break;
  }
  return {};
}

// The response data (response code and output) for the command `data`, through the byte frames.
inline hal::Bytes reply_data(CommandHandler& chip, const hal::Bytes& data, SteadyTime now = kT0) {
  hal::Bytes frame = answer(chip, encode_info_frame(kTfiHostToChip, data), now);
  if (frame.empty()) return {};
  FrameParser parser;
  auto events = parser.feed(frame);
  REQUIRE(events.size() == 1);
  if (events[0].kind == FrameEvent::Kind::error) return {0x7F};
  REQUIRE(events[0].tfi == kTfiChipToHost);
  return events[0].data;
}

inline hal::Bytes concat(std::initializer_list<hal::Bytes> parts) {
  hal::Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace gate::sim::pn532::test
