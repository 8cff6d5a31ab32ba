// LineAssembler: the bytes a code scanner sends, cut into lines, whatever pieces the reads return.
// CR, LF and CR LF each end a line (a CR LF is one terminator even when the CR and the LF come in
// different reads: the empty line between them is ignored, as every empty line is); a line longer
// than the maximum is dropped up to its terminator. Every other byte (NUL, non-ASCII) is kept in
// the text as it came.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "hal/code_scanner.h"
#include "hal/time.h"

namespace gate::drivers {

class LineAssembler {
 public:
  // `max_line`: the longest text (without terminator) kept.
  explicit LineAssembler(std::size_t max_line) : max_line_(max_line) {}

  // Takes the bytes of one read, which arrived at `at`; the lines they end are queued with
  // received_at = `at`. Returns how many lines these bytes made over-long (each counted once).
  std::size_t feed(std::string_view bytes, MonoInstant at);
  // The oldest complete line not taken yet.
  std::optional<hal::ScannedLine> take();
  // Forgets the line in progress (the port was lost mid-line); complete lines stay queued.
  void discard_partial();

 private:
  const std::size_t max_line_;
  std::string partial_;
  bool overlong_ = false;  // the line in progress is being dropped
  std::deque<hal::ScannedLine> lines_;
};

}  // namespace gate::drivers
