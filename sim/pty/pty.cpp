#include "sim/pty/pty.h"

#include <fcntl.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

namespace gate::sim::pty {
namespace {

Error io_error(const std::string& what) {
  return make_error(Errc::io_error, "pty: " + what + ": " + std::strerror(errno));
}

std::string read_link(const std::string& link) {
  std::vector<char> buf(4096);
  ssize_t n = ::readlink(link.c_str(), buf.data(), buf.size());
  if (n < 0 || static_cast<std::size_t>(n) >= buf.size()) return {};
  return std::string(buf.data(), static_cast<std::size_t>(n));
}

}  // namespace

Result<Pty> open_pty() {
  Pty pty;
  pty.master.reset(::posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
  if (!pty.master) return io_error("posix_openpt");
  if (::grantpt(pty.master.get()) != 0) return io_error("grantpt");
  if (::unlockpt(pty.master.get()) != 0) return io_error("unlockpt");
  char name[128];
  if (::ptsname_r(pty.master.get(), name, sizeof name) != 0) return io_error("ptsname");
  pty.slave_path = name;
  pty.slave.reset(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!pty.slave) return io_error("open " + pty.slave_path);
  // Termios requests on either side act on the line discipline the host's bytes go through.
  termios tio{};
  if (::tcgetattr(pty.slave.get(), &tio) != 0) return io_error("tcgetattr");
  ::cfmakeraw(&tio);
  tio.c_cc[VMIN] = 1;
  tio.c_cc[VTIME] = 0;
  ::cfsetspeed(&tio, B115200);
  if (::tcsetattr(pty.slave.get(), TCSANOW, &tio) != 0) return io_error("tcsetattr");
  return pty;
}

Status replace_symlink(const std::string& target, const std::string& link) {
  static std::atomic<unsigned> counter{0};
  const std::string temp =
      link + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  ::unlink(temp.c_str());
  if (::symlink(target.c_str(), temp.c_str()) != 0) return io_error("symlink " + temp);
  if (::rename(temp.c_str(), link.c_str()) != 0) {
    Error error = io_error("rename to " + link);
    ::unlink(temp.c_str());
    return error;
  }
  return ok_status();
}

void remove_symlink_if_ours(const std::string& link, const std::string& target) {
  if (!link.empty() && !target.empty() && read_link(link) == target) ::unlink(link.c_str());
}

Result<Pty> open_linked_pty(const std::string& link) {
  GATE_TRY_ASSIGN(Pty pty, open_pty());
  GATE_TRY(replace_symlink(pty.slave_path, link));
  return pty;
}

void close_linked_pty(Pty& pty, const std::string& link) {
  // The link goes first: once the master closes, the kernel may give its /dev/pts/N to another pty.
  remove_symlink_if_ours(link, pty.slave_path);
  pty = Pty{};
}

}  // namespace gate::sim::pty
