// StaffPanel: the station staff's key switch or console at the gate (S9): confirm a staff check,
// or open the gate manually.
#pragma once

#include "hal/result.h"

namespace gate::hal {

enum class StaffCommand {
  none,
  confirm,  // staff confirm the pending staff check
  open,     // staff open the gate for one passage (recorded as `staff_open`)
};

class StaffPanel {
 public:
  virtual ~StaffPanel() = default;
  // The next pending command, or StaffCommand::none. Never blocks. Errc::io_error on failure.
  Result<StaffCommand> take_command() { return do_take_command(); }

 private:
  virtual Result<StaffCommand> do_take_command() = 0;
};

}  // namespace gate::hal
