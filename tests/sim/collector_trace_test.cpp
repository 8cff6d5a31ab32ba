// The collector's tracing queries (sim/backoffice/collector.h) on journals of three gates, against
// passages worked out by hand from decisions.md: an `open` decision or a `staff_confirm` event is
// a passage, a deny, a pending staff_check or its timeout is not; a station is the gate id's line
// and station; an identity's passages are those of the cards bound to it at the time, from the
// registry's binding history (bound, unbound, bound to someone else, reported lost).
#include <catch2/catch.hpp>
#include <cstdio>
#include <map>
#include <sstream>

#include "sim/backoffice/collector.h"
#include "sim/backoffice/registry.h"
#include "tests/sim/collector_fixture.h"

using namespace gate::test::collector;
using gate::Instant;
using gate::backoffice::Registry;
using gate::backoffice::TimeRange;
using gate::core::Direction;
using gate::core::EventKind;
using gate::core::Outcome;
using gate::core::Reason;
using gate::test::TempDir;

namespace {

const std::string kCardB = "tu:3105170000000000021";
const std::string kCardX = "tu:3105170000000000099";  // never bound

Instant at(int hour, int minute) {
  return sys_days{2022y / May / 23} + hours(hour - 8) + minutes(minute);  // Beijing time
}

std::string iso(int hour, int minute) {
  char text[40];
  std::snprintf(text, sizeof text, "2022-05-23T%02d:%02d:00+08:00", hour, minute);
  return text;
}

gate::core::DecisionRecord open_at(const std::string& card, Instant t,
                                   Direction d = Direction::entry) {
  return decision(card, t, Outcome::open, Reason::ok, d);
}

// Three gates: two stations of line 1 and station S07 of line 2 (not line 1's S07). Each entry's
// label is what the expectations below name it by; `body` maps a label to its canonical body.
struct Network {
  TempDir dir;
  GateJournal g03{dir, "L1-S07-G03"};
  GateJournal s08{dir, "L1-S08-G01"};
  GateJournal l2{dir, "L2-S07-G01"};
  Collector collector = open_collector(dir, secrets_for({&g03, &s08, &l2}));
  std::map<std::string, std::string> body;

  template <class Entry>
  void add(GateJournal& g, const std::string& label, Entry e) {
    e.gate = g.key.gate;
    body[label] = gate::store::canonical_json(e);
    g.add(e);
  }

  Network() {
    add(g03, "A 13:10 open", open_at(kCardA, at(13, 10)));
    add(g03, "B 13:12 deny", decision(kCardB, at(13, 12), Outcome::deny, Reason::card_lost));
    add(g03, "B 13:15 staff_check",
        decision(kCardB, at(13, 15), Outcome::staff_check, Reason::health_popup));
    add(g03, "B 13:15 confirm", event(EventKind::staff_confirm, kCardB, at(13, 15) + seconds(4)));
    add(g03, "X 13:20 check",
        decision(kCardX, at(13, 20), Outcome::staff_check, Reason::not_upgraded));
    add(g03, "X 13:20 timeout",
        event(EventKind::staff_check_timeout, kCardX, at(13, 20) + seconds(20)));
    auto emergency = decision("", at(13, 25), Outcome::open, Reason::emergency_open);
    emergency.decision.media = gate::core::Media::none;
    add(g03, "emergency 13:25", emergency);
    add(s08, "A 13:35 exit", open_at(kCardA, at(13, 35), Direction::exit));
    add(s08, "C 13:50 open", open_at(kCardC, at(13, 50)));
    add(s08, "C 13:45 deny", decision(kCardC, at(13, 45), Outcome::deny, Reason::health_red));
    add(l2, "A 15:00 open", open_at(kCardA, at(15, 0)));
    add(l2, "C 14:40 confirm", event(EventKind::staff_confirm, kCardC, at(14, 40)));
    for (GateJournal* g : {&g03, &s08, &l2}) {
      auto a = accept(collector, g->batch());
      REQUIRE(a.verdict == Acceptance::Verdict::stored);
    }
  }

  std::vector<std::string> bodies(std::initializer_list<const char*> labels) {
    std::vector<std::string> out;
    for (const char* label : labels) {
      INFO(label);
      REQUIRE(body.count(label) == 1);
      out.push_back(body.at(label));
    }
    return out;
  }
};

std::vector<std::string> got(gate::Result<std::vector<std::string>> r) {
  INFO((r.ok() ? "" : r.error().message));
  REQUIRE(r.ok());
  return std::move(r).value();
}

}  // namespace

TEST_CASE("collector trace: a credential's passages, both directions, in time order and range") {
  Network n;
  auto& c = n.collector;
  CHECK(got(c.passages_of_credential(kCardA, {})) ==
        n.bodies({"A 13:10 open", "A 13:35 exit", "A 15:00 open"}));
  CHECK(got(c.passages_of_credential(kCardB, {})) == n.bodies({"B 13:15 confirm"}));
  // A pending check that timed out let nobody through.
  CHECK(got(c.passages_of_credential(kCardX, {})).empty());
  // [from, to): from is in, to is out.
  CHECK(got(c.passages_of_credential(kCardA, {at(13, 35), at(15, 0)})) ==
        n.bodies({"A 13:35 exit"}));
  CHECK(got(c.passages_of_credential(kCardA, {at(13, 11), std::nullopt})) ==
        n.bodies({"A 13:35 exit", "A 15:00 open"}));
  CHECK(got(c.passages_of_credential(kCardC, {std::nullopt, at(14, 40)})) ==
        n.bodies({"C 13:50 open"}));
}

TEST_CASE("collector trace: every rider through a station, its own line only") {
  Network n;
  auto& c = n.collector;
  // The emergency opening at L1-S07 has no credential: nobody to trace.
  CHECK(got(c.passages_at_station("L1-S07", {})) == n.bodies({"A 13:10 open", "B 13:15 confirm"}));
  CHECK(got(c.passages_at_station("L1-S08", {})) == n.bodies({"A 13:35 exit", "C 13:50 open"}));
  CHECK(got(c.passages_at_station("L2-S07", {})) == n.bodies({"C 14:40 confirm", "A 15:00 open"}));
  CHECK(got(c.passages_at_station("L2-S07", {at(14, 41), std::nullopt})) ==
        n.bodies({"A 15:00 open"}));
  CHECK(got(c.passages_at_station("L1", {})).empty());
  CHECK(got(c.passages_at_station("L1-S07-G03", {})).empty());  // a gate is not a station
}

TEST_CASE("collector trace: an identity's passages through the cards bound to it at the time") {
  Network n;
  TempDir dir;
  auto reg = Registry::open(dir.file("reg.db"));
  REQUIRE(reg.ok());
  // id-1 holds card A from the 22nd; A is unbound at 13:30 and C bound to id-1 at 13:40; A is
  // bound to id-2 at 14:00; C is reported lost at 14:30 (still id-1's: a lost card keeps its
  // binding). B is id-3's throughout.
  auto op = [](const std::string& kind, const std::string& card, const std::string& when,
               const std::string& identity = "") {
    std::string line =
        R"({"op":")" + kind + R"(","at":")" + when + R"(","credential":")" + card + "\"";
    if (!identity.empty()) {
      line += R"(,"identity":")" + identity + R"(","media":"card","by":")" + identity + "\"";
    }
    return line + "}\n";
  };
  std::istringstream ops(
      op("bind", kCardA, "2022-05-22T09:00:00+08:00", "id-1") +
      op("bind", kCardB, "2022-05-22T09:00:00+08:00", "id-3") + op("unbind", kCardA, iso(13, 30)) +
      op("bind", kCardC, iso(13, 40), "id-1") + op("bind", kCardA, iso(14, 0), "id-2") +
      op("report_lost", kCardC, iso(14, 30)));
  auto parsed = gate::backoffice::parse_operations(ops);
  REQUIRE(parsed.ok());
  REQUIRE(reg->apply(*parsed).ok());

  auto& c = n.collector;
  // A at 13:35 was unbound: nobody's. C at 13:45 was a deny.
  CHECK(got(c.passages_of_identity(*reg, "id-1", {})) ==
        n.bodies({"A 13:10 open", "C 13:50 open", "C 14:40 confirm"}));
  CHECK(got(c.passages_of_identity(*reg, "id-2", {})) == n.bodies({"A 15:00 open"}));
  CHECK(got(c.passages_of_identity(*reg, "id-3", {})) == n.bodies({"B 13:15 confirm"}));
  CHECK(got(c.passages_of_identity(*reg, "id-1", {at(13, 20), at(14, 40)})) ==
        n.bodies({"C 13:50 open"}));
  CHECK(got(c.passages_of_identity(*reg, "nobody", {})).empty());
}
