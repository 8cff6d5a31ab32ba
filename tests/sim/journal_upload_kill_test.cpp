// Issue 7's end-to-end proof: 10,000 taps through `gate-sim run`, the gate process SIGKILLed at 50
// random moments (mid-decision, mid-upload, at start-up) and the collector (`gate-backoffice
// collect`) SIGKILLed or restarted on the same port before every third run, so its outages fall at
// random points of the gate's uploads. Afterwards, once `gate-sim upload`
// has drained the journal, the collector holds exactly the gate's journal: every seq from 1 to the
// last with no gap, byte for byte, each row once; every decision the gate printed (printed only
// once durable) is there exactly once, the opened ones included; and the chain verifies.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>

#include "child_process.h"
#include "firmware/app/config.h"
#include "firmware/core/credential.h"
#include "firmware/core/decision_record.h"
#include "firmware/store/iso_time.h"
#include "firmware/store/journal.h"
#include "firmware/store/journal_chain.h"
#include "firmware/store/sqlite.h"
#include "tests/sim/collector_process.h"
#include "tests/support/temp_dir.h"

using gate::test::ChildProcess;
using gate::test::gate_backoffice;
using gate::test::gate_sim;
using gate::test::run_to_end;
using gate::test::TempDir;
using gate::test::collector::canonical_key;
using gate::test::collector::CollectorProcess;
using gate::test::collector::held_rows;
using gate::test::collector::HeldRow;
using gate::test::collector::printed_key;
using gate::test::collector::upload;
using json = nlohmann::json;

namespace {

constexpr int kTaps = 10'000;     // decisions the gate must print, over all runs
constexpr int kGateKills = 50;    // SIGKILLs of the gate
constexpr int kTapsPerRun = 300;  // taps in one run's scenario
constexpr int kTapSeconds = 3;    // simulated time one tap's steps take
const std::string kGate = "L1:S07:G03:entry";
const std::string kGateId = "L1-S07-G03";

// The active card credentials (tu:) of a populated record file.
std::vector<std::string> card_keys(const std::string& records) {
  std::ifstream in(records);
  std::vector<std::string> keys;
  for (std::string line; std::getline(in, line);) {
    json r = json::parse(line);
    if (r["type"] == "binding" && r["media"] == "card" && r["status"] == "active") {
      keys.push_back(r["credential"]);
    }
  }
  return keys;
}

}  // namespace

TEST_CASE(
    "10,000 taps, 50 gate SIGKILLs and collector outages: every record reaches the "
    "collector exactly once") {
  TempDir dir;
  REQUIRE(run_to_end(gate_sim({"populate", "--identities", "2000", "--seed", "7", "--as-of",
                               "2022-05-23T04:00:00+08:00", "--out", dir.file("records.jsonl")}))
              .exit_code == 0);
  REQUIRE(run_to_end(gate_sim({"cache-build", "--records", dir.file("records.jsonl"), "--out",
                               dir.file("cache.db"), "--synced-at", "2022-05-23T04:30:00+08:00"}))
              .exit_code == 0);
  const std::vector<std::string> cards = card_keys(dir.file("records.jsonl"));
  REQUIRE(cards.size() > 1000);
  const std::uint64_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  CollectorProcess collector(dir);
  std::vector<std::string> upload_flags = collector.upload_settings(collector.ca_file());
  upload_flags.insert(upload_flags.end(),
                      {"--set", "upload_interval=1s", "--set", "upload_backoff_max=1s"});

  gate::Instant sim_time = *gate::store::parse_iso8601("2022-05-23T05:00:00+08:00");
  std::size_t next_card = 0;
  int printed_decisions = 0, gate_kills = 0, collector_cuts = 0, runs = 0;
  std::multiset<std::string> printed;  // every printed line's key
  std::set<std::string> printed_opens;
  while (printed_decisions < kTaps || gate_kills < kGateKills) {
    ++runs;
    REQUIRE(runs < 400);  // a bound: a gate that prints nothing would loop forever
    // The collector goes down or comes back before every third run (the gate is killed at a random
    // moment of each run, so the outages fall at random moments of its uploads).
    if (runs % 3 == 0) {
      if (collector.up()) {
        collector.kill();
        ++collector_cuts;
      } else {
        collector.start();
      }
    }
    std::string scenario = "clock " + gate::core::format_utc_millis(sim_time) + "\n";
    for (int i = 0; i < kTapsPerRun; ++i) {
      scenario += "tap " + cards[next_card++ % cards.size()] +
                  "\nwait 500ms\nstaff confirm\npass\nwait 2500ms\n";
    }
    // Past everything this run can have journaled, printed or not.
    sim_time += std::chrono::seconds(kTapSeconds * kTapsPerRun + 60);
    const std::string scenario_path = dir.file("run" + std::to_string(runs) + ".txt");
    std::ofstream(scenario_path) << scenario;

    std::vector<std::string> args = {
        "run",        "--cache",   dir.file("cache.db"),   "--gate",
        kGate,        "--journal", dir.file("journal.db"), "--scenario",
        scenario_path};
    args.insert(args.end(), upload_flags.begin(), upload_flags.end());
    // Kill after a random number of printed lines (0: during start-up), while kills remain.
    const bool kill = gate_kills < kGateKills;
    const int kill_after = kill ? static_cast<int>(rng() % (kTapsPerRun * 3 / 2)) : -1;
    ChildProcess gate(gate_sim(args));
    REQUIRE(gate.started());
    int lines = 0;
    std::string line;
    bool killed = false;
    while (true) {
      if (kill && lines == kill_after) {
        REQUIRE(WIFSIGNALED(gate.kill_and_wait(SIGKILL)));
        killed = true;
        ++gate_kills;
        break;
      }
      if (!gate.read_line(line)) break;
      ++lines;
      json record = json::parse(line);
      printed.insert(printed_key(record));
      if (record.contains("outcome")) {
        ++printed_decisions;
        if (record["outcome"] == "open") printed_opens.insert(printed_key(record));
      }
    }
    if (!killed) CHECK(gate.wait_exit() == 0);
  }
  if (!collector.up()) collector.start();

  // The gate's journal as the runs left it (the runs' uploaders prune by simulated time, a day
  // after it; `gate-sim upload` below prunes by the wall clock, which is years past 2022).
  const gate::store::ChainKey key{gate::app::simulator_journal_secret(), kGateId};
  std::vector<gate::store::ChainRow> gate_rows;
  std::uint64_t chain_start = 0;
  {
    auto journal = gate::store::Journal::open(dir.file("journal.db"), key);
    REQUIRE(journal.ok());
    chain_start = journal->chain_start();
    auto rows = journal->read_chain();
    REQUIRE(rows.ok());
    gate_rows = std::move(*rows);
  }

  // Drain what the runs left unacknowledged.
  auto drained = upload(dir.file("journal.db"), upload_flags, "120s");
  INFO(drained.out);
  REQUIRE(drained.exit_code == 0);
  collector.kill();  // its rows are durable; read them as the file holds them

  const std::map<std::uint64_t, HeldRow> held = held_rows(collector.db());

  // The gate's journal and the collector agree row for row, from seq 1 without a gap.
  REQUIRE(chain_start == 1);
  REQUIRE(!gate_rows.empty());
  REQUIRE(gate_rows.front().seq == 1);
  REQUIRE(gate_rows.size() == gate_rows.back().seq);
  REQUIRE(held.size() == gate_rows.size());
  REQUIRE(held.begin()->first == 1);
  REQUIRE(held.rbegin()->first == gate_rows.back().seq);
  for (const gate::store::ChainRow& row : gate_rows) {
    auto it = held.find(row.seq);
    REQUIRE(it != held.end());
    CHECK(it->second.body == row.body);
    CHECK(it->second.mac == row.mac);
  }
  // The chain the collector holds verifies from the gate's genesis.
  std::vector<gate::store::ChainRow> chain;
  for (const auto& [seq, row] : held) chain.push_back({seq, row.body, row.mac});
  auto anchor = gate::store::chain_start_anchor(key, 1);
  REQUIRE(anchor.ok());
  auto verdict = gate::store::verify_chain(key, *anchor, chain);
  REQUIRE(verdict.ok());
  CHECK(verdict->problem == gate::store::ChainProblem::none);

  // Every printed line is held exactly as often as it was printed (once: sim time only moves
  // forward, so no two taps share a key), the opened decisions among them.
  std::multiset<std::string> held_keys;
  for (const auto& [seq, row] : held) held_keys.insert(canonical_key(json::parse(row.body)));
  int opens_held = 0;
  for (const std::string& k : printed) {
    INFO(k);
    CHECK(held_keys.count(k) == 1);
    CHECK(printed.count(k) == 1);
  }
  for (const std::string& k : printed_opens) opens_held += held_keys.count(k) == 1 ? 1 : 0;
  CHECK(opens_held == static_cast<int>(printed_opens.size()));
  CHECK(printed_opens.size() > 1000);  // the scenario opens the gate for most taps

  // The tracing query for the station lists exactly the held passages with a credential: open
  // decisions and staff confirmations (collector.h), counted here from the bodies themselves.
  int passages = 0;
  for (const auto& [seq, row] : held) {
    json body = json::parse(row.body);
    const bool open =
        body.value("outcome", "") == "open" || body.value("event", "") == "staff_confirm";
    if (open && body.contains("credential")) ++passages;
  }
  auto traced = run_to_end(gate_backoffice({"trace", "--db", collector.db(), "--station", "L1-S07",
                                            "--from", "2022-05-23T00:00:00+08:00"}));
  REQUIRE(traced.exit_code == 0);
  CHECK(std::count(traced.out.begin(), traced.out.end(), '\n') == passages);
  CHECK(passages > 1000);

  WARN("runs " << runs << ", gate kills " << gate_kills << ", collector cuts " << collector_cuts
               << ", decisions printed " << printed_decisions << ", opens " << printed_opens.size()
               << ", rows held " << held.size());
  CHECK(gate_kills == kGateKills);
  CHECK(collector_cuts >= 5);
}
