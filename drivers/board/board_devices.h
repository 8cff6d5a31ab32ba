// The board's devices, as its configuration names them, opened with the drivers this build has.
// A setting this build cannot serve is a problem reported in words, never a silent fall-back to
// the simulator's devices (`direct` is the simulator's and is refused here).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "drivers/linux_watchdog.h"
#include "drivers/system_clock.h"
#include "drivers/watchdog_set.h"
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
  // Every watchdog the board has (the kernel's device, systemd's notification), kicked as one.
  std::unique_ptr<drivers::WatchdogSet> watchdog;
  drivers::LinuxWatchdog* watchdog_device = nullptr;  // in `watchdog`; null without watchdog_device

  // The firmware's view of them (valid while this object lives).
  control::Devices view();
  // The clean stop's magic close of the kernel's watchdog (SIGTERM only; a crash or a stalled loop
  // must still reset the board). Ok without a device.
  Status disarm_watchdog();
};

struct DeviceReport {
  std::vector<std::string> found;
  std::vector<std::string> problems;
};

// What each device setting of `config` names and whether this build can drive it, without
// opening anything (for --check-config).
DeviceReport check_devices(const app::Config& config);

// The board's watchdogs: the kernel's `config.watchdog_device` (if set; opening it starts the
// countdown, so a caller opens it last, once nothing else can fail) and systemd's notification
// (when $NOTIFY_SOCKET names one; without it, only the device). `device` is set to the kernel's
// watchdog inside the set, for disarm. An error (the device cannot be opened) names the device.
Result<std::unique_ptr<drivers::WatchdogSet>> open_watchdogs(const app::Config& config,
                                                             drivers::LinuxWatchdog** device);

// Opens every device. On any problem, the error lists all of them (one per line).
Result<std::unique_ptr<BoardDevices>> open_devices(const app::Config& config);

}  // namespace gate::board
