// The back office's collector as a real process (`gate-backoffice collect`) for end-to-end tests:
// it collects for gate L1-S07-G03 under the simulator's journal secret (gate-sim's default), in
// `dir`'s c.db, with its TLS identity in dir/tls (the gates' CA: dir/tls/ca.pem). It can be
// SIGKILLed and started again on the same port and TLS directory. And `gate-sim upload` to it.
#pragma once

#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <memory>
#include <regex>
#include <span>
#include <string>
#include <vector>

#include "child_process.h"
#include "firmware/app/config.h"
#include "firmware/core/bcd.h"
#include "tests/support/temp_dir.h"

namespace gate::test::collector {

struct CollectorProcess {
  const TempDir& dir;
  std::unique_ptr<ChildProcess> child;
  std::uint16_t port = 0;  // 0 until the first start: any free port

  explicit CollectorProcess(const TempDir& d) : dir(d) {
    const std::string secret = gate::app::simulator_journal_secret();
    std::ofstream(dir.file("secrets"))
        << "L1-S07-G03 "
        << gate::core::to_lower_hex(
               std::span(reinterpret_cast<const std::uint8_t*>(secret.data()), secret.size()))
        << "\n";
    start();
  }
  // Starts it (on the port of the first start) and waits until it listens.
  void start() {
    std::vector<std::string> args = {
        "collect",   "--db",          dir.file("c.db"), "--secrets",         dir.file("secrets"),
        "--tls-dir", dir.file("tls"), "--port",         std::to_string(port)};
    child = std::make_unique<ChildProcess>(gate_backoffice(args));
    REQUIRE(child->started());
    std::string line;
    REQUIRE(child->read_line(line));
    std::smatch m;
    INFO(line);
    REQUIRE(std::regex_match(line, m, std::regex(R"(listening on https://127\.0\.0\.1:(\d+)/)")));
    port = static_cast<std::uint16_t>(std::stoul(m[1]));
  }
  void kill() {
    REQUIRE(WIFSIGNALED(child->kill_and_wait(SIGKILL)));
    child.reset();
  }
  bool up() const { return child != nullptr; }
  std::string db() const { return dir.file("c.db"); }
  std::string ca_file() const { return dir.file("tls/ca.pem"); }
  // `gate-backoffice gates`: one line per gate, with a refusal and its seq.
  std::string gates() const {
    auto r = run_to_end(gate_backoffice({"gates", "--db", db()}));
    CHECK(r.exit_code == 0);
    return r.out;
  }
  // The --set flags that point gate-sim's uploader at it, trusting `ca_file`.
  std::vector<std::string> upload_settings(const std::string& ca) const {
    return {"--set", "collector_url=https://127.0.0.1:" + std::to_string(port) + "/",
            "--set", "collector_ca=" + ca,
            "--set", "collector_server_name=localhost"};
  }
};

// `gate-sim upload` of `journal` (gate L1:S07:G03:entry) with `flags` added; stderr folded into
// stdout. It returns once every row is acknowledged, at a chain refusal, or at `timeout`.
inline RunResult upload(const std::string& journal, const std::vector<std::string>& flags,
                        const std::string& timeout = "30s") {
  std::vector<std::string> args = {"upload",           "--journal", journal, "--gate",
                                   "L1:S07:G03:entry", "--timeout", timeout};
  args.insert(args.end(), flags.begin(), flags.end());
  std::vector<std::string> argv = gate_sim(args);
  argv.insert(argv.begin(), {"/bin/sh", "-c", "exec \"$@\" 2>&1", "sh"});
  return run_to_end(argv);
}

}  // namespace gate::test::collector
