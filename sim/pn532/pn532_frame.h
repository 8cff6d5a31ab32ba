// The PN532 host-link frame codec (PN532 user manual UM0701, §6.2.1): splits the byte stream a
// host sends over the HSU (UART) into frames and encodes the chip's replies. Pure: no I/O.
//   normal information frame   00 00 FF LEN LCS TFI PD0..PDn DCS 00
//   extended information frame 00 00 FF FF FF LENM LENL LCS TFI PD0..PDn DCS 00
//   ACK 00 00 FF 00 FF 00, NACK 00 00 FF FF 00 00, syntax error 00 00 FF 01 FF 7F 81 00
// LEN counts TFI and data; LCS makes LEN + LCS = 0 and DCS makes TFI + data + DCS = 0 (mod 256).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "hal/apdu_channel.h"

namespace gate::sim::pn532 {

inline constexpr std::uint8_t kTfiHostToChip = 0xD4;
inline constexpr std::uint8_t kTfiChipToHost = 0xD5;
inline constexpr std::uint8_t kTfiSyntaxError = 0x7F;
// The longest TFI + data a PN532 accepts in one extended frame (265 bytes of data plus the TFI).
inline constexpr std::size_t kMaxFrameBody = 266;

// One thing the parser recognised in the byte stream.
struct FrameEvent {
  enum class Kind {
    wakeup,  // a run of 0x55 bytes outside a frame: the HSU wake-up a host sends to a sleeping chip
    ack,     // ACK frame (from a host: abort the running command)
    nack,    // NACK frame (from a host: send the last reply again)
    info,    // information frame with good checksums: `tfi` and `data`
    error,   // the syntax error frame (LEN 1, TFI 7F)
    corrupt,  // a frame whose LCS or DCS is wrong, or longer than kMaxFrameBody: dropped
  };
  Kind kind = Kind::corrupt;
  std::uint8_t tfi = 0;
  hal::Bytes data;  // command or response code and its parameters (info only)
  bool extended = false;
};

class FrameParser {
 public:
  // Parses `bytes` as the continuation of everything fed before and returns the events they
  // complete, in order. Bytes outside frames (preamble, postamble, garbage) are skipped.
  std::vector<FrameEvent> feed(std::span<const std::uint8_t> bytes);
  // Forgets a partly received frame.
  void reset();
  // Bytes skipped outside frames so far (preamble and postamble zeros included).
  std::size_t skipped() const { return skipped_; }

 private:
  enum class State { idle, zero, len, lcs, ext_m, ext_l, ext_lcs, body, dcs };
  void idle_byte(std::uint8_t b, std::vector<FrameEvent>& out);
  void finish_header(std::uint8_t lcs, std::vector<FrameEvent>& out);
  void start_body(std::size_t length, std::vector<FrameEvent>& out);
  void finish_body(std::uint8_t dcs, std::vector<FrameEvent>& out);

  State state_ = State::idle;
  bool in_wakeup_ = false;  // the previous byte outside a frame was 0x55
  bool extended_ = false;
  std::uint8_t len_ = 0;
  std::uint8_t len_m_ = 0;
  std::uint8_t len_l_ = 0;
  std::size_t body_len_ = 0;
  hal::Bytes body_;  // TFI + data
  std::size_t skipped_ = 0;
};

// An information frame carrying `tfi` and `data`: a normal frame when TFI + data fit in 255
// bytes, an extended frame otherwise. `data` must hold at most 65534 bytes.
hal::Bytes encode_info_frame(std::uint8_t tfi, std::span<const std::uint8_t> data);
// The fixed frames.
hal::Bytes ack_frame();
hal::Bytes nack_frame();
hal::Bytes syntax_error_frame();

}  // namespace gate::sim::pn532
