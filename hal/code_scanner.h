// CodeScanner: a QR scanner module that delivers one decoded line per code (UART or USB-CDC; or
// simulated).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "hal/result.h"
#include "hal/time.h"

namespace gate::hal {

struct ScannedLine {
  std::string text;           // without the line terminator; may hold any bytes the scanner sent
  MonoInstant received_at{};  // when the last byte of the line arrived
};

class CodeScanner {
 public:
  virtual ~CodeScanner() = default;
  // Waits at most `timeout` for one complete line; std::nullopt when none arrived.
  // Errors: Errc::io_error (a read failed), Errc::device_lost (scanner gone; reopen with backoff).
  Result<std::optional<ScannedLine>> read_line(std::chrono::milliseconds timeout) {
    return do_read_line(timeout);
  }

 private:
  virtual Result<std::optional<ScannedLine>> do_read_line(std::chrono::milliseconds timeout) = 0;
};

}  // namespace gate::hal
