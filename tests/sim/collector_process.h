// The back office's collector as a real process (`gate-backoffice collect`) for end-to-end tests:
// it collects for gate L1-S07-G03 under the simulator's journal secret (gate-sim's default), in
// `dir`'s c.db, with its TLS identity in dir/tls (the gates' CA: dir/tls/ca.pem). It can be
// SIGKILLed and started again on the same port and TLS directory. And `gate-sim upload` to it,
// and what the collector holds, compared with what gate-sim printed.
#pragma once

#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <span>
#include <string>
#include <vector>

#include "child_process.h"
#include "firmware/app/config.h"
#include "firmware/core/bcd.h"
#include "firmware/core/credential.h"
#include "firmware/core/decision_record.h"
#include "firmware/store/journal_chain.h"
#include "firmware/store/sqlite.h"
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

// A printed decision or event line as the gate printed it: masked credential, ISO milliseconds.
// The same key built from a canonical body (full credential, ts in microseconds).
inline std::string printed_key(const nlohmann::json& line) {
  return line.value("ts", "") + "|" + line.value("credential", "") + "|" +
         line.value("outcome", line.value("event", ""));
}
inline std::string canonical_key(const nlohmann::json& body) {
  const gate::Instant ts{std::chrono::microseconds(body["ts_us"].get<std::int64_t>())};
  const std::string credential =
      body.contains("credential")
          ? gate::core::mask_credential(body["credential"].get<std::string>())
          : "";
  return gate::core::format_utc_millis(ts) + "|" + credential + "|" +
         body.value("outcome", body.value("event", ""));
}

struct HeldRow {
  std::uint64_t seq;
  std::string body;
  gate::store::Mac mac;
};

// Every row the collector holds for the gate, by seq (a repeated seq fails the test).
inline std::map<std::uint64_t, HeldRow> held_rows(const std::string& db_path,
                                                  const std::string& gate = "L1-S07-G03") {
  auto db = gate::store::open_db(db_path, SQLITE_OPEN_READONLY);
  REQUIRE(db.ok());
  auto stmt = gate::store::prepare(
      db->get(), "SELECT seq, body, mac FROM records WHERE gate = ?1 ORDER BY seq");
  REQUIRE(stmt.ok());
  sqlite3_bind_text(stmt->get(), 1, gate.c_str(), -1, SQLITE_TRANSIENT);
  std::map<std::uint64_t, HeldRow> rows;
  while (sqlite3_step(stmt->get()) == SQLITE_ROW) {
    HeldRow row;
    row.seq = static_cast<std::uint64_t>(sqlite3_column_int64(stmt->get(), 0));
    row.body = gate::store::column_text(stmt->get(), 1);
    const void* blob = sqlite3_column_blob(stmt->get(), 2);
    REQUIRE(sqlite3_column_bytes(stmt->get(), 2) == static_cast<int>(row.mac.size()));
    std::memcpy(row.mac.data(), blob, row.mac.size());
    INFO("seq " << row.seq);
    REQUIRE(rows.emplace(row.seq, row).second);
  }
  return rows;
}

}  // namespace gate::test::collector
