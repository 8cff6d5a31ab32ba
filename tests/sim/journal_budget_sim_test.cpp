// Issue 7's disk budget end to end, with real programs: `gate-sim run` (interactive) with a small
// journal_max_size and its collector down taps until the journal reaches the budget. Then the
// policy shows on the display (out of service, or the alarm while it keeps deciding) and in the
// log, and the gate keeps journaling. The collector comes back: the uploader drains the journal,
// the budget's next check prunes what was acknowledged and the gate recovers by itself. In the end
// the collector holds every record the gate printed (printed only once durable), exactly once:
// nothing unacknowledged was dropped on the way.
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "child_process.h"
#include "tests/sim/collector_process.h"
#include "tests/support/temp_dir.h"

using gate::test::ChildProcess;
using gate::test::gate_sim;
using gate::test::run_to_end;
using gate::test::TempDir;
using gate::test::collector::canonical_key;
using gate::test::collector::CollectorProcess;
using gate::test::collector::held_rows;
using gate::test::collector::printed_key;
using json = nlohmann::json;

namespace {

const std::string kDemo = std::string(GATE_SOURCE_DIR) + "/sim/demo";
const std::string kCard = "tu:3105170010170907984";  // the demo's green rider

// gate-sim in interactive mode: one event at a time, the records it printed and the state line
// that follows each event.
class InteractiveGate {
 public:
  InteractiveGate(const std::vector<std::string>& args, const std::string& log_path) {
    std::vector<std::string> argv = gate_sim(args);
    argv.insert(argv.begin(), {"/bin/sh", "-c", "exec \"$@\" 2>>" + log_path, "sh"});
    child_ = std::make_unique<ChildProcess>(argv);
    REQUIRE(child_->started());
    REQUIRE(read_state());  // the start-up screen
  }
  // Plays one scenario event; the state line after it.
  std::string play(const std::string& event) {
    child_->write(event + "\n");
    REQUIRE(read_state());
    return state_;
  }
  int finish() {
    child_->close_stdin();
    std::string line;
    while (child_->read_line(line)) take(line);
    return child_->wait_exit();
  }
  const std::vector<json>& records() const { return records_; }
  const std::string& state() const { return state_; }

 private:
  bool read_state() {
    std::string line;
    while (child_->read_line(line)) {
      if (take(line)) return true;
    }
    return false;
  }
  // A record is kept; true for a state line ("  relay …").
  bool take(const std::string& line) {
    if (line.rfind("{", 0) == 0) {
      records_.push_back(json::parse(line));
      return false;
    }
    if (line.rfind("  relay", 0) == 0) {
      state_ = line;
      return true;
    }
    return false;
  }
  std::unique_ptr<ChildProcess> child_;
  std::vector<json> records_;
  std::string state_;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE(
    "gate-sim: a journal at its budget with the collector down keeps every record, applies "
    "the policy on the display and in the log, and recovers once uploads resume") {
  TempDir dir;
  REQUIRE(run_to_end(gate_sim({"cache-build", "--records", kDemo + "/records.jsonl", "--out",
                               dir.file("cache.db"), "--synced-at", "2022-05-23T04:30:00+08:00"}))
              .exit_code == 0);
  // The collector's port and CA exist, but it is down while the journal fills.
  CollectorProcess collector(dir);
  collector.kill();

  std::string policy, shown;
  SECTION("out_of_service") {
    policy = "out_of_service";
    shown = "暂停服务 / Out of service | journal full";
  }
  SECTION("alarm") {
    policy = "alarm";
    shown = "alarm: journal full";
  }
  std::vector<std::string> args = {"run",
                                   "--cache",
                                   dir.file("cache.db"),
                                   "--gate",
                                   "L1:S07:G03:entry",
                                   "--journal",
                                   dir.file("journal.db"),
                                   "--interactive",
                                   "--set",
                                   "journal_max_size=96KiB",
                                   "--set",
                                   "journal_full_policy=" + policy,
                                   "--set",
                                   "upload_interval=1s",
                                   "--set",
                                   "upload_backoff_max=1s"};
  const auto upload = collector.upload_settings(collector.ca_file());
  args.insert(args.end(), upload.begin(), upload.end());
  const std::string log = dir.file("gate.log");
  InteractiveGate gate(args, log);
  REQUIRE(gate.play("clock 2022-05-23T05:00:00+08:00") != "");

  // Taps a minute apart (past anti-passback's hold-off, inside its window: denials are records
  // too) until the budget's policy shows.
  int taps = 0;
  while (!contains(gate.state(), shown)) {
    REQUIRE(++taps < 2000);  // a bound: 96 KiB holds a few hundred rows
    gate.play("tap " + kCard);
    gate.play("pass");
    gate.play("wait 60s");
  }
  CHECK(taps > 10);
  std::string text = read_file(log);
  CHECK(contains(text, "error [journal] journal full: "));
  CHECK(contains(text, "records not yet uploaded (all kept)"));
  CHECK(contains(text, "error [journal] journal still full after pruning 0 acknowledged records"));
  CHECK_FALSE(contains(text, kCard));  // counts in the log, never a key

  // While full, taps are still decided and journaled: out of service, or as usual with the alarm.
  const std::size_t before = gate.records().size();
  const std::string after_tap = gate.play("tap " + kCard);
  gate.play("wait 60s");
  REQUIRE(gate.records().size() > before);
  const json& decision = gate.records()[before];
  if (policy == "alarm") {
    CHECK(decision.value("reason", "") != "out_of_service");
  } else {
    CHECK(decision.value("reason", "") == "out_of_service");
  }
  CHECK(contains(after_tap, policy == "alarm" ? "alarm: journal full" : "Out of service"));

  // The collector comes back. Once it holds every row the gate printed, the budget's next check
  // (every 5 s of the gate's time) prunes them and the gate is back to normal by itself.
  collector.start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (held_rows(collector.db()).size() < gate.records().size()) {
    // The gate's uploader retries every second on its own thread: look again a little later.
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const std::string recovered = gate.play("wait 6s");
  CHECK_FALSE(contains(recovered, "journal full"));
  CHECK(contains(read_file(log), "info [journal] journal back under its budget"));
  CHECK(gate.records().back().value("event", "") == "journal_space_ok");
  gate.play("tap " + kCard);
  CHECK(gate.records().back().value("outcome", "") != "");
  CHECK(gate.records().back().value("reason", "") != "out_of_service");  // deciding as usual
  REQUIRE(gate.finish() == 0);

  // Every printed record, up to the last, reaches the collector exactly once.
  auto drained = gate::test::collector::upload(dir.file("journal.db"), upload);
  INFO(drained.out);
  REQUIRE(drained.exit_code == 0);
  std::multiset<std::string> held;
  for (const auto& [seq, row] : held_rows(collector.db())) {
    held.insert(canonical_key(json::parse(row.body)));
  }
  CHECK(held.size() == gate.records().size());
  for (const json& record : gate.records()) {
    INFO(record.dump());
    CHECK(held.count(printed_key(record)) == 1);
  }
}
