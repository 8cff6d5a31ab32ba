// The demo (sim/demo.sh's scenario) run through the real gate-sim program: every record it prints
// must equal sim/demo/expected.jsonl, which was written by hand from decisions.md (see the
// scenario's comments for each case), with the simulated reader and with the libnfc driver on the
// PN532 emulator alike. latency_us is a measurement, so it is checked for presence and sanity and
// then left out of the comparison.
#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <sstream>

#include "child_process.h"
#include "tests/support/temp_dir.h"

using gate::test::gate_sim;
using gate::test::run_to_end;
using gate::test::TempDir;

namespace {

const std::string kDemo = std::string(GATE_SOURCE_DIR) + "/sim/demo";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TEST_CASE("the demo prints exactly the expected records, through either card reader") {
  // direct: the simulated reader. pn532: the board's libnfc driver reading the PN532 emulator
  // through libnfc's own pn532_uart driver, which must change nothing but latency_us.
  auto reader = GENERATE(as<std::string>{}, "direct", "pn532");
  INFO("reader " << reader);
  TempDir dir;
  auto built =
      run_to_end(gate_sim({"cache-build", "--records", kDemo + "/records.jsonl", "--out",
                           dir.file("cache.db"), "--synced-at", "2022-05-23T04:30:00+08:00"}));
  REQUIRE(built.exit_code == 0);
  auto run =
      run_to_end(gate_sim({"run", "--cache", dir.file("cache.db"), "--gate", "L1:S07:G03:entry",
                           "--scenario", kDemo + "/scenario.txt", "--reader", reader}));
  REQUIRE(run.exit_code == 0);

  std::ifstream expected_file(kDemo + "/expected.jsonl");
  std::stringstream expected_text;
  expected_text << expected_file.rdbuf();
  std::vector<std::string> expected = lines_of(expected_text.str());
  REQUIRE(expected.size() == 22);

  const std::regex latency(R"(,"latency_us":(\d+)\})");
  std::vector<std::string> got;
  for (const std::string& line : lines_of(run.out)) {
    std::smatch m;
    if (std::regex_search(line, m, latency)) {
      CHECK(std::stoll(m[1]) < 1'000'000);  // a decision in the simulator, well under a second
      got.push_back(std::regex_replace(line, latency, "}"));
    } else {
      CHECK(line.find("\"event\":") != std::string::npos);  // only events lack a latency
      got.push_back(line);
    }
  }
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("record " << i + 1);
    CHECK(got[i] == expected[i]);
  }
}

TEST_CASE("gate-sim refuses a bad scenario before running anything") {
  TempDir dir;
  std::ofstream(dir.file("bad.txt")) << "tap tu:3105170010170907984\nfly away\n";
  auto built = run_to_end(gate_sim(
      {"cache-build", "--records", kDemo + "/records.jsonl", "--out", dir.file("cache.db")}));
  REQUIRE(built.exit_code == 0);
  auto run = run_to_end(gate_sim({"run", "--cache", dir.file("cache.db"), "--gate",
                                  "L1:S07:G03:entry", "--scenario", dir.file("bad.txt")}));
  CHECK(run.exit_code == 2);
  CHECK(run.out.empty());  // not even the start-up record: nothing ran
}

TEST_CASE("cache-build refuses a bad records file and leaves no half-built cache behind") {
  TempDir dir;
  std::ofstream(dir.file("bad.jsonl"))
      << R"({"type":"deny","credential":"tu:3105170090000000019"})"
      << "\n"
      << R"({"type":"binding","credential":"tu:1","identity":"x","media":"card","status":"active","since":"2022-05-17T09:12:00+08:00"})"
      << "\n";
  auto built = run_to_end(
      gate_sim({"cache-build", "--records", dir.file("bad.jsonl"), "--out", dir.file("cache.db")}));
  CHECK(built.exit_code == 1);
}
