#include "sim/gate_sim/sim_gate.h"

#include "sim/cards/card_factory.h"
#include "sim/cards/faulty_card.h"
#include "sim/gate_sim/gate_faults.h"
#include "sim/gate_sim/io_faults.h"

namespace gate::sim {

SimGate::SimGate(const app::Config& config, Instant start)
    : config_(config),
      clock_(start),
      reader_(clock_),
      scanner_(clock_),
      mechanism_(clock_),
      indicator_(clock_),
      watchdog_(clock_, config.watchdog_timeout) {}

Result<std::unique_ptr<SimGate>> SimGate::create(const app::Config& config, Instant start,
                                                 control::EntryObserver observer) {
  std::unique_ptr<SimGate> g(new SimGate(config, start));
  hal::CardReader* reader = &g->reader_;
  if (config.reader == "pn532") {
    GATE_TRY_ASSIGN(g->pn532_, Pn532Emulator::start(g->device_dir_.file("pn532")));
    drivers::LibnfcReaderConfig nfc;
    nfc.connstring = g->pn532_->connstring();
    GATE_TRY_ASSIGN(g->libnfc_, drivers::LibnfcCardReader::create(g->clock_, nfc));
    reader = g->libnfc_.get();
  } else if (config.reader != "direct") {
    return make_error(
        Errc::invalid_argument,
        "reader: the simulator has `direct` and `pn532`, not `" + config.reader + "`");
  }
  hal::CodeScanner* scanner = &g->scanner_;
  if (config.scanner == "serial") {
    GATE_TRY_ASSIGN(g->scanner_emulator_, ScannerEmulator::start(g->device_dir_.file("scanner")));
    drivers::SerialScannerConfig serial;
    serial.device = g->scanner_emulator_->link_path();
    GATE_TRY_ASSIGN(g->serial_scanner_, drivers::SerialCodeScanner::create(g->clock_, serial));
    scanner = g->serial_scanner_.get();
  } else if (config.scanner != "direct") {
    return make_error(
        Errc::invalid_argument,
        "scanner: the simulator has `direct` and `serial`, not `" + config.scanner + "`");
  }
  g->devices_.emplace(control::Devices{g->clock_, *reader, scanner, g->mechanism_, g->indicator_,
                                       &g->staff_, g->watchdog_});
  g->loop_config_ = config.loop;
  g->loop_config_.reader_poll = std::chrono::milliseconds(0);  // simulated devices answer at once
  // The simulator's fixed, public test secret unless the configuration names one.
  g->gate_config_ = config;
  if (g->gate_config_.journal_secret.empty()) {
    g->gate_config_.journal_secret = app::simulator_journal_secret();
  }
  g->observer_ = std::move(observer);
  GATE_TRY(g->start_runtime());
  return g;
}

Status SimGate::start_runtime() {
  GATE_TRY_ASSIGN(runtime_, app::GateRuntime::start(gate_config_, *devices_, loop_config_,
                                                    clock_.wall_now(), observer_, &thread_clock_));
  return ok_status();
}

Status SimGate::step() {
  if (watchdog_.expired()) GATE_TRY(reboot());
  return runtime_->run_once();
}

Status SimGate::advance(Duration d) {
  while (d > Duration::zero()) {
    Duration by = std::min(d, kStep);
    clock_.advance(by);
    d -= by;
    GATE_TRY(step());
  }
  return ok_status();
}

Status SimGate::tap(const ScenarioEvent& event) {
  using K = ScenarioEvent::Kind;
  std::vector<std::shared_ptr<EmulatedCard>> cards;
  if (event.kind == K::tap_bad) {
    cards.push_back(std::make_shared<FaultyCard>(FaultMode::garbage));
  }
  for (const std::string& key : event.keys) {
    CardOptions options;
    options.phone = event.phone;
    if (event.expires) options.valid_until = *event.expires;
    auto card = make_card_for_key(key, options);
    if (!card)
      return make_error(Errc::malformed, "line " + std::to_string(event.line) + ": bad key");
    cards.push_back(std::move(card));
  }
  field().place_many(cards);
  GATE_TRY(step());
  GATE_TRY(advance(event.duration > Duration::zero() ? event.duration : kTapDwell));
  field().remove_all();
  return step();
}

Status SimGate::scan(const ScenarioEvent& event) {
  if (scanner_emulator_) {
    // Written to the pty before the step: the driver's zero-timeout read in the step takes it
    // (a read on a tty first moves what the other end wrote into the line discipline).
    GATE_TRY(scanner_emulator_->send_line(event.text, ScannerEmulator::Terminator::crlf));
  } else {
    scanner_.push_line(event.text);
  }
  return step();
}

Status SimGate::play(const ScenarioEvent& event) {
  using K = ScenarioEvent::Kind;
  switch (event.kind) {
    case K::clock:
      clock_.set_wall(event.at);
      return step();
    case K::wait:
      return advance(event.duration);
    case K::tap:
    case K::tap_many:
    case K::tap_bad:
      return tap(event);
    case K::scan:
      return scan(event);
    case K::pass:
      mechanism_.add_passages(1);
      return step();
    case K::staff_confirm:
      staff_.push(hal::StaffCommand::confirm);
      return step();
    case K::staff_open:
      staff_.push(hal::StaffCommand::open);
      return step();
    case K::emergency_on:
    case K::emergency_off:
      mechanism_.set_emergency(event.kind == K::emergency_on);
      return step();
    case K::fault:
      if (event.text == "sensor-stuck") return play_gate_fault(*this, event);
      if (event.text == "relay-unconfirmed") return play_gate_fault(*this, event);
      if (event.text == "disk-full") return play_gate_fault(*this, event);
      if (is_io_fault(event.text)) return inject_io_fault(*this, event.text, event.on);
      return make_error(Errc::unsupported, "fault " + event.text + " is not simulated yet");
    case K::stall:
      return stall(event.duration);
  }
  return ok_status();
}

Status SimGate::stall(Duration d) {
  clock_.advance(d);
  return step();
}

// The power cut a watchdog reset is: the old runtime goes (its threads stopped, its SQLite
// connections closed; every record it journaled was durable before its relay moved), the board
// boots with a fresh watchdog countdown, and the firmware starts again on the same files. The boot
// itself takes no simulated time.
Status SimGate::reboot() {
  ++watchdog_resets_;
  runtime_.reset();
  watchdog_.restart();
  if (on_watchdog_reset_) on_watchdog_reset_(clock_.wall_now());
  return start_runtime();
}

}  // namespace gate::sim
