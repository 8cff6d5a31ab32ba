// The board's devices, as its configuration names them, opened with the drivers this build has.
// A setting this build cannot serve is a problem reported in words, never a silent fall-back to
// the simulator's devices (`direct` is the simulator's and is refused here).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "drivers/system_clock.h"
#include "firmware/app/config.h"
#include "firmware/gate/main_loop.h"
#include "hal/card_reader.h"
#include "hal/code_scanner.h"
#include "hal/gate_mechanism.h"
#include "hal/indicator.h"
#include "hal/staff_panel.h"
#include "hal/watchdog.h"

namespace gate::board {

struct BoardDevices {
  drivers::SystemClock clock;
  std::unique_ptr<hal::CardReader> reader;
  std::unique_ptr<hal::CodeScanner> scanner;  // null: no scanner configured
  std::unique_ptr<hal::GateMechanism> mechanism;
  std::unique_ptr<hal::Indicator> indicator;
  std::unique_ptr<hal::StaffPanel> staff;  // null: no staff panel
  std::unique_ptr<hal::Watchdog> watchdog;

  // The firmware's view of them (valid while this object lives).
  control::Devices view();
};

struct DeviceReport {
  std::vector<std::string> found;
  std::vector<std::string> problems;
};

// What each device setting of `config` names and whether this build can drive it, without
// opening anything (for --check-config).
DeviceReport check_devices(const app::Config& config);

// Opens every device. On any problem, the error lists all of them (one per line).
Result<std::unique_ptr<BoardDevices>> open_devices(const app::Config& config);

}  // namespace gate::board
