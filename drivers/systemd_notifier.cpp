#include "drivers/systemd_notifier.h"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string>

namespace gate::drivers {

Result<SystemdNotifier> SystemdNotifier::open_from_environment() {
  const char* address = std::getenv("NOTIFY_SOCKET");
  if (address == nullptr || *address == '\0') {
    return make_error(Errc::not_found, "NOTIFY_SOCKET is not set (not started by systemd)");
  }
  return open(address);
}

Result<SystemdNotifier> SystemdNotifier::open(std::string_view address) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (address.empty() || address.size() >= sizeof(addr.sun_path)) {
    return make_error(Errc::invalid_argument, "notify socket address empty or too long");
  }
  std::memcpy(addr.sun_path, address.data(), address.size());
  if (address.front() == '@') addr.sun_path[0] = '\0';  // abstract namespace
  auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size());
  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return make_error(Errc::io_error, std::string("notify socket: ") + std::strerror(errno));
  }
  return SystemdNotifier(std::move(fd), addr, len);
}

Status SystemdNotifier::notify(std::string_view assignments) {
  ssize_t n =
      ::sendto(fd_.get(), assignments.data(), assignments.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
               reinterpret_cast<const sockaddr*>(&addr_), addr_len_);
  if (n < 0 || static_cast<std::size_t>(n) != assignments.size()) {
    return make_error(Errc::io_error, std::string("sd_notify: ") + std::strerror(errno));
  }
  return ok_status();
}

std::optional<Duration> SystemdNotifier::watchdog_interval_from_environment() {
  auto number = [](const char* text) -> std::optional<long long> {
    if (text == nullptr) return std::nullopt;
    long long v = 0;
    const char* end = text + std::strlen(text);
    auto [p, ec] = std::from_chars(text, end, v);
    if (ec != std::errc() || p != end || v <= 0) return std::nullopt;
    return v;
  };
  if (const char* pid = std::getenv("WATCHDOG_PID"); pid != nullptr) {
    if (number(pid) != static_cast<long long>(::getpid())) return std::nullopt;
  }
  auto usec = number(std::getenv("WATCHDOG_USEC"));
  if (!usec) return std::nullopt;
  return Duration(*usec);
}

}  // namespace gate::drivers
