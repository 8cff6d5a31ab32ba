// The simulator's composition root: the real firmware (validator, gate controller, main loop,
// cache, journal) on simulated devices, with the scenario events that drive those devices.
// firmware/ never knows it runs here.
//
// The watchdog: before every loop iteration the SimWatchdog (timeout: watchdog_timeout) is
// checked; when a real one would have fired, the simulated board goes through what a real one
// does: the GateRuntime is torn down as by a power cut (no shutdown beyond destructors closing
// SQLite connections, whose records were durable already), the watchdog restarts with the boot,
// and a new GateRuntime starts on the same journal and cache (journaling a new start-up event).
// The `stall D` scenario event is how a test makes that happen: simulated time moves on by D
// while the loop does not run, as during a driver call that hangs.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "drivers/libnfc_card_reader.h"
#include "drivers/serial_code_scanner.h"
#include "drivers/system_clock.h"
#include "firmware/app/config.h"
#include "firmware/app/gate_runtime.h"
#include "sim/cards/card_field.h"
#include "sim/devices/sim_card_reader.h"
#include "sim/devices/sim_clock.h"
#include "sim/devices/sim_code_scanner.h"
#include "sim/devices/sim_gate_mechanism.h"
#include "sim/devices/sim_indicator.h"
#include "sim/devices/sim_staff_panel.h"
#include "sim/devices/sim_watchdog.h"
#include "sim/feed_server/feed_server.h"
#include "sim/gate_sim/scratch_dir.h"
#include "sim/pn532/pn532_emulator.h"
#include "sim/scanner/scanner_emulator.h"
#include "sim/scenario/scenario.h"

namespace gate::sim {

class SimGate {
 public:
  // Time between two loop iterations while simulated time passes.
  static constexpr Duration kStep = std::chrono::milliseconds(10);
  // How long a card stays in the field for a plain `tap`.
  static constexpr Duration kTapDwell = std::chrono::milliseconds(200);

  // Starts the firmware (app::GateRuntime) on the simulated devices at simulated time `start`.
  // config.reader picks the card reader: `direct` (SimCardReader) or `pn532` (a PN532 emulator
  // on a pty in a temporary directory, read by the board's real libnfc driver through libnfc's
  // own pn532_uart driver). config.scanner picks the code scanner: `direct` (SimCodeScanner) or
  // `serial` (a scanner emulator on a pty in the same directory, read by the board's serial
  // scanner driver). Anything else is Errc::invalid_argument.
  static Result<std::unique_ptr<SimGate>> create(const app::Config& config, Instant start,
                                                 control::EntryObserver observer);

  // One loop iteration at the current simulated time; first a reboot if the watchdog has fired.
  Status step();
  // The loop hangs: `d` of simulated time passes without an iteration, then one step.
  Status stall(Duration d);
  // Called at each watchdog reset, with the wall time the board comes back at, before the new
  // runtime starts (gate-sim prints a line).
  void set_on_watchdog_reset(std::function<void(Instant)> callback) {
    on_watchdog_reset_ = std::move(callback);
  }
  // How many watchdog resets the simulated board went through.
  std::size_t watchdog_resets() const { return watchdog_resets_; }
  // Lets `d` of simulated time pass, running the loop every kStep.
  Status advance(Duration d);
  // Carries out one scenario event on the devices and lets the loop react.
  Status play(const ScenarioEvent& event);

  SimClock& clock() { return clock_; }
  SimCardReader& reader() { return reader_; }
  // Where scenario cards go: the simulated reader's field, or the PN532 emulator's.
  CardField& field() { return pn532_ ? static_cast<CardField&>(*pn532_) : reader_; }
  // The PN532 emulator and the libnfc driver reading it (null with reader = direct).
  Pn532Emulator* pn532() { return pn532_.get(); }
  drivers::LibnfcCardReader* libnfc_reader() { return libnfc_.get(); }
  SimCodeScanner& scanner() { return scanner_; }
  // The scanner emulator and the serial driver reading it (null with scanner = direct).
  ScannerEmulator* scanner_emulator() { return scanner_emulator_.get(); }
  drivers::SerialCodeScanner* serial_scanner() { return serial_scanner_.get(); }
  SimGateMechanism& mechanism() { return mechanism_; }
  SimIndicator& indicator() { return indicator_; }
  SimStaffPanel& staff() { return staff_; }
  SimWatchdog& watchdog() { return watchdog_; }
  control::MainLoop& loop() { return runtime_->loop(); }
  app::GateRuntime& runtime() { return *runtime_; }
  // The loopback feed server the gate syncs from, for the feed faults (io_faults.h); not owned.
  void attach_feed_server(FeedServer* server) { feed_server_ = server; }
  FeedServer* feed_server() { return feed_server_; }

 private:
  SimGate(const app::Config& config, Instant start);
  Status tap(const ScenarioEvent& event);
  Status scan(const ScenarioEvent& event);
  Status start_runtime();
  Status reboot();

  app::Config config_;
  SimClock clock_;
  SimCardReader reader_;
  ScratchDir device_dir_;  // holds the emulators' links; outlives the emulators
  std::unique_ptr<Pn532Emulator> pn532_;
  std::unique_ptr<drivers::LibnfcCardReader> libnfc_;
  SimCodeScanner scanner_;
  std::unique_ptr<ScannerEmulator> scanner_emulator_;
  std::unique_ptr<drivers::SerialCodeScanner> serial_scanner_;
  SimGateMechanism mechanism_;
  SimIndicator indicator_;
  SimStaffPanel staff_;
  SimWatchdog watchdog_;
  // What a (re)boot starts the runtime with.
  app::Config gate_config_;
  std::optional<control::Devices> devices_;
  control::LoopConfig loop_config_;
  control::EntryObserver observer_;
  // The worker threads' heartbeats run on real time: their I/O does, while simulated time races.
  drivers::SystemClock thread_clock_;
  std::function<void(Instant)> on_watchdog_reset_;
  std::size_t watchdog_resets_ = 0;
  std::unique_ptr<app::GateRuntime> runtime_;
  FeedServer* feed_server_ = nullptr;
};

}  // namespace gate::sim
