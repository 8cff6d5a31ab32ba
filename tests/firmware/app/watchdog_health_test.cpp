// The runtime's watchdog kicks follow its health: a worker thread stuck on one step (here the
// journal uploader in a TLS handshake nobody answers) past its bound stops the kicks, so the
// SimWatchdog expires, with one log line; once the thread goes again the kicks resume, with one
// line. The threads' heartbeats run on their own SimClock, so the test moves their time instead of
// waiting for it; the uploader really is stuck meanwhile (in a real TLS handshake). And a journal
// that cannot take records, a defined out-of-service state, keeps the kicks going.
#include <poll.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "firmware/app/gate_runtime.h"
#include "sim/devices/sim_card_reader.h"
#include "sim/devices/sim_clock.h"
#include "sim/devices/sim_gate_mechanism.h"
#include "sim/devices/sim_indicator.h"
#include "sim/devices/sim_watchdog.h"
#include "sim/gate_sim/sim_gate.h"
#include "sim/https_server/loopback_pki.h"
#include "tests/support/log_capture.h"
#include "tests/support/loopback.h"
#include "tests/support/temp_dir.h"

using namespace gate;
using namespace std::chrono_literals;

namespace {

const Instant kFirstTrain = Instant(std::chrono::seconds(1653253200));

std::size_t count_containing(const std::vector<std::string>& lines, const std::string& text) {
  std::size_t n = 0;
  for (const std::string& l : lines) n += l.find(text) != std::string::npos ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("config: watchdog_device is a path or nothing, watchdog_timeout at least a second",
          "[config][watchdog]") {
  app::Config config;
  CHECK(config.watchdog_device.empty());  // the default: no kernel watchdog
  REQUIRE(app::set_config_value(config, "watchdog_device", "/dev/watchdog0").ok());
  CHECK(config.watchdog_device == "/dev/watchdog0");
  Status relative = app::set_config_value(config, "watchdog_device", "watchdog");
  REQUIRE_FALSE(relative.ok());
  CHECK(relative.error().message.find("watchdog_device") != std::string::npos);
  CHECK(config.watchdog_device == "/dev/watchdog0");
  REQUIRE(app::set_config_value(config, "watchdog_timeout", "1s").ok());
  CHECK(config.watchdog_timeout == 1s);
  CHECK_FALSE(app::set_config_value(config, "watchdog_timeout", "999ms").ok());
  CHECK_FALSE(app::set_config_value(config, "watchdog_timeout", "0s").ok());
  CHECK(config.watchdog_timeout == 1s);
}

TEST_CASE("stall_bound: three watchdog timeouts at least, else the step's own bound and a margin",
          "[gate_runtime][watchdog]") {
  CHECK(app::stall_bound(10s, 1s) == 61s);     // the step's bound and a minute's margin
  CHECK(app::stall_bound(10s, 1min) == 2min);  // a minute's POST, a minute's margin
  CHECK(app::stall_bound(60s, 1s) == 3min);    // three watchdog timeouts
  CHECK(app::stall_bound(60s, 1min) == 3min);
}

TEST_CASE("a stalled worker thread withholds the watchdog kicks until it goes again",
          "[gate_runtime][watchdog]") {
  test::TempDir dir;
  auto rng = sim::CtrDrbg::from_system_entropy();
  REQUIRE(rng.ok());
  auto pki = sim::make_loopback_pki(*rng);
  REQUIRE(pki.ok());
  std::ofstream(dir.file("ca.pem")) << pki->ca_cert_pem;
  test::SilentListener collector;  // connects, never speaks TLS

  app::Config config;
  config.gate = *core::parse_gate_spec("L1:S07:G03:entry");
  config.cache_path = dir.file("cache.db");  // none: out of service (logged), which still kicks
  config.journal_path = dir.file("journal.db");
  config.journal_secret = app::simulator_journal_secret();
  config.watchdog_timeout = 10s;
  REQUIRE(app::set_config_value(config, "collector_url",
                                "https://127.0.0.1:" + std::to_string(collector.port()) + "/")
              .ok());
  REQUIRE(app::set_config_value(config, "collector_ca", dir.file("ca.pem")).ok());
  REQUIRE(app::set_config_value(config, "collector_server_name", sim::kLoopbackServerName).ok());

  sim::SimClock clock(kFirstTrain);    // the devices' and the loop's
  sim::SimClock threads(kFirstTrain);  // the worker threads' heartbeats
  sim::SimCardReader reader(clock);
  sim::SimGateMechanism mechanism(clock);
  sim::SimIndicator indicator(clock);
  sim::SimWatchdog watchdog(clock, config.watchdog_timeout);
  control::Devices devices{clock, reader, nullptr, mechanism, indicator, nullptr, watchdog};
  test::LogCapture logs;
  auto started = app::GateRuntime::start(config, devices, config.loop, kFirstTrain, {}, &threads);
  REQUIRE(started.ok());
  app::GateRuntime& rt = **started;
  REQUIRE(rt.uploader() != nullptr);

  // The uploader's first round connects at once and waits for the server's TLS hello.
  pollfd pfd{collector.fd(), POLLIN, 0};
  REQUIRE(::poll(&pfd, 1, 30'000) == 1);
  const int connection = ::accept(collector.fd(), nullptr, nullptr);
  REQUIRE(connection >= 0);

  // At a board's pace (100 ms an iteration), so the whole stalled stretch takes a fraction of the
  // client's real handshake timeout even under an emulator.
  auto run_for = [&](Duration d) {
    for (Duration t{}; t < d; t += 100ms) {
      clock.advance(100ms);
      REQUIRE(rt.run_once().ok());
    }
  };
  run_for(1s);
  const std::size_t kicked = watchdog.kicks();
  CHECK(kicked >= 10);

  // A minute on one POST is within the uploader's own request timeout: still healthy.
  threads.advance(1min);
  run_for(1s);
  CHECK(watchdog.kicks() > kicked);
  CHECK(count_containing(logs.messages(LogLevel::error, "app"), "stalled") == 0);

  // Ten minutes without a beat: stuck. No more kicks; the watchdog fires; one line says why.
  threads.advance(9min);
  const std::size_t before_stall = watchdog.kicks();
  run_for(config.watchdog_timeout + 1s);
  CHECK(watchdog.kicks() == before_stall);
  CHECK(watchdog.expired());
  CHECK(watchdog.fired_count() == 1);
  const auto errors = logs.messages(LogLevel::error, "app");
  // Once, not per iteration.
  CHECK(count_containing(errors, "stalled") == 1);
  CHECK(count_containing(errors, "journal uploader stalled for 600s: watchdog will reset") == 1);

  // The server hangs up: the handshake fails, the round ends, the thread rests. Kicks resume.
  ::close(connection);
  const auto give_up = std::chrono::steady_clock::now() + 30s;
  while (watchdog.kicks() == before_stall && std::chrono::steady_clock::now() < give_up) {
    clock.advance(100ms);
    REQUIRE(rt.run_once().ok());
    std::this_thread::yield();
  }
  CHECK(watchdog.kicks() > before_stall);
  CHECK_FALSE(watchdog.expired());
  rt.uploader()->stop();  // its thread logs too: read the capture once it has ended
  CHECK(count_containing(logs.messages(LogLevel::info, "app"),
                         "journal uploader going again: watchdog kicks resume") == 1);
  CHECK(count_containing(logs.messages(LogLevel::error, "app"), "stalled") == 1);
}

TEST_CASE("a journal that cannot take records is no reason for a watchdog reset",
          "[gate_runtime][watchdog]") {
  test::TempDir dir;
  app::Config config;
  config.gate = *core::parse_gate_spec("L1:S07:G03:entry");
  config.cache_path = dir.file("cache.db");
  config.journal_path = dir.file("journal.db");
  test::LogCapture logs;
  auto made = sim::SimGate::create(config, kFirstTrain, {});
  REQUIRE(made.ok());
  sim::SimGate& g = **made;
  // SQLite's limit on the file stands in for a full disk: the next append fails.
  REQUIRE(sqlite3_exec(g.runtime().journal().db(), "PRAGMA max_page_count = 1", nullptr, nullptr,
                       nullptr) == SQLITE_OK);
  Status failed = ok_status();
  for (int i = 0; i < 500 && failed.ok(); ++i) {
    g.mechanism().add_passages(1);  // a tailgating event: one append
    failed = g.step();
    if (failed.ok()) REQUIRE(g.advance(2100ms).ok());
  }
  REQUIRE_FALSE(failed.ok());
  const std::size_t kicks = g.watchdog().kicks();
  for (int i = 0; i < 3000; ++i) {  // 30 s, three watchdog timeouts
    g.clock().advance(10ms);
    (void)g.step();
  }
  CHECK(g.loop().controller().out_of_service());
  CHECK(g.watchdog().kicks() >= kicks + 3000);
  CHECK_FALSE(g.watchdog().expired());
  CHECK(g.watchdog_resets() == 0);
}
