#include "sim/devices/sim_gate_mechanism.h"

#include <utility>

namespace gate::sim {

void SimGateMechanism::add_passages(std::uint32_t n) {
  std::lock_guard lock(mu_);
  passages_ += n;
}

void SimGateMechanism::set_emergency(bool active) {
  std::lock_guard lock(mu_);
  emergency_ = active;
}

void SimGateMechanism::set_relay_fails(bool fails) {
  std::lock_guard lock(mu_);
  relay_fails_ = fails;
}

void SimGateMechanism::set_sensor_fails(bool fails) {
  std::lock_guard lock(mu_);
  sensor_fails_ = fails;
}

void SimGateMechanism::set_emergency_fails(bool fails) {
  std::lock_guard lock(mu_);
  emergency_fails_ = fails;
}

void SimGateMechanism::set_sensor_stuck(bool stuck) {
  std::lock_guard lock(mu_);
  sensor_stuck_ = stuck;
}

void SimGateMechanism::set_barrier_frozen(bool frozen) {
  std::lock_guard lock(mu_);
  barrier_frozen_ = frozen;
  if (!frozen) barrier_open_ = open_;  // freed, the barrier goes where the relay drives it
}

void SimGateMechanism::set_has_feedback(bool has) {
  std::lock_guard lock(mu_);
  has_feedback_ = has;
}

bool SimGateMechanism::relay_open() const {
  std::lock_guard lock(mu_);
  return open_;
}

std::vector<RelayChange> SimGateMechanism::history() const {
  std::lock_guard lock(mu_);
  return history_;
}

std::size_t SimGateMechanism::open_count() const {
  std::lock_guard lock(mu_);
  return open_count_;
}

Status SimGateMechanism::do_set_open(bool open) {
  std::lock_guard lock(mu_);
  if (relay_fails_) return make_error(Errc::io_error, "sim gate: relay output failed");
  if (open == open_) return ok_status();
  open_ = open;
  if (!barrier_frozen_) barrier_open_ = open;
  history_.push_back(RelayChange{clock_.mono_now(), open});
  if (open) ++open_count_;
  return ok_status();
}

Result<std::uint32_t> SimGateMechanism::do_take_passages() {
  std::lock_guard lock(mu_);
  if (sensor_fails_) return make_error(Errc::io_error, "sim gate: passage sensor failed");
  if (sensor_stuck_) return 0u;
  return std::exchange(passages_, 0u);
}

Result<bool> SimGateMechanism::do_blocked() {
  std::lock_guard lock(mu_);
  if (sensor_fails_) return make_error(Errc::io_error, "sim gate: passage sensor failed");
  return sensor_stuck_;
}

Result<std::optional<bool>> SimGateMechanism::do_barrier_open() {
  std::lock_guard lock(mu_);
  if (!has_feedback_) return std::optional<bool>();
  return std::optional<bool>(barrier_open_);
}

Result<bool> SimGateMechanism::do_active() {
  std::lock_guard lock(mu_);
  if (emergency_fails_) return make_error(Errc::io_error, "sim gate: emergency input failed");
  return emergency_;
}

}  // namespace gate::sim
