// The demo (sim/demo.sh's scenario) run through the real gate-sim program: every record it prints
// must equal sim/demo/expected.jsonl, which was written by hand from decisions.md (see the
// scenario's comments for each case), with the simulated reader and scanner, with the libnfc
// driver on the PN532 emulator and with the serial scanner driver on the scanner emulator alike.
// latency_us is a measurement, so it is checked for presence and sanity and then left out of the
// comparison.
#include <catch2/catch.hpp>
#include <filesystem>
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

std::vector<std::string> expected_records() {
  std::ifstream expected_file(kDemo + "/expected.jsonl");
  std::stringstream expected_text;
  expected_text << expected_file.rdbuf();
  return lines_of(expected_text.str());
}

// Builds the demo cache in `dir` and runs the demo with `reader` and `scanner`; the records it
// printed, without latency_us.
std::vector<std::string> run_demo(const TempDir& dir, const std::string& reader,
                                  const std::string& scanner) {
  if (!std::filesystem::exists(dir.file("cache.db"))) {
    auto built =
        run_to_end(gate_sim({"cache-build", "--records", kDemo + "/records.jsonl", "--out",
                             dir.file("cache.db"), "--synced-at", "2022-05-23T04:30:00+08:00"}));
    REQUIRE(built.exit_code == 0);
  }
  auto run = run_to_end(
      gate_sim({"run", "--cache", dir.file("cache.db"), "--gate", "L1:S07:G03:entry", "--scenario",
                kDemo + "/scenario.txt", "--reader", reader, "--scanner", scanner}));
  REQUIRE(run.exit_code == 0);
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
  return got;
}

}  // namespace

TEST_CASE("the demo prints exactly the expected records, through every reader and scanner") {
  // direct: the simulated devices. pn532: the board's libnfc driver reading the PN532 emulator
  // through libnfc's own pn532_uart driver. serial: the board's serial scanner driver reading the
  // scanner emulator's pty. None may change anything but latency_us.
  auto [reader, scanner] = GENERATE(table<std::string, std::string>(
      {{"direct", "direct"}, {"pn532", "direct"}, {"direct", "serial"}}));
  INFO("reader " << reader << ", scanner " << scanner);
  TempDir dir;
  std::vector<std::string> expected = expected_records();
  REQUIRE(expected.size() == 22);
  std::vector<std::string> got = run_demo(dir, reader, scanner);
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("record " << i + 1);
    CHECK(got[i] == expected[i]);
  }
}

TEST_CASE("the demo through the serial scanner gives the same records run after run") {
  // The loop reads the scanner with a zero timeout right after each scan is written to the pty:
  // a code must never slip to a later step (its record would then carry a later time).
  TempDir dir;
  const std::vector<std::string> expected = expected_records();
  for (int run = 1; run <= 20; ++run) {
    INFO("run " << run);
    REQUIRE(run_demo(dir, "direct", "serial") == expected);
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

TEST_CASE("gate-sim run refuses a scanner it does not have") {
  TempDir dir;
  auto built = run_to_end(gate_sim(
      {"cache-build", "--records", kDemo + "/records.jsonl", "--out", dir.file("cache.db")}));
  REQUIRE(built.exit_code == 0);
  auto run =
      run_to_end(gate_sim({"run", "--cache", dir.file("cache.db"), "--gate", "L1:S07:G03:entry",
                           "--scenario", kDemo + "/scenario.txt", "--scanner", "usb"}));
  CHECK(run.exit_code == 1);
  CHECK(run.out.empty());  // refused before the gate started
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
