#include "sim/scanner/scanner_emulator.h"

#include <unistd.h>

#include <cerrno>
#include <string>

namespace gate::sim {
namespace {

std::string_view terminator_bytes(ScannerEmulator::Terminator terminator) {
  switch (terminator) {
    case ScannerEmulator::Terminator::cr:
      return "\r";
    case ScannerEmulator::Terminator::lf:
      return "\n";
    case ScannerEmulator::Terminator::crlf:
      return "\r\n";
  }
  return "\r\n";
}

}  // namespace

Result<std::unique_ptr<ScannerEmulator>> ScannerEmulator::start(std::string link_path) {
  std::unique_ptr<ScannerEmulator> emulator(new ScannerEmulator(std::move(link_path)));
  GATE_TRY(emulator->reopen());
  return emulator;
}

ScannerEmulator::~ScannerEmulator() {
  close();
}

std::string ScannerEmulator::slave_path() const {
  std::lock_guard lock(mu_);
  return pty_.slave_path;
}

Status ScannerEmulator::send_line(std::string_view text, Terminator terminator) {
  std::string line(text);
  line += terminator_bytes(terminator);
  return send_bytes(line);
}

Status ScannerEmulator::send_bytes(std::string_view bytes) {
  std::lock_guard lock(mu_);
  if (!pty_.master) return make_error(Errc::io_error, "scanner emulator: unplugged");
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(pty_.master.get(), bytes.data() + done, bytes.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // the port is full (non-blocking master): the rest is lost
    }
  }
  sent_ += done;
  dropped_ += bytes.size() - done;
  return ok_status();
}

void ScannerEmulator::close() {
  std::lock_guard lock(mu_);
  pty::close_linked_pty(pty_, link_path_);
}

Status ScannerEmulator::reopen() {
  close();
  std::lock_guard lock(mu_);
  GATE_TRY_ASSIGN(pty_, pty::open_linked_pty(link_path_));
  return ok_status();
}

bool ScannerEmulator::is_open() const {
  std::lock_guard lock(mu_);
  return static_cast<bool>(pty_.master);
}

std::size_t ScannerEmulator::bytes_sent() const {
  std::lock_guard lock(mu_);
  return sent_;
}

std::size_t ScannerEmulator::bytes_dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

}  // namespace gate::sim
