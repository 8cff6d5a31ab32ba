// The gate's own injected faults end to end, through the real program: `gate-sim run
// --interactive` plays scenario events (`fault sensor-stuck on`, `clock …`), printing every record
// once durable and the display after each event; its log (stderr) goes to a file. For each fault:
// the display while it lasts, the decisions (out_of_service or not), the relay, one log line each
// way, the journal's events, and the gate back by itself once the fault is cleared.
#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "child_process.h"
#include "tests/support/temp_dir.h"

using gate::test::ChildProcess;
using gate::test::gate_sim;
using gate::test::run_to_end;
using gate::test::TempDir;
using json = nlohmann::json;

namespace {

const std::string kDemo = std::string(GATE_SOURCE_DIR) + "/sim/demo";
const std::string kCard = "tu:3105170010170907984";   // the demo's green rider
const std::string kCard2 = "tu:3105170020000000012";  // another green rider

// One interactive run to its end: the state line after each event (states[0]: at start-up), the
// records printed, the log lines, and the events that failed (their index in `states`: a record
// the journal could not take).
struct Run {
  std::vector<std::string> states;
  std::vector<std::size_t> failed;
  std::vector<json> records;
  std::vector<std::string> log;

  // The events' names ("event" of gate events), in order.
  std::vector<std::string> events() const {
    std::vector<std::string> out;
    for (const json& r : records) {
      if (r.contains("event")) out.push_back(r["event"]);
    }
    return out;
  }
  std::vector<json> decisions() const {
    std::vector<json> out;
    for (const json& r : records) {
      if (r.contains("outcome")) out.push_back(r);
    }
    return out;
  }
  // Log lines containing `part`.
  std::size_t logged(const std::string& part) const {
    std::size_t n = 0;
    for (const std::string& line : log) n += line.find(part) != std::string::npos;
    return n;
  }
};

class FaultRun {
 public:
  FaultRun() {
    REQUIRE(
        run_to_end(gate_sim({"cache-build", "--records", kDemo + "/records.jsonl", "--out",
                             dir_.file("cache.db"), "--synced-at", "2022-05-23T04:30:00+08:00"}))
            .exit_code == 0);
  }
  std::string journal() { return dir_.file("journal.db"); }

  // Starts at 05:00 +08:00 (gate-sim's default), plays `events`, ends the run.
  Run play(const std::vector<std::string>& events) {
    const std::string log_path = dir_.file("gate.log");
    std::vector<std::string> argv =
        gate_sim({"run", "--cache", dir_.file("cache.db"), "--gate", "L1:S07:G03:entry",
                  "--journal", journal(), "--interactive"});
    argv.insert(argv.begin(), {"/bin/sh", "-c", "exec \"$@\" 2>" + log_path, "sh"});
    ChildProcess child(argv);
    REQUIRE(child.started());
    for (const std::string& e : events) child.write(e + "\n");
    child.close_stdin();
    Run run;
    std::string line;
    while (child.read_line(line)) {
      if (line.rfind("{", 0) == 0) run.records.push_back(json::parse(line));
      if (line.rfind("  relay", 0) == 0) run.states.push_back(line);
      if (line.rfind("  error", 0) == 0) run.failed.push_back(run.states.size());
    }
    REQUIRE(child.wait_exit() == 0);
    REQUIRE(run.states.size() == events.size() + 1);
    std::ifstream in(log_path);
    for (std::string l; std::getline(in, l);) run.log.push_back(l);
    return run;
  }

 private:
  TempDir dir_;
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

const std::string kIdle = "  relay closed | light off | 请刷卡或扫码 / Tap card or scan code";
const std::string kOut = "  relay closed | light red | 暂停服务 / Out of service | ";

}  // namespace

TEST_CASE("gate-sim: sensor-stuck puts the gate out of service after a minute, cleared by itself") {
  FaultRun gate;
  Run run = gate.play({"fault sensor-stuck on", "wait 59s", "wait 1s", "tap " + kCard, "wait 10min",
                       "fault sensor-stuck off", "tap " + kCard});
  CHECK(run.states[2] == kIdle);  // 59 s: someone may be standing in the aisle
  CHECK(run.states[3] == kOut + "passage sensor");
  CHECK(run.states[5] == kOut + "passage sensor");
  CHECK(run.states[6] == kIdle);
  auto decisions = run.decisions();
  REQUIRE(decisions.size() == 2);
  CHECK(decisions[0]["reason"] == "out_of_service");
  CHECK(decisions[1]["reason"] == "ok");
  CHECK(contains(run.states[7], "relay OPEN"));
  CHECK(run.events() == std::vector<std::string>{"startup", "sensor_stuck", "sensor_ok"});
  CHECK(run.logged("passage sensor blocked") == 1);
  CHECK(run.logged("passage sensor clear again") == 1);
  CHECK(run.failed.empty());
}

TEST_CASE(
    "gate-sim: relay-unconfirmed with the barrier jammed open: out of service, relay held "
    "closed, back once it follows") {
  FaultRun gate;
  Run run = gate.play({"tap " + kCard, "fault relay-unconfirmed on", "pass", "wait 2s",
                       "tap " + kCard2, "wait 2s", "fault relay-unconfirmed off", "tap " + kCard2});
  CHECK(contains(run.states[1], "relay OPEN"));
  CHECK(run.states[4] == kOut + "barrier");
  CHECK(contains(run.states[5], "relay closed"));  // the refusal on the display
  CHECK(run.states[6] == kOut + "barrier");
  CHECK(run.states[7] == kIdle);
  CHECK(contains(run.states[8], "relay OPEN"));
  auto decisions = run.decisions();
  REQUIRE(decisions.size() == 3);
  CHECK(decisions[1]["reason"] == "out_of_service");
  CHECK(decisions[2]["reason"] == "ok");
  CHECK(run.events() == std::vector<std::string>{"startup", "barrier_fault", "barrier_ok"});
  CHECK(run.logged("barrier does not follow the relay: driven closed, reads open") == 1);
  CHECK(run.logged("barrier follows the relay again") == 1);
  CHECK(run.failed.empty());
}

TEST_CASE("gate-sim: the clock stepping back behind the journal and forward again") {
  FaultRun gate;
  Run run = gate.play({"tap " + kCard, "pass", "clock 2022-05-23T04:59:00+08:00", "tap " + kCard2,
                       "wait 2s", "clock 2022-05-23T05:01:00+08:00", "wait 5min", "tap " + kCard2});
  CHECK(run.states[3] == kOut + "clock behind; alarm: clock jumped");
  CHECK(run.states[5] == kOut + "clock behind; alarm: clock jumped");
  CHECK(run.states[6] == kIdle + " | alarm: clock jumped");
  CHECK(run.states[7] == kIdle);
  CHECK(contains(run.states[8], "relay OPEN"));
  auto decisions = run.decisions();
  REQUIRE(decisions.size() == 3);
  CHECK(decisions[0]["reason"] == "ok");
  CHECK(decisions[1]["reason"] == "out_of_service");
  CHECK(decisions[1]["ts"] == "2022-05-22T20:59:00.000Z");
  CHECK(decisions[2]["reason"] == "ok");
  CHECK(run.events() == std::vector<std::string>{"startup", "clock_jump", "clock_behind",
                                                 "clock_jump", "clock_ok"});
  // The jumps are journaled at the new time.
  std::vector<std::string> jumps;
  for (const json& r : run.records) {
    if (r.value("event", "") == "clock_jump") jumps.push_back(r["ts"]);
  }
  CHECK(jumps == std::vector<std::string>{"2022-05-22T20:59:00.000Z", "2022-05-22T21:01:00.000Z"});
  CHECK(run.logged("wall clock stepped back") == 1);
  CHECK(run.logged("wall clock stepped forward") == 1);
  CHECK(run.logged("behind the journal's latest record") == 1);
  CHECK(run.logged("past the journal's latest record again") == 1);
  CHECK(run.failed.empty());
}

TEST_CASE(
    "gate-sim: disk-full closes the gate at the first record that does not fit, recovers "
    "by itself once there is room, and loses no record written") {
  FaultRun gate;
  std::vector<std::string> events = {"tap " + kCard, "pass", "wait 3s", "fault disk-full on"};
  // People walking through unannounced: a tailgating record each, until one does not fit.
  for (int i = 0; i < 150; ++i) {
    events.push_back("pass");
    events.push_back("wait 2100ms");
  }
  // A rider meanwhile (a code: a `tap` whose step fails leaves its card in gate-sim's field).
  events.push_back("scan TRC1:NOT-A-CODE");
  events.push_back("fault disk-full off");
  events.push_back("wait 5s");
  events.push_back("tap " + kCard2);
  Run run = gate.play(events);

  const std::size_t full_at = 4;  // the state after `fault disk-full on`
  std::size_t out_at = 0;
  for (std::size_t i = full_at; i < run.states.size() && out_at == 0; ++i) {
    if (run.states[i] == kOut + "journal failing") out_at = i;
  }
  REQUIRE(out_at > full_at);
  // Out of service from then on, until the fault is cleared; the scan meanwhile is not recorded
  // (its append failed) and the relay never opened.
  const std::size_t scan_at = 4 + 150 * 2 + 1;
  for (std::size_t i = out_at; i <= scan_at; ++i) {
    INFO("state " << i);
    CHECK(run.states[i] == kOut + "journal failing");
  }
  // The events whose record was lost said so (gate-sim prints "  error: …"): the pass that
  // found the journal full, every later one, and the tap; nothing before or after.
  REQUIRE_FALSE(run.failed.empty());
  CHECK(run.failed.front() == out_at);
  CHECK(run.failed.back() == scan_at);
  CHECK(run.failed.size() == 1 + (scan_at - 1 - out_at) / 2 + 1);
  CHECK(run.states[scan_at + 2] == kIdle);  // within the 5 s retry
  CHECK(contains(run.states[scan_at + 3], "relay OPEN"));
  auto decisions = run.decisions();
  REQUIRE(decisions.size() == 2);  // the two taps: the scan in between was never written
  CHECK(decisions[1]["reason"] == "ok");
  auto events_seen = run.events();
  CHECK(std::count(events_seen.begin(), events_seen.end(), "journal_recovered") == 1);
  CHECK(run.logged("journal append failed") == 1);
  CHECK(run.logged("journal writable again") == 1);

  // Every record printed (each only once durable) is in the journal's file, and nothing else.
  auto dump = run_to_end(gate_sim({"journal", "--journal", gate.journal()}));
  REQUIRE(dump.exit_code == 0);
  std::istringstream lines(dump.out);
  std::size_t rows = 0;
  for (std::string line; std::getline(lines, line);) rows += line.rfind("{", 0) == 0;
  CHECK(rows == run.records.size());
}
