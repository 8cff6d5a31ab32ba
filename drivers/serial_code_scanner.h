// SerialCodeScanner: the board's hal::CodeScanner for QR scanner modules on a UART or a USB-CDC
// port (/dev/ttyS2, /dev/ttyACM0, ...) that send one decoded line per code.
//
// Bounded by design. read_line waits in poll() at most its timeout and never sleeps or spins; with
// a zero timeout it still takes what the port holds already (at most a line's worth of bytes).
// The port is opened by the first read_line, in raw mode, and locked against a second program
// (flock and TIOCEXCL). A port that hangs up, fails or vanishes is closed and reported as
// Errc::device_lost, then reopened by later calls: at the next call first, then with a backoff
// doubling from backoff_min to backoff_max on the injected clock. While it is down read_line still
// waits out its timeout (on an eventfd), so a caller's loop does not spin. Loss and recovery are
// logged once each. interrupt() (any thread) ends a wait, for shutdown. Timeouts are real time
// (they bound poll()); the backoff and ScannedLine::received_at use the injected clock.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "drivers/line_assembler.h"
#include "drivers/unique_fd.h"
#include "hal/clock.h"
#include "hal/code_scanner.h"

namespace gate::drivers {

struct SerialScannerConfig {
  std::string device;          // "/dev/ttyACM0", "/dev/ttyS2", or a symlink to one
  unsigned baud = 9600;        // the usual default of UART modules; a USB-CDC port ignores it
  std::size_t max_line = 512;  // longer lines are dropped (a TRC1 code is 337 characters)
  // Reopen attempts after a loss: the first at the next call, then after backoff_min, doubling up
  // to backoff_max.
  std::chrono::milliseconds backoff_min{250};
  std::chrono::milliseconds backoff_max{4000};
};

class SerialCodeScanner final : public hal::CodeScanner {
 public:
  // Checks the configuration; the port is opened by the first read_line (a scanner missing at
  // start-up is then down and recovers by itself). Errc::invalid_argument for an empty device, a
  // baud rate termios has no speed for, a zero max_line or backoff_min over backoff_max.
  static Result<std::unique_ptr<SerialCodeScanner>> create(const hal::Clock& clock,
                                                           SerialScannerConfig config);
  ~SerialCodeScanner() override;
  SerialCodeScanner(const SerialCodeScanner&) = delete;
  SerialCodeScanner& operator=(const SerialCodeScanner&) = delete;

  // Thread-safe. Ends an in-flight read_line's wait at once; every later read_line returns no
  // line at once. For shutdown.
  void interrupt();

  // Whether the port is open now (false before the first read_line and while down).
  bool device_open() const { return open_.load(); }

 private:
  SerialCodeScanner(const hal::Clock& clock, SerialScannerConfig config, unsigned speed,
                    UniqueFd wake);

  Result<std::optional<hal::ScannedLine>> do_read_line(std::chrono::milliseconds timeout) override;

  // Opens, locks and configures the port. Errc::device_lost with the path and errno text.
  Status open_device();
  // Reads until a line is complete, the deadline passes or the port fails.
  Result<std::optional<hal::ScannedLine>> read_until(
      std::chrono::steady_clock::time_point deadline);
  // One read of what poll() reported; the number of bytes taken.
  Result<std::size_t> read_some();
  void close_device();
  Error lose_device(const std::string& what);
  // Waits up to `d` of real time unless interrupted.
  void wait(std::chrono::steady_clock::duration d);

  const hal::Clock& clock_;
  const SerialScannerConfig config_;
  const unsigned speed_;  // termios speed_t for config_.baud
  UniqueFd fd_;
  UniqueFd wake_;  // eventfd: interrupt() ends waits
  std::atomic<bool> open_{false};
  std::atomic<bool> interrupted_{false};
  LineAssembler lines_;
  std::chrono::milliseconds backoff_;
  MonoInstant next_open_{};
  std::string last_loss_;
  bool down_logged_ = false;  // the current loss (or failure to open) was logged
};

}  // namespace gate::drivers
