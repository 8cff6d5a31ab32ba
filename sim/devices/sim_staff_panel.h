// SimStaffPanel: a simulated staff key switch / console: commands pushed by a test or the scenario
// runner come out of take_command() in order. Thread-safe.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>

#include "hal/staff_panel.h"

namespace gate::sim {

class SimStaffPanel final : public hal::StaffPanel {
 public:
  // Queues `command` (staff pressed a key).
  void push(hal::StaffCommand command);
  // While true, take_command() fails with Errc::io_error; queued commands wait.
  void set_fails(bool fails);
  // Commands queued and not yet taken.
  std::size_t pending() const;

 private:
  Result<hal::StaffCommand> do_take_command() override;

  mutable std::mutex mu_;
  std::deque<hal::StaffCommand> commands_;
  bool fails_ = false;
};

}  // namespace gate::sim
