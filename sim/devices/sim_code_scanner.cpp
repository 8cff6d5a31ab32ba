#include "sim/devices/sim_code_scanner.h"

#include <utility>

namespace gate::sim {

void SimCodeScanner::push_line(std::string text) {
  std::lock_guard lock(mu_);
  lines_.push_back(std::move(text));
}

void SimCodeScanner::set_down(bool down) {
  std::lock_guard lock(mu_);
  down_ = down;
}

std::size_t SimCodeScanner::pending() const {
  std::lock_guard lock(mu_);
  return lines_.size();
}

Result<std::optional<hal::ScannedLine>> SimCodeScanner::do_read_line(
    std::chrono::milliseconds /*timeout*/) {
  std::lock_guard lock(mu_);
  if (down_) return make_error(Errc::device_lost, "sim scanner: down");
  if (lines_.empty()) return std::optional<hal::ScannedLine>();
  hal::ScannedLine line{std::move(lines_.front()), clock_.mono_now()};
  lines_.pop_front();
  return std::optional<hal::ScannedLine>(std::move(line));
}

}  // namespace gate::sim
