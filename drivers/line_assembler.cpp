#include "drivers/line_assembler.h"

#include <utility>

namespace gate::drivers {

std::size_t LineAssembler::feed(std::string_view bytes, MonoInstant at) {
  std::size_t dropped = 0;
  for (char c : bytes) {
    // A CR LF ends the line at its CR; the empty line its LF ends is ignored like any other, so
    // a CR LF split across reads needs no state.
    if (c == '\r' || c == '\n') {
      if (!overlong_ && !partial_.empty()) lines_.push_back({std::move(partial_), at});
      partial_.clear();
      overlong_ = false;
      continue;
    }
    if (overlong_) continue;
    if (partial_.size() == max_line_) {
      overlong_ = true;
      partial_.clear();
      ++dropped;
      continue;
    }
    partial_.push_back(c);
  }
  return dropped;
}

std::optional<hal::ScannedLine> LineAssembler::take() {
  if (lines_.empty()) return std::nullopt;
  hal::ScannedLine line = std::move(lines_.front());
  lines_.pop_front();
  return line;
}

void LineAssembler::discard_partial() {
  partial_.clear();
  overlong_ = false;
}

}  // namespace gate::drivers
