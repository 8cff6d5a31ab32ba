// The ride-code program end to end: keys, the issuer_key record, certificates and codes; a QR code
// PNG read back by Debian's zbarimg (zbar-tools), a program nobody here wrote; usage errors exit 2
// and failures exit 1, never a crash. Host builds only (see CMakeLists.txt); every program runs
// under `timeout 20`.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "child_process.h"
#include "firmware/core/in_memory_replay_guard.h"
#include "firmware/core/trc1_verifier.h"
#include "firmware/store/record_loader.h"
#include "tests/firmware/core/trc1_vectors.h"
#include "tests/support/temp_dir.h"

namespace gate::sim {
namespace {

using core::test::at_unix;

test::RunResult ride_code(std::vector<std::string> args) {
  args.insert(args.begin(), {GATE_TIMEOUT, "20", GATE_RIDE_CODE});
  return test::run_to_end(args);
}

std::string first_line(const test::RunResult& r) {
  return r.out.substr(0, r.out.find('\n'));
}

// Issuer and device keys made by `ride-code keygen` in a scratch directory.
struct Keys {
  test::TempDir dir;
  std::string issuer = dir.file("issuer.pem");
  std::string device = dir.file("device.pem");
  std::string device_pub = dir.file("device.pub.pem");
  Keys() {
    REQUIRE(ride_code({"keygen", "--out", issuer}).exit_code == 0);
    REQUIRE(ride_code({"keygen", "--out", device, "--pub", device_pub}).exit_code == 0);
  }
  std::vector<std::string> cert_options() const {
    return {"--issuer-key",      issuer,
            "--issuer-id",       "2",
            "--key-id",          "7",
            "--device-key",      device,
            "--account",         "100000000099",
            "--cert-not-before", "2022-05-23T00:00:00+08:00",
            "--cert-not-after",  "2022-05-24T00:00:00+08:00"};
  }
  std::vector<std::string> mint_options() const {
    std::vector<std::string> options = cert_options();
    options.insert(options.begin(), "mint");
    options.insert(options.end(),
                   {"--at", "2022-05-23T05:00:00+08:00", "--validity", "60", "--sequence", "3"});
    return options;
  }
};

std::string verify(const std::string& text, const std::string& record_line) {
  auto change = store::parse_record_line(record_line, 1);
  INFO(record_line);
  REQUIRE(change.ok());
  core::Trc1Verifier verifier;
  core::test::VectorIssuerKeySource keys({std::get<core::IssuerKey>(*change)});
  core::InMemoryReplayGuard replay;
  return core::test::result_name(verifier.verify(text, at_unix(1653253205), keys, replay));
}

TEST_CASE("ride-code: a minted code verifies with the record the tool prints", "[ride_code]") {
  Keys keys;
  const auto record = ride_code({"issuer-record", "--key", keys.issuer, "--issuer-id", "2",
                                 "--key-id", "7", "--valid-from", "2022-05-13T05:00:00+08:00",
                                 "--valid-until", "2022-06-02T05:00:00+08:00"});
  REQUIRE(record.exit_code == 0);
  const std::string line = first_line(record);
  CHECK(line.starts_with("{\"type\":\"issuer_key\",\"issuer_id\":2,\"key_id\":7,"));
  CHECK(
      line.ends_with(",\"valid_from\":\"2022-05-13T05:00:00+08:00\","
                     "\"valid_until\":\"2022-06-02T05:00:00+08:00\",\"revoked\":false}"));
  const auto minted = ride_code(keys.mint_options());
  REQUIRE(minted.exit_code == 0);
  const std::string text = first_line(minted);
  CHECK(text.size() == 337);
  CHECK(verify(text, line) == "ok");

  // `cert` then `mint --cert` gives the same code (ECDSA nonces are RFC 6979's, not random).
  std::vector<std::string> cert_args = keys.cert_options();
  cert_args.insert(cert_args.begin(), "cert");
  const auto cert = ride_code(cert_args);
  REQUIRE(cert.exit_code == 0);
  CHECK(first_line(cert).size() == 298);
  const auto again =
      ride_code({"mint", "--cert", first_line(cert), "--device-key", keys.device, "--at",
                 "2022-05-23T05:00:00+08:00", "--validity", "60", "--sequence", "3"});
  REQUIRE(again.exit_code == 0);
  CHECK(first_line(again) == text);

  const auto revoked = ride_code({"issuer-record", "--key", keys.issuer, "--issuer-id", "2",
                                  "--key-id", "7", "--valid-from", "2022-05-13T05:00:00Z",
                                  "--valid-until", "2022-06-02T05:00:00Z", "--revoked"});
  REQUIRE(revoked.exit_code == 0);
  CHECK(
      first_line(revoked).ends_with("\"valid_until\":\"2022-06-02T05:00:00Z\",\"revoked\":true}"));
  CHECK(verify(text, first_line(revoked)) == "code_key_revoked");
}

TEST_CASE("ride-code: zbarimg reads the PNG back to the same text", "[ride_code][zbar]") {
  Keys keys;
  std::vector<std::string> args = keys.mint_options();
  const std::string png = keys.dir.file("code.png");
  args.insert(args.end(), {"--png", png});
  const auto minted = ride_code(args);
  REQUIRE(minted.exit_code == 0);
  const auto scanned = test::run_to_end({GATE_TIMEOUT, "20", GATE_ZBARIMG, "--raw", "-q", png});
  CHECK(scanned.exit_code == 0);
  CHECK(scanned.out == minted.out);
  CHECK(first_line(scanned).starts_with("TRC1:"));
}

TEST_CASE("ride-code: a minted code opens the demo gate in gate-sim, and only once",
          "[ride_code]") {
  Keys keys;
  std::ifstream demo(GATE_SOURCE_DIR "/sim/demo/records.jsonl");
  std::stringstream records;
  records << demo.rdbuf();
  const auto record = ride_code({"issuer-record", "--key", keys.issuer, "--issuer-id", "2",
                                 "--key-id", "9", "--valid-from", "2022-05-01T00:00:00+08:00",
                                 "--valid-until", "2023-05-01T00:00:00+08:00"});
  REQUIRE(record.exit_code == 0);
  records << record.out;
  std::ofstream(keys.dir.file("records.jsonl")) << records.str();
  // qr:100000000001 is bound to a green identity in the demo records.
  const auto minted = ride_code(
      {"mint", "--issuer-key", keys.issuer, "--issuer-id", "2", "--key-id", "9", "--device-key",
       keys.device, "--account", "100000000001", "--cert-not-before", "2022-05-23T00:00:00+08:00",
       "--cert-not-after", "2022-05-24T00:00:00+08:00", "--at", "2022-05-23T05:00:00+08:00"});
  REQUIRE(minted.exit_code == 0);
  std::ofstream(keys.dir.file("scenario.txt"))
      << "clock 2022-05-23T05:00:05+08:00\nscan " << first_line(minted)
      << "\nwait 1s\npass\nwait 3s\nscan " << first_line(minted) << "\nwait 3s\n";
  REQUIRE(
      test::run_to_end(
          test::gate_sim({"cache-build", "--records", keys.dir.file("records.jsonl"), "--out",
                          keys.dir.file("cache.db"), "--synced-at", "2022-05-23T04:00:00+08:00"}))
          .exit_code == 0);
  const auto run = test::run_to_end(
      test::gate_sim({"run", "--cache", keys.dir.file("cache.db"), "--gate", "L1:S07:G03:entry",
                      "--scenario", keys.dir.file("scenario.txt")}));
  INFO(run.out);
  REQUIRE(run.exit_code == 0);
  const std::size_t opened = run.out.find(
      "\"media\":\"qr\",\"credential\":\"qr:********0001\","
      "\"outcome\":\"open\",\"reason\":\"ok\"");
  CHECK(opened != std::string::npos);
  CHECK(run.out.find("\"reason\":\"code_replayed\"", opened) != std::string::npos);
}

TEST_CASE("ride-code: keygen writes keys openssl accepts, and never replaces a file",
          "[ride_code][openssl]") {
  Keys keys;
  CHECK(test::run_to_end(
            {GATE_TIMEOUT, "20", GATE_OPENSSL, "ec", "-in", keys.device, "-noout", "-check"})
            .exit_code == 0);
  struct stat st {};
  REQUIRE(::stat(keys.device.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  const auto pub = ride_code({"pubkey", "--key", keys.device_pub});
  const auto from_private = ride_code({"pubkey", "--key", keys.device});
  CHECK(pub.exit_code == 0);
  CHECK(first_line(pub).size() == 130);
  CHECK(pub.out == from_private.out);
  CHECK(ride_code({"keygen", "--out", keys.device}).exit_code == 1);
  // The public key cannot be written: no private key is left behind either.
  CHECK(ride_code({"keygen", "--out", keys.dir.file("new.pem"), "--pub", keys.device_pub})
            .exit_code == 1);
  CHECK(::stat(keys.dir.file("new.pem").c_str(), &st) != 0);
}

TEST_CASE("ride-code: usage errors exit 2, failures exit 1", "[ride_code]") {
  Keys keys;
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = keys.mint_options();
    args.insert(args.end(), extra.begin(), extra.end());
    return ride_code(args).exit_code;
  };
  auto replacing = [&](const std::string& option, const std::string& value) {
    std::vector<std::string> args = keys.mint_options();
    for (std::size_t i = 0; i + 1 < args.size(); ++i) {
      if (args[i] == option) args[i + 1] = value;
    }
    return ride_code(args).exit_code;
  };
  CHECK(ride_code({}).exit_code == 2);
  CHECK(ride_code({"frobnicate"}).exit_code == 2);
  CHECK(ride_code({"keygen"}).exit_code == 2);
  CHECK(ride_code({"keygen", "--out"}).exit_code == 2);
  CHECK(ride_code({"keygen", "--out", keys.dir.file("x.pem"), "--colour", "red"}).exit_code == 2);
  CHECK(ride_code({"mint", "stray"}).exit_code == 2);
  CHECK(with({"--sequence", "4"}) == 2);  // given twice
  CHECK(with({"--cert", std::string(298, '0')}) == 2);
  CHECK(replacing("--issuer-id", "65536") == 2);
  CHECK(replacing("--issuer-id", "-1") == 2);
  CHECK(replacing("--key-id", "7x") == 2);
  CHECK(replacing("--account", "18446744073709551616") == 2);
  CHECK(replacing("--validity", "0") == 2);
  CHECK(replacing("--validity", "301") == 2);
  CHECK(replacing("--at", "2022-05-23 05:00:00") == 2);
  CHECK(replacing("--at", "2022-05-23T05:00:00.5+08:00") == 2);
  CHECK(replacing("--at", "1969-12-31T23:59:59Z") == 2);
  CHECK(replacing("--cert-not-after", "2022-05-22T00:00:00+08:00") == 2);
  CHECK(ride_code({"mint", "--cert", "abc", "--device-key", keys.device}).exit_code == 2);

  CHECK(replacing("--issuer-key", keys.dir.file("missing.pem")) == 1);
  CHECK(replacing("--issuer-key", keys.device_pub) == 1);  // a public key cannot sign
  CHECK(replacing("--issuer-key", keys.dir.path()) == 1);
  CHECK(ride_code({"pubkey", "--key", GATE_SOURCE_DIR "/README.md"}).exit_code == 1);
  CHECK(with({"--png", keys.dir.file("no/such/dir/code.png")}) == 1);
  // A certificate for the device key, minted with another key.
  std::vector<std::string> cert_args = keys.cert_options();
  cert_args.insert(cert_args.begin(), "cert");
  const auto cert = ride_code(cert_args);
  REQUIRE(cert.exit_code == 0);
  CHECK(ride_code({"mint", "--cert", first_line(cert), "--device-key", keys.issuer}).exit_code ==
        1);
}

}  // namespace
}  // namespace gate::sim
