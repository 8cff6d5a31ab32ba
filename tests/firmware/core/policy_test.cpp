#include "firmware/core/policy.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

namespace gate::core {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

// 2022-05-23 at `tod` UTC.
Instant may23(seconds tod) {
  return sys_days(2022y / May / 23) + tod;
}

PolicyRecord record(std::string id, Instant from, std::vector<std::string> lines,
                    std::vector<std::string> stations) {
  PolicyRecord r;
  r.id = std::move(id);
  r.effective_from = from;
  r.scope_lines = std::move(lines);
  r.scope_stations = std::move(stations);
  return r;
}

GateContext gate_at(std::string line, std::string station) {
  GateContext g;
  g.line = std::move(line);
  g.station = std::move(station);
  g.gate = "G03";
  return g;
}

// The id of the policy in force, or "" when none.
std::string in_force(const std::vector<PolicyRecord>& records, const GateContext& gate,
                     Instant now) {
  const PolicyRecord* p = resolve_policy(records, gate, now);
  return p ? p->id : "";
}

const GateContext kL1S07 = gate_at("L1", "S07");
const Instant kFrom = may23(0h);  // 08:00 local, 23 May
const Instant kNow = may23(1h);

TEST_CASE("no records: nothing in force", "[policy]") {
  CHECK(resolve_policy({}, kL1S07, kNow) == nullptr);
}

TEST_CASE("at equal instants station beats line beats everywhere", "[policy]") {
  std::vector<PolicyRecord> all = {record("all", kFrom, {}, {}), record("line", kFrom, {"L1"}, {}),
                                   record("station", kFrom, {}, {"S07"})};
  CHECK(in_force(all, kL1S07, kNow) == "station");
  // Storage order does not matter.
  std::vector<PolicyRecord> reversed(all.rbegin(), all.rend());
  CHECK(in_force(reversed, kL1S07, kNow) == "station");

  std::vector<PolicyRecord> no_station = {record("all", kFrom, {}, {}),
                                          record("line", kFrom, {"L1"}, {})};
  CHECK(in_force(no_station, kL1S07, kNow) == "line");
  std::vector<PolicyRecord> line_first = {record("line", kFrom, {"L1"}, {}),
                                          record("all", kFrom, {}, {})};
  CHECK(in_force(line_first, kL1S07, kNow) == "line");
}

TEST_CASE("a later effective_from wins over a more specific scope", "[policy]") {
  std::vector<PolicyRecord> records = {record("station", kFrom, {}, {"S07"}),
                                       record("all-later", kFrom + 1s, {}, {})};
  CHECK(in_force(records, kL1S07, kNow) == "all-later");
  // Before the later one takes effect, the earlier one is in force.
  CHECK(in_force(records, kL1S07, kFrom) == "station");
}

TEST_CASE("a policy takes effect exactly at effective_from, not before", "[policy]") {
  std::vector<PolicyRecord> records = {record("old", kFrom - 24h, {"L1"}, {}),
                                       record("new", kFrom, {"L1"}, {})};
  CHECK(in_force(records, kL1S07, kFrom - 1s) == "old");
  CHECK(in_force(records, kL1S07, kFrom - 1us) == "old");
  CHECK(in_force(records, kL1S07, kFrom) == "new");
  CHECK(in_force(records, kL1S07, kFrom + 1s) == "new");
}

TEST_CASE("future policies are ignored", "[policy]") {
  std::vector<PolicyRecord> only_future = {record("future", kNow + 1s, {}, {"S07"})};
  CHECK(resolve_policy(only_future, kL1S07, kNow) == nullptr);
  std::vector<PolicyRecord> records = {record("future", kNow + 1s, {}, {"S07"}),
                                       record("current", kFrom, {}, {})};
  CHECK(in_force(records, kL1S07, kNow) == "current");
}

TEST_CASE("a gate no record covers has no policy", "[policy]") {
  std::vector<PolicyRecord> records = {record("l2", kFrom, {"L2"}, {}),
                                       record("s08", kFrom, {}, {"S08"}),
                                       record("l2-s08", kFrom, {"L2"}, {"S08"})};
  CHECK(resolve_policy(records, kL1S07, kNow) == nullptr);
  CHECK(in_force(records, gate_at("L2", "S01"), kNow) == "l2-s08");  // line matched: "line" scope
}

TEST_CASE("a scope naming lines and stations covers the gate if either matches", "[policy]") {
  PolicyRecord both = record("both", kFrom, {"L1"}, {"S99"});
  // Matches by line only: counts as a line scope, so a station record at the same instant wins.
  std::vector<PolicyRecord> vs_station = {both, record("station", kFrom, {}, {"S07"})};
  CHECK(in_force(vs_station, kL1S07, kNow) == "station");
  std::vector<PolicyRecord> vs_all = {record("all", kFrom, {}, {}), both};
  CHECK(in_force(vs_all, kL1S07, kNow) == "both");

  // Matches by station: counts as a station scope.
  PolicyRecord by_station = record("by-station", kFrom, {"L9"}, {"S07"});
  std::vector<PolicyRecord> vs_line = {record("line", kFrom, {"L1"}, {}), by_station};
  CHECK(in_force(vs_line, kL1S07, kNow) == "by-station");
}

TEST_CASE("remaining ties go to the greatest id", "[policy]") {
  std::vector<PolicyRecord> records = {record("b", kFrom, {"L1"}, {}),
                                       record("c", kFrom, {"L1", "L2"}, {}),
                                       record("a", kFrom, {"L1"}, {})};
  CHECK(in_force(records, kL1S07, kNow) == "c");
  std::vector<PolicyRecord> reversed(records.rbegin(), records.rend());
  CHECK(in_force(reversed, kL1S07, kNow) == "c");
}

TEST_CASE("the returned record carries its policy fields", "[policy]") {
  PolicyRecord enforce = record("line1-enforce", kFrom, {"L1"}, {});
  enforce.policy.health_mode = HealthMode::enforce;
  enforce.policy.anti_passback_minutes = 20;
  std::vector<PolicyRecord> records = {record("all", kFrom - 1h, {}, {}), enforce};
  const PolicyRecord* p = resolve_policy(records, kL1S07, kNow);
  REQUIRE(p != nullptr);
  CHECK(p == &records[1]);  // points into the caller's storage
  CHECK(p->policy.health_mode == HealthMode::enforce);
  CHECK(p->policy.anti_passback_minutes == 20);
}

TEST_CASE("the default Policy is the no-policy behaviour of decisions.md", "[policy]") {
  Policy none;
  CHECK(none.health_mode == HealthMode::off);
  CHECK(none.not_upgraded == NotUpgradedPolicy::allow);
  CHECK(none.max_cache_age_minutes == 0);
  CHECK(none.anti_passback_minutes == 0);
  CHECK(none.test_max_age_hours == 0);
  CHECK(none.accept_m1);
}

}  // namespace
}  // namespace gate::core
