// Pseudo-terminals for the device emulators (PN532 reader, code scanner), and the stable symlink
// that names one. A host opens the slave side (/dev/pts/N, through the link) as if it were the
// device's UART; the emulator reads and writes the master side.
#pragma once

#include <string>

#include "drivers/unique_fd.h"
#include "hal/result.h"

namespace gate::sim::pty {

using drivers::UniqueFd;

// A pty pair in raw mode (no echo, no character translation, 8 data bits). The emulator keeps
// `slave` open itself so that the master never reports a hang-up while no host has the port
// open; a host that closes and reopens the port finds the emulator still serving it, and bytes
// sent before a host opens the port wait for it.
struct Pty {
  UniqueFd master;  // non-blocking
  UniqueFd slave;
  std::string slave_path;  // /dev/pts/N
};

// posix_openpt, grantpt, unlockpt, raw termios. Errc::io_error with errno text on failure.
Result<Pty> open_pty();

// Makes `link` a symlink to `target`, replacing whatever `link` was in one step (a symlink under
// a temporary name in the same directory, renamed over `link`), so that a host never finds the
// link missing. Errc::io_error on failure.
Status replace_symlink(const std::string& target, const std::string& link);

// Removes `link` if it is a symlink pointing at `target` (another emulator may have taken it).
void remove_symlink_if_ours(const std::string& link, const std::string& target);

// A new pty with `link` pointing at its slave (open_pty, then replace_symlink); nothing is left
// open or linked on failure.
Result<Pty> open_linked_pty(const std::string& link);

// The device is unplugged: removes `link` if it still names `pty`'s slave, then closes the pty,
// so a host holding the slave open sees a hang-up. Leaves `pty` empty.
void close_linked_pty(Pty& pty, const std::string& link);

}  // namespace gate::sim::pty
