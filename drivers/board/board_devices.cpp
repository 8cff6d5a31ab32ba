#include "drivers/board/board_devices.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "drivers/serial_code_scanner.h"
#include "drivers/systemd_notifier.h"
#include "hal/log.h"

namespace gate::board {
namespace {

// One device setting checked against the drivers of this build. `problem` empty: usable.
struct DeviceSetting {
  std::string found;
  std::string problem;
};

DeviceSetting reader_setting(const std::string& reader) {
  if (reader == "direct") {
    return {"",
            "reader = direct is the simulator's card reader; a board names its libnfc device "
            "(for example reader = pn532_uart:/dev/ttyS1)"};
  }
  if (reader.find(':') == std::string::npos && reader.find("_usb") == std::string::npos) {
    return {"", "reader = " + reader +
                    ": not a libnfc connection string (pn532_uart:/dev/ttyS1, "
                    "pn532_i2c:/dev/i2c-1, acr122_usb, ...)"};
  }
  return {"reader: libnfc " + reader + " (opened at start-up; reader-down until it answers)", ""};
}

DeviceSetting scanner_setting(const std::string& scanner) {
  if (scanner == "none") return {"scanner: none (cards only)", ""};
  if (scanner == "direct") {
    return {"",
            "scanner = direct is the simulator's code scanner; a board names its serial "
            "device (scanner = /dev/ttyACM0) or none"};
  }
  if (scanner.empty() || scanner.front() != '/') {
    return {"", "scanner = " + scanner +
                    ": not a serial device path (/dev/ttyACM0, /dev/ttyS2, "
                    "/dev/serial/by-id/...) or none"};
  }
  return {"scanner: serial " + scanner + " at " +
              std::to_string(drivers::SerialScannerConfig{}.baud) +
              " baud (opened by the gate loop, retried while it is missing)",
          ""};
}

// Relay, passage sensors, emergency input and the display have no configuration keys until their
// drivers exist; saying so keeps a board from ever running on assumed hardware.
const DeviceSetting kMechanism{"",
                               "gate mechanism: this build has no relay / passage sensor / "
                               "emergency input driver yet"};
const DeviceSetting kIndicator{"", "indicator: this build has no display driver yet"};

// Checked without opening it: opening a watchdog device starts its countdown, and a
// --check-config run would then reset the board a few seconds after it exits.
DeviceSetting watchdog_device_setting(const app::Config& config) {
  const std::string& path = config.watchdog_device;
  if (path.empty()) return {"watchdog device: none (watchdog_device not set)", ""};
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return {"", "watchdog_device = " + path + ": " + std::strerror(errno)};
  }
  if (!S_ISCHR(st.st_mode)) {
    return {"", "watchdog_device = " + path + ": not a character device"};
  }
  const auto secs = std::chrono::ceil<std::chrono::seconds>(config.watchdog_timeout).count();
  return {"watchdog device: " + path + " (opened last at start-up, timeout " +
              std::to_string(secs) + "s asked; not opened here: that would start it)",
          ""};
}

DeviceSetting watchdog_setting() {
  if (drivers::SystemdNotifier::open_from_environment().ok()) {
    auto interval = drivers::SystemdNotifier::watchdog_interval_from_environment();
    return {
        "watchdog: systemd" + std::string(interval ? " (WatchdogSec set)" : " (no WatchdogSec)"),
        ""};
  }
  return {
      "watchdog: systemd's, once started by the gate-validator unit (NOTIFY_SOCKET is unset "
      "here)",
      ""};
}

std::vector<DeviceSetting> settings(const app::Config& config) {
  return {reader_setting(config.reader),
          scanner_setting(config.scanner),
          kMechanism,
          kIndicator,
          watchdog_setting(),
          watchdog_device_setting(config)};
}

}  // namespace

Status BoardDevices::disarm_watchdog() {
  return watchdog_device ? watchdog_device->disarm() : ok_status();
}

Result<std::unique_ptr<drivers::WatchdogSet>> open_watchdogs(const app::Config& config,
                                                             drivers::LinuxWatchdog** device) {
  auto set = std::make_unique<drivers::WatchdogSet>();
  *device = nullptr;
  if (!config.watchdog_device.empty()) {
    GATE_TRY_ASSIGN(drivers::LinuxWatchdog wd,
                    drivers::LinuxWatchdog::open(config.watchdog_device, config.watchdog_timeout));
    // What the driver granted may differ from what was asked (drivers have a range and a
    // granularity): the log says which timeout the board actually runs under.
    const std::string granted =
        wd.granted_timeout() ? std::to_string(wd.granted_timeout()->count()) + "s" : "unknown";
    log(LogLevel::info, "board",
        "watchdog " + wd.path() + ": timeout " + granted + " (asked " +
            std::to_string(wd.requested_timeout().count()) + "s)" +
            (wd.timeout_note().empty() ? "" : "; " + wd.timeout_note()));
    auto owned = std::make_unique<drivers::LinuxWatchdog>(std::move(wd));
    *device = owned.get();
    set->add("device", std::move(owned));
  }
  if (auto notifier = drivers::SystemdNotifier::open_from_environment(); notifier.ok()) {
    set->add("systemd", std::make_unique<drivers::SystemdNotifier>(std::move(*notifier)));
  }
  return set;
}

control::Devices BoardDevices::view() {
  return control::Devices{clock,      *reader,     scanner.get(), *mechanism,
                          *indicator, staff.get(), *watchdog};
}

DeviceReport check_devices(const app::Config& config) {
  DeviceReport report;
  for (const DeviceSetting& s : settings(config)) {
    if (!s.found.empty()) report.found.push_back(s.found);
    if (!s.problem.empty()) report.problems.push_back(s.problem);
  }
  return report;
}

Result<std::unique_ptr<BoardDevices>> open_devices(const app::Config& config) {
  DeviceReport report = check_devices(config);
  auto watchdog = drivers::SystemdNotifier::open_from_environment();
  if (!watchdog.ok()) {
    report.problems.push_back("watchdog: " + watchdog.error().message +
                              "; gate-validator runs under its systemd unit, which supervises it");
  }
  std::string all;
  for (const std::string& p : report.problems) all += (all.empty() ? "" : "\n") + p;
  // The gate mechanism and the indicator have no driver yet, so a board stops here with every
  // problem named rather than running on assumed hardware. When they exist, this opens the
  // libnfc reader (drivers/libnfc_card_reader.h), the serial scanner
  // (drivers/serial_code_scanner.h) and the rest, and then, last (its countdown starts at open,
  // and a start-up that fails after it would leave the board to be reset), open_watchdogs()
  // into `watchdog` and `watchdog_device`.
  return make_error(Errc::unsupported, all);
}

}  // namespace gate::board
