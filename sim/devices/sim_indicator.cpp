#include "sim/devices/sim_indicator.h"

namespace gate::sim {

void SimIndicator::set_fails(bool fails) {
  std::lock_guard lock(mu_);
  fails_ = fails;
}

hal::IndicatorState SimIndicator::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

std::vector<IndicatorShown> SimIndicator::history() const {
  std::lock_guard lock(mu_);
  return history_;
}

Status SimIndicator::do_show(const hal::IndicatorState& state) {
  std::lock_guard lock(mu_);
  if (fails_) return make_error(Errc::io_error, "sim indicator: display did not take the state");
  current_ = state;
  history_.push_back(IndicatorShown{clock_.mono_now(), state});
  return ok_status();
}

}  // namespace gate::sim
