#include "sim/devices/sim_staff_panel.h"

namespace gate::sim {

void SimStaffPanel::push(hal::StaffCommand command) {
  std::lock_guard lock(mu_);
  commands_.push_back(command);
}

void SimStaffPanel::set_fails(bool fails) {
  std::lock_guard lock(mu_);
  fails_ = fails;
}

std::size_t SimStaffPanel::pending() const {
  std::lock_guard lock(mu_);
  return commands_.size();
}

Result<hal::StaffCommand> SimStaffPanel::do_take_command() {
  std::lock_guard lock(mu_);
  if (fails_) return make_error(Errc::io_error, "sim staff panel: read failed");
  if (commands_.empty()) return hal::StaffCommand::none;
  hal::StaffCommand command = commands_.front();
  commands_.pop_front();
  return command;
}

}  // namespace gate::sim
