#include "sim/pn532/pn532_frame.h"

#include <numeric>

namespace gate::sim::pn532 {
namespace {

constexpr std::uint8_t kWakeupByte = 0x55;

std::uint8_t checksum_of(std::uint8_t first, std::span<const std::uint8_t> rest) {
  unsigned sum = std::accumulate(rest.begin(), rest.end(), unsigned{first});
  return static_cast<std::uint8_t>(0x100 - (sum & 0xFF));
}

FrameEvent event(FrameEvent::Kind kind) {
  FrameEvent e;
  e.kind = kind;
  return e;
}

}  // namespace

std::vector<FrameEvent> FrameParser::feed(std::span<const std::uint8_t> bytes) {
  std::vector<FrameEvent> out;
  for (std::uint8_t b : bytes) {
    switch (state_) {
      case State::idle:
        idle_byte(b, out);
        break;
      case State::zero:
        if (b == 0xFF) {
          state_ = State::len;
        } else {
          idle_byte(b, out);
        }
        break;
      case State::len:
        len_ = b;
        state_ = State::lcs;
        break;
      case State::lcs:
        finish_header(b, out);
        break;
      case State::ext_m:
        len_m_ = b;
        state_ = State::ext_l;
        break;
      case State::ext_l:
        len_l_ = b;
        state_ = State::ext_lcs;
        break;
      case State::ext_lcs:
        if (((len_m_ + len_l_ + b) & 0xFF) != 0) {
          out.push_back(event(FrameEvent::Kind::corrupt));
          state_ = State::idle;
        } else {
          start_body(static_cast<std::size_t>(len_m_) << 8 | len_l_, out);
        }
        break;
      case State::body:
        body_.push_back(b);
        if (body_.size() == body_len_) state_ = State::dcs;
        break;
      case State::dcs:
        finish_body(b, out);
        break;
    }
  }
  return out;
}

void FrameParser::reset() {
  state_ = State::idle;
  in_wakeup_ = false;
  body_.clear();
}

void FrameParser::idle_byte(std::uint8_t b, std::vector<FrameEvent>& out) {
  ++skipped_;
  if (b == kWakeupByte) {
    if (!in_wakeup_) out.push_back(event(FrameEvent::Kind::wakeup));
    in_wakeup_ = true;
    state_ = State::idle;
    return;
  }
  in_wakeup_ = false;
  state_ = b == 0x00 ? State::zero : State::idle;
}

void FrameParser::finish_header(std::uint8_t lcs, std::vector<FrameEvent>& out) {
  extended_ = false;
  if (len_ == 0x00 && lcs == 0xFF) {
    out.push_back(event(FrameEvent::Kind::ack));
    state_ = State::idle;
  } else if (len_ == 0xFF && lcs == 0x00) {
    out.push_back(event(FrameEvent::Kind::nack));
    state_ = State::idle;
  } else if (len_ == 0xFF && lcs == 0xFF) {
    extended_ = true;
    state_ = State::ext_m;
  } else if (((len_ + lcs) & 0xFF) != 0) {
    out.push_back(event(FrameEvent::Kind::corrupt));
    state_ = State::idle;
  } else {
    start_body(len_, out);
  }
}

void FrameParser::start_body(std::size_t length, std::vector<FrameEvent>& out) {
  if (length == 0 || length > kMaxFrameBody) {
    out.push_back(event(FrameEvent::Kind::corrupt));
    state_ = State::idle;
    return;
  }
  body_len_ = length;
  body_.clear();
  state_ = State::body;
}

void FrameParser::finish_body(std::uint8_t dcs, std::vector<FrameEvent>& out) {
  state_ = State::idle;
  std::span<const std::uint8_t> rest(body_.data() + 1, body_.size() - 1);
  if (checksum_of(body_[0], rest) != dcs) {
    out.push_back(event(FrameEvent::Kind::corrupt));
    return;
  }
  FrameEvent event;
  event.tfi = body_[0];
  event.extended = extended_;
  if (!extended_ && body_.size() == 1 && event.tfi == kTfiSyntaxError) {
    event.kind = FrameEvent::Kind::error;
  } else {
    event.kind = FrameEvent::Kind::info;
    event.data.assign(rest.begin(), rest.end());
  }
  out.push_back(std::move(event));
}

hal::Bytes encode_info_frame(std::uint8_t tfi, std::span<const std::uint8_t> data) {
  const std::size_t length = data.size() + 1;
  hal::Bytes frame;
  frame.reserve(length + 10);
  frame.push_back(0x00);
  frame.push_back(0x00);
  frame.push_back(0xFF);
  if (length <= 0xFF) {
    frame.push_back(static_cast<std::uint8_t>(length));
    frame.push_back(static_cast<std::uint8_t>(0x100 - length));
  } else {
    const auto m = static_cast<std::uint8_t>(length >> 8);
    const auto l = static_cast<std::uint8_t>(length & 0xFF);
    frame.push_back(0xFF);
    frame.push_back(0xFF);
    frame.push_back(m);
    frame.push_back(l);
    frame.push_back(static_cast<std::uint8_t>(0x100 - ((m + l) & 0xFF)));
  }
  frame.push_back(tfi);
  frame.insert(frame.end(), data.begin(), data.end());
  frame.push_back(checksum_of(tfi, data));
  frame.push_back(0x00);
  return frame;
}

hal::Bytes ack_frame() {
  return {0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00};
}

hal::Bytes nack_frame() {
  return {0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00};
}

hal::Bytes syntax_error_frame() {
  return {0x00, 0x00, 0xFF, 0x01, 0xFF, kTfiSyntaxError, 0x81, 0x00};
}

}  // namespace gate::sim::pn532
