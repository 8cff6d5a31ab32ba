// gate-validator: the board program, the board's composition root. It reads the configuration,
// opens the board's devices with the real drivers (never the simulator's), starts the firmware
// (app::GateRuntime) and runs the gate loop under its watchdogs (systemd's, and the kernel's
// watchdog_device) until SIGTERM, which alone disarms the kernel's.
//   gate-validator [--config FILE] [--set KEY=VALUE]... [--check-config]
//   gate-validator --version
#include <mbedtls/version.h>
#include <sqlite3.h>
#include <sys/signalfd.h>

#include <csignal>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "drivers/board/board_devices.h"
#include "drivers/systemd_notifier.h"
#include "drivers/unique_fd.h"
#include "firmware/app/gate_runtime.h"
#include "firmware/app/setup_check.h"
#include "hal/log.h"

namespace {

constexpr const char* kDefaultConfig = "/etc/gate-validator/gate-validator.conf";
constexpr const char* kUsage =
    "usage: gate-validator [--config FILE] [--set KEY=VALUE]... [--check-config]\n"
    "       gate-validator --version\n"
    "  --config FILE   configuration (default /etc/gate-validator/gate-validator.conf)\n"
    "  --set K=V       override one configuration key\n"
    "  --check-config  check the configuration, the cache, the journal and the devices; print\n"
    "                  what was found; exit 1 on any problem\n";

struct Options {
  std::string config_path = kDefaultConfig;
  std::vector<std::string> overrides;
  bool check = false;
  bool version = false;
};

// Parses the command line; an error message names the bad argument.
gate::Result<Options> parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--check-config") {
      o.check = true;
    } else if (a == "--version") {
      o.version = true;
    } else if ((a == "--config" || a == "--set") && i + 1 < argc) {
      (a == "--config" ? o.config_path : o.overrides.emplace_back()) = argv[++i];
    } else {
      return gate::make_error(gate::Errc::invalid_argument, "unexpected argument `" + a + "`");
    }
  }
  return o;
}

gate::Result<gate::app::Config> load_config(const Options& o) {
  GATE_TRY_ASSIGN(gate::app::Config config, gate::app::load_config_file(o.config_path, false));
  for (const std::string& kv : o.overrides) {
    std::size_t eq = kv.find('=');
    if (eq == std::string::npos) {
      return gate::make_error(gate::Errc::invalid_argument, "--set " + kv + ": expected KEY=VALUE");
    }
    GATE_TRY(gate::app::set_config_value(config, kv.substr(0, eq), kv.substr(eq + 1)));
  }
  GATE_TRY(gate::app::validate_config(config));
  return config;
}

int check_config(const gate::app::Config& config) {
  gate::drivers::SystemClock clock;
  gate::app::SetupReport report = gate::app::check_setup(config, clock.wall_now());
  gate::board::DeviceReport devices = gate::board::check_devices(config);
  report.found.insert(report.found.end(), devices.found.begin(), devices.found.end());
  report.problems.insert(report.problems.end(), devices.problems.begin(), devices.problems.end());
  for (const std::string& line : report.found) std::cout << "ok:      " << line << "\n";
  for (const std::string& line : report.problems) std::cout << "PROBLEM: " << line << "\n";
  std::cout << (report.ok() ? "configuration ok\n" : "configuration has problems\n");
  return report.ok() ? 0 : 1;
}

// Runs the loop until SIGTERM or SIGINT (taken through a signalfd, checked once per iteration;
// each iteration blocks at most the reader's poll time).
int run(const gate::app::Config& config) {
  auto devices = gate::board::open_devices(config);
  if (!devices.ok()) {
    std::cerr << "gate-validator: cannot open the board's devices:\n"
              << devices.error().message << "\n";
    return 1;
  }
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  gate::drivers::UniqueFd stop(signalfd(-1, &stop_signals, SFD_NONBLOCK | SFD_CLOEXEC));
  auto& d = **devices;
  auto runtime = gate::app::GateRuntime::start(config, d.view(), config.loop, d.clock.wall_now());
  if (!runtime.ok()) {
    std::cerr << "gate-validator: " << runtime.error().message << "\n";
    return 1;
  }
  auto notifier = gate::drivers::SystemdNotifier::open_from_environment();
  if (notifier.ok()) (void)notifier->notify("READY=1");
  signalfd_siginfo info;
  while (::read(stop.get(), &info, sizeof info) != sizeof info) {
    gate::Status s = (*runtime)->run_once();
    if (!s.ok()) gate::log(gate::LogLevel::error, "board", s.error().message);
  }
  if (notifier.ok()) (void)notifier->notify("STOPPING=1");
  // systemd's stop is SIGTERM: the one deliberate end, so the kernel's watchdog is stopped with
  // its magic close. Anything else (SIGINT at a console, a crash, a kill) leaves it counting.
  if (info.ssi_signo == SIGTERM) {
    if (gate::Status s = d.disarm_watchdog(); !s.ok()) {
      gate::log(gate::LogLevel::error, "board", s.error().message);
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto options = parse_args(argc, argv);
  if (!options.ok()) {
    std::cerr << "gate-validator: " << options.error().message << "\n" << kUsage;
    return 2;
  }
  if (options->version) {
    std::cout << "gate-validator " << GATE_VERSION << " (" << GATE_TARGET << "), SQLite "
              << sqlite3_libversion() << ", mbedTLS " << MBEDTLS_VERSION_STRING << "\n";
    return 0;
  }
  auto config = load_config(*options);
  if (!config.ok()) {
    std::cerr << "gate-validator: " << config.error().message << "\n";
    return 1;
  }
  return options->check ? check_config(*config) : run(*config);
}
