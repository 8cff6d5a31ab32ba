// ScannerEmulator: a QR code scanner module on a pseudo-terminal, for hosts that read a real one
// over its UART or USB-CDC port (the board's SerialCodeScanner: device = the link path). The
// scanner only talks: each control call writes its bytes to the pty master at once, in the
// caller's thread, so there is no server thread and nothing sleeps; what a host writes to the
// port is ignored. The control API is thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "hal/result.h"
#include "sim/pty/pty.h"

namespace gate::sim {

class ScannerEmulator {
 public:
  // What ends a line: scanner modules are set to one of these.
  enum class Terminator { cr, lf, crlf };

  // Opens a pty and points `link_path` at its slave (atomically replacing anything there).
  // Errc::io_error when the pty or the link cannot be made.
  static Result<std::unique_ptr<ScannerEmulator>> start(std::string link_path);
  // Closes the pty and removes the link if it still points at this emulator.
  ~ScannerEmulator();
  ScannerEmulator(const ScannerEmulator&) = delete;
  ScannerEmulator& operator=(const ScannerEmulator&) = delete;

  // The stable path hosts open, and the pty slave it points at now (empty while closed).
  const std::string& link_path() const { return link_path_; }
  std::string slave_path() const;

  // The scanner decodes a code: `text` and `terminator` in one write. Errc::io_error while closed.
  Status send_line(std::string_view text, Terminator terminator = Terminator::crlf);
  // Any bytes, as they are (a partial line, garbage, NUL, over-long input), in one write.
  // Errc::io_error while closed.
  Status send_bytes(std::string_view bytes);

  // The scanner is unplugged: the pty closes, so a host that has the port open sees a hang-up
  // and I/O errors, and the link is removed.
  void close();
  // It is plugged in again: a new pty behind the same link. Errc::io_error as start().
  Status reopen();
  // Whether the pty is open (false after close()).
  bool is_open() const;

  // Bytes written to the port so far, and bytes it had no room for (a host that stopped reading
  // loses them, as on a UART).
  std::size_t bytes_sent() const;
  std::size_t bytes_dropped() const;

 private:
  explicit ScannerEmulator(std::string link_path) : link_path_(std::move(link_path)) {}

  const std::string link_path_;
  mutable std::mutex mu_;  // guards everything below
  pty::Pty pty_;
  std::size_t sent_ = 0;
  std::size_t dropped_ = 0;
};

}  // namespace gate::sim
