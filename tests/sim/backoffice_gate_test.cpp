// The registry's rules as a gate sees them, end to end through the real programs: operations
// applied with `gate-backoffice apply`, published as a signed feed with `gate-backoffice publish`
// (a snapshot, then a delta with the rules' changes), synced with `gate-sim sync` and tapped in
// `gate-sim run`. Expected reasons come from decisions.md's
// decision table under a policy that enforces health and denies not-upgraded cards (so a card
// that is no longer bound is unambiguously `not_upgraded`): row 6 blocked → card_blocked, row 7
// lost → card_lost, row 8 no current binding → not_upgraded, row 15 bound and green → ok.
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "backoffice_steps.h"
#include "tests/support/temp_dir.h"

using gate::test::apply_ops;
using gate::test::gate_backoffice;
using gate::test::gate_sim;
using gate::test::run_to_end;
using gate::test::TempDir;

namespace {

const std::string kAt = "2022-05-20T09:00:00+08:00";

std::string bind_op(const std::string& cred, const std::string& identity, std::string by = "") {
  if (by.empty()) by = identity;
  return R"({"op":"bind","at":")" + kAt + R"(","credential":")" + cred + R"(","identity":")" +
         identity + R"(","media":"card","by":")" + by + "\"}\n";
}

std::string status_op(const std::string& op, const std::string& cred) {
  return R"({"op":")" + op + R"(","credential":")" + cred + R"(","at":")" + kAt + "\"}\n";
}

std::string green(const std::string& identity) {
  return R"({"op":"health","identity":")" + identity +
         R"(","colour":"green","popup":false,"last_negative_test":null,"as_of":"2022-05-23T04:00:00+08:00"})"
         "\n";
}

}  // namespace

TEST_CASE("the registry's rules reach the gate: unbound, replaced, lost, refunded, 6th refused") {
  TempDir dir;
  const std::string old_card = "tu:3105170000000000411";  // unbound in favour of new_card
  const std::string new_card = "tu:3105170000000000412";
  const std::string lost = "tu:3105170000000000421";
  const std::string refunded = "tu:3105170000000000431";
  const std::string sixth = "tu:3105170000000000446";  // the helper's 6th on behalf of others
  std::string setup =
      R"({"op":"policy","id":"everywhere","effective_from":"2022-05-01T00:00:00+08:00","scope":{"lines":[],"stations":[]},"health_mode":"enforce","not_upgraded":"deny","health_unknown":"deny"})"
      "\n" +
      bind_op(old_card, "id-a") + green("id-a") + bind_op(lost, "id-c") + green("id-c") +
      bind_op(refunded, "id-d") + green("id-d");
  for (int i = 1; i <= 5; ++i) {
    setup +=
        bind_op("tu:310517000000000044" + std::to_string(i), "id-e" + std::to_string(i), "id-h");
  }
  setup += green("id-e6");
  const std::string synced_at = "2022-05-23T05:30:00+08:00";
  REQUIRE(gate::test::make_feed(dir) == 0);
  REQUIRE(gate::test::apply_and_publish(dir, "setup.jsonl", setup, synced_at) == 0);
  REQUIRE(gate::test::sync_feed(dir, synced_at) == 0);  // the snapshot
  REQUIRE(gate::test::apply_and_publish(dir, "changes.jsonl",
                                        status_op("unbind", old_card) + bind_op(new_card, "id-a") +
                                            status_op("report_lost", lost) +
                                            status_op("refund", refunded),
                                        synced_at) == 0);
  CHECK(apply_ops(dir, "refused.jsonl", bind_op(sixth, "id-e6", "id-h")) == 1);
  REQUIRE(gate::test::publish(dir, synced_at) == 0);    // nothing new: the manifest renewed
  REQUIRE(gate::test::sync_feed(dir, synced_at) == 0);  // the delta
  std::ofstream(dir.file("scenario.txt")) << "clock 2022-05-23T06:00:00+08:00\n"
                                          << "tap " << old_card << "\nwait 3s\n"
                                          << "tap " << new_card << "\npass\nwait 3s\n"
                                          << "tap " << lost << "\nwait 3s\n"
                                          << "tap " << refunded << "\nwait 3s\n"
                                          << "tap " << sixth << "\nwait 3s\n";
  auto run = run_to_end(gate_sim({"run", "--cache", dir.file("synced.db"), "--gate",
                                  "L1:S07:G03:entry", "--scenario", dir.file("scenario.txt")}));
  REQUIRE(run.exit_code == 0);

  std::map<std::string, std::string> reason_of;  // masked credential → reason
  std::istringstream out(run.out);
  for (std::string line; std::getline(out, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("credential")) {
      reason_of[j["credential"].get<std::string>()] = j["reason"].get<std::string>();
    }
  }
  INFO(run.out);
  CHECK(reason_of["tu:***************0411"] == "not_upgraded");
  CHECK(reason_of["tu:***************0412"] == "ok");
  CHECK(reason_of["tu:***************0421"] == "card_lost");
  CHECK(reason_of["tu:***************0431"] == "card_blocked");
  CHECK(reason_of["tu:***************0446"] == "not_upgraded");
}

TEST_CASE("gate-backoffice changes gives the records after a sequence, records the whole state") {
  TempDir dir;
  REQUIRE(apply_ops(dir, "a.jsonl", bind_op("tu:3105170000000000511", "id-a")) == 0);
  REQUIRE(apply_ops(dir, "b.jsonl",
                    R"({"op":"deny","credential":"tu:3105170000000000599","note":"n"})"
                    "\n"
                    R"({"op":"undeny","credential":"tu:3105170000000000599"})"
                    "\n") == 0);
  auto changes =
      run_to_end(gate_backoffice({"changes", "--registry", dir.file("reg.db"), "--since", "1"}));
  REQUIRE(changes.exit_code == 0);
  CHECK(changes.out == R"({"type":"deny","credential":"tu:3105170000000000599","note":"n"})"
                       "\n"
                       R"({"type":"delete","kind":"deny","credential":"tu:3105170000000000599"})"
                       "\n");
  auto records = run_to_end(gate_backoffice({"records", "--registry", dir.file("reg.db")}));
  REQUIRE(records.exit_code == 0);
  CHECK(
      records.out ==
      R"({"type":"binding","credential":"tu:3105170000000000511","identity":"id-a","media":"card","status":"active","since":"2022-05-20T09:00:00+08:00"})"
      "\n");
  CHECK(run_to_end(gate_backoffice({"changes", "--registry", dir.file("reg.db"), "--since", "x"}))
            .exit_code == 2);
  CHECK(run_to_end(gate_backoffice({"apply", "--registry", dir.file("reg.db")})).exit_code == 2);
  // A mistyped registry path is not read as an empty registry.
  CHECK(run_to_end(gate_backoffice({"records", "--registry", dir.file("typo.db")})).exit_code == 1);
}
