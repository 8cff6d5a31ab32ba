// SimCodeScanner: a hal::CodeScanner fed by push_line(), plus fault control. read_line() never
// sleeps: it answers from the queue as it is now, whatever the timeout. Safe to feed from another
// thread than the one reading.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <string>

#include "hal/clock.h"
#include "hal/code_scanner.h"

namespace gate::sim {

class SimCodeScanner final : public hal::CodeScanner {
 public:
  // `clock` stamps ScannedLine::received_at (the time of read_line); it must outlive the scanner.
  explicit SimCodeScanner(const hal::Clock& clock) : clock_(clock) {}

  // Queues one decoded line (without terminator; any bytes).
  void push_line(std::string text);
  // Scanner lost (true) or back (false). While down, read_line() fails with Errc::device_lost and
  // queued lines wait for it to come back.
  void set_down(bool down);
  // Lines queued and not yet read.
  std::size_t pending() const;

 private:
  Result<std::optional<hal::ScannedLine>> do_read_line(std::chrono::milliseconds timeout) override;

  const hal::Clock& clock_;
  mutable std::mutex mu_;
  std::deque<std::string> lines_;
  bool down_ = false;
};

}  // namespace gate::sim
