// Interop with a program nobody here wrote: Debian's unmodified nfc-list (libnfc-bin) against the
// PN532 emulator, in this process and as `gate-sim pn532`. Host builds only (see CMakeLists.txt).
// nfc-list runs under `timeout 20`, so a broken emulator fails the test instead of hanging it.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "child_process.h"
#include "sim/cards/card_factory.h"
#include "sim/pn532/pn532_emulator.h"
#include "tests/support/temp_dir.h"

namespace gate::sim {
namespace {

// nfc-list with only the given device (LIBNFC_DEVICE replaces the configured ones) and no scan.
test::RunResult nfc_list(const std::string& connstring) {
  return test::run_to_end({"env", "LIBNFC_DEVICE=" + connstring, "LIBNFC_AUTO_SCAN=false",
                           "timeout", "20", GATE_NFC_LIST});
}

// The UID line as nfc-list prints it: "UID (NFCID1): 87  c0  fc  38".
std::string uid_line(const EmulatedCard& card) {
  std::string line = "UID (NFCID1): ";
  for (std::uint8_t b : card.target().uid) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "%02x  ", b);
    line += hex;
  }
  return line.substr(0, line.size() - 2);
}

TEST_CASE("pn532 nfc-list: Debian's nfc-list finds the emulated cards") {
  test::TempDir dir;
  auto started = Pn532Emulator::start(dir.file("pn532"));
  REQUIRE(started.ok());
  auto emulator = std::move(started).value();

  auto card = make_card_for_key("tu:3105170010170907984");
  emulator->place(card);
  test::RunResult one = nfc_list(emulator->connstring());
  INFO(one.out);
  CHECK(one.exit_code == 0);
  CHECK(one.out.find("1 ISO14443A passive target(s) found") != std::string::npos);
  CHECK(one.out.find(uid_line(*card)) != std::string::npos);
  CHECK(one.out.find("ATQA (SENS_RES): 00  04") != std::string::npos);
  CHECK(one.out.find("SAK (SEL_RES): 20") != std::string::npos);

  auto classic = make_card_for_key("m1:04a1b2c3");
  emulator->place(classic);
  test::RunResult two = nfc_list(emulator->connstring());
  INFO(two.out);
  CHECK(two.exit_code == 0);
  CHECK(two.out.find("2 ISO14443A passive target(s) found") != std::string::npos);
  CHECK(two.out.find("UID (NFCID1): 04  a1  b2  c3") != std::string::npos);
  CHECK(emulator->counters().syntax_errors == 0);
}

TEST_CASE("pn532 nfc-list: gate-sim pn532 serves nfc-list until SIGTERM, then removes its link") {
  test::TempDir dir;
  const std::string link = dir.file("reader");
  // The announcement goes to stderr: the shell hands it to the pipe the test reads.
  std::vector<std::string> argv{"sh", "-c", "exec \"$0\" \"$@\" 2>&1"};
  for (const std::string& word :
       test::gate_sim({"pn532", "--link", link, "--card", "tu:3105170010170907984"})) {
    argv.push_back(word);
  }
  test::ChildProcess child(argv);
  REQUIRE(child.started());
  std::string line;
  REQUIRE(child.read_line(line));
  CHECK(line.rfind("pn532 emulator on /dev/pts/", 0) == 0);
  CHECK(line.find("link " + link + "; connstring pn532_uart:" + link) != std::string::npos);
  CHECK(std::filesystem::is_symlink(link));

  test::RunResult listed = nfc_list("pn532_uart:" + link);
  INFO(listed.out);
  CHECK(listed.exit_code == 0);
  CHECK(listed.out.find(uid_line(*make_card_for_key("tu:3105170010170907984"))) !=
        std::string::npos);

  const int status = child.kill_and_wait(SIGTERM);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK_FALSE(std::filesystem::is_symlink(link));
}

TEST_CASE("pn532 nfc-list: gate-sim pn532 refuses a missing link or a bad card key") {
  CHECK(test::run_to_end(test::gate_sim({"pn532", "--card", "tu:3105170010170907984"})).exit_code ==
        2);
  test::TempDir dir;
  CHECK(test::run_to_end(test::gate_sim({"pn532", "--link", dir.file("x"), "--card", "qr:1"}))
            .exit_code == 2);
  CHECK_FALSE(std::filesystem::exists(dir.file("x")));
}

}  // namespace
}  // namespace gate::sim
