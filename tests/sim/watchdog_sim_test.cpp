// The watchdog in the real gate-sim program: a `stall` longer than watchdog_timeout is a watchdog
// reset (one {"watchdog":"reset"} line, a new start-up on the same journal and cache), a shorter
// one is not, and the gate decides normally after the reboot without losing a record.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "child_process.h"
#include "tests/support/temp_dir.h"

using gate::test::gate_sim;
using gate::test::run_to_end;
using gate::test::TempDir;

namespace {

const std::string kDemo = std::string(GATE_SOURCE_DIR) + "/sim/demo";

// Green riders of the demo's records (enforce from 05:00): a card, a phone card, and a card not
// upgraded (let through with the prompt).
constexpr const char* kScenario = R"(clock 2022-05-23T05:00:00+08:00
tap tu:3105170010170907984
pass
wait 2s
# Shorter than watchdog_timeout: the board rides it out.
stall 5s
tap tu:3105170020000000012 phone
pass
wait 2s
# Longer: the watchdog resets the board.
stall 15s
tap tu:3105170080000000018
pass
wait 2s
)";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool is_reset(const std::string& line) {
  return line.find(R"("watchdog":"reset")") != std::string::npos;
}

}  // namespace

TEST_CASE("gate-sim: a stall past watchdog_timeout resets the gate once, nothing is lost",
          "[sim][watchdog]") {
  TempDir dir;
  auto built =
      run_to_end(gate_sim({"cache-build", "--records", kDemo + "/records.jsonl", "--out",
                           dir.file("cache.db"), "--synced-at", "2022-05-23T04:30:00+08:00"}));
  REQUIRE(built.exit_code == 0);
  std::ofstream(dir.file("scenario.txt")) << kScenario;
  auto run =
      run_to_end(gate_sim({"run", "--cache", dir.file("cache.db"), "--gate", "L1:S07:G03:entry",
                           "--journal", dir.file("journal.db"), "--scenario",
                           dir.file("scenario.txt"), "--set", "watchdog_timeout=10s"}));
  REQUIRE(run.exit_code == 0);
  const std::vector<std::string> out = lines_of(run.out);

  // Exactly one reset, after the second rider's decision and before the third rider's.
  std::vector<std::size_t> resets;
  std::vector<nlohmann::json> printed;  // everything but the reset line, in order
  std::size_t printed_before_reset = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (is_reset(out[i])) {
      resets.push_back(i);
      printed_before_reset = printed.size();
    } else {
      printed.push_back(nlohmann::json::parse(out[i]));
    }
  }
  REQUIRE(resets.size() == 1);
  const nlohmann::json reset = nlohmann::json::parse(out[resets[0]]);
  CHECK(reset.size() == 2);
  CHECK(std::regex_match(reset["ts"].get<std::string>(),
                         std::regex(R"(2022-05-22T21:00:\d\d\.\d{3}Z)")));

  std::vector<std::string> decisions, startups_ts;
  std::vector<std::size_t> startups;
  for (std::size_t i = 0; i < printed.size(); ++i) {
    if (printed[i].value("event", "") == "startup") {
      startups.push_back(i);
      startups_ts.push_back(printed[i]["ts"]);
    }
    if (printed[i].contains("reason")) {
      decisions.push_back(printed[i]["credential"].get<std::string>() + " " +
                          printed[i]["reason"].get<std::string>());
    }
  }
  // Booted twice: at the start, and right after the reset (at the instant it was reported).
  REQUIRE(startups.size() == 2);
  CHECK(startups[0] == 0);
  CHECK(startups[1] == printed_before_reset);
  CHECK(startups_ts[1] == reset["ts"]);
  // Every rider decided as the demo's records say, the third one after the reboot.
  CHECK(decisions == std::vector<std::string>{"tu:***************7984 ok",
                                              "tu:***************0012 ok",
                                              "tu:***************0018 ok_not_upgraded"});
  std::size_t after_reset = 0;
  for (std::size_t i = printed_before_reset; i < printed.size(); ++i) {
    if (printed[i].contains("reason")) ++after_reset;
  }
  CHECK(after_reset == 1);

  // Nothing printed is missing from the journal, nothing journaled went unprinted: the same
  // entries in the same order (the reboot reopened the same file).
  auto journal = run_to_end(gate_sim({"journal", "--journal", dir.file("journal.db")}));
  REQUIRE(journal.exit_code == 0);
  std::vector<nlohmann::json> journaled;
  for (const std::string& line : lines_of(journal.out)) {
    journaled.push_back(nlohmann::json::parse(line));
  }
  REQUIRE(journaled.size() == printed.size());
  for (std::size_t i = 0; i < printed.size(); ++i) {
    INFO("entry " << i);
    nlohmann::json a = printed[i], b = journaled[i];
    a.erase("latency_us");
    b.erase("latency_us");
    CHECK(a == b);
  }
}

TEST_CASE("gate-sim: stalls within watchdog_timeout never reset", "[sim][watchdog]") {
  TempDir dir;
  std::ofstream(dir.file("scenario.txt")) << "clock 2022-05-23T05:00:00+08:00\n"
                                             "stall 10s\nwait 1s\nstall 10s\nstall 9s\n";
  // No cache: the gate is out of service, which is no reason for a reset either.
  auto run = run_to_end(
      gate_sim({"run", "--cache", dir.file("missing.db"), "--gate", "L1:S07:G03:entry",
                "--scenario", dir.file("scenario.txt"), "--set", "watchdog_timeout=10s"}));
  REQUIRE(run.exit_code == 0);
  std::size_t resets = 0;
  for (const std::string& line : lines_of(run.out)) resets += is_reset(line) ? 1 : 0;
  CHECK(resets == 0);
  // Made to fail: one step over the timeout is a reset.
  std::ofstream(dir.file("scenario.txt")) << "clock 2022-05-23T05:00:00+08:00\nstall 10010ms\n";
  run = run_to_end(
      gate_sim({"run", "--cache", dir.file("missing.db"), "--gate", "L1:S07:G03:entry",
                "--scenario", dir.file("scenario.txt"), "--set", "watchdog_timeout=10s"}));
  REQUIRE(run.exit_code == 0);
  resets = 0;
  for (const std::string& line : lines_of(run.out)) resets += is_reset(line) ? 1 : 0;
  CHECK(resets == 1);
}
