// Tests the simulated devices in sim/devices: each one's hal behaviour and its control API.
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "sim/devices/sim_card_reader.h"
#include "sim/devices/sim_clock.h"
#include "sim/devices/sim_code_scanner.h"
#include "sim/devices/sim_gate_mechanism.h"
#include "sim/devices/sim_indicator.h"
#include "sim/devices/sim_staff_panel.h"
#include "sim/devices/sim_watchdog.h"

namespace gate::sim {
namespace {

using namespace std::chrono_literals;
using Kind = hal::CardPresence::Kind;

// 2022-05-23 05:00:00 UTC, the first train of the functional tests (SEED S3).
const Instant kStart = Instant{std::chrono::sys_days{std::chrono::year{2022} / 5 / 23}} + 5h;

// A card that echoes each APDU followed by 90 00, or fails with `fail_with` when set.
class FakeCard final : public EmulatedCard {
 public:
  explicit FakeCard(std::uint8_t id) : id_(id) {}
  void enter_field() override { ++entered; }
  hal::CardTarget target() const override { return {{0x04, id_, 0x22, 0x33}, 0x0004, 0x20, true}; }
  Result<hal::Bytes> respond(std::span<const std::uint8_t> apdu) override {
    received.emplace_back(apdu.begin(), apdu.end());
    if (fail_with) return make_error(*fail_with, "fake card");
    hal::Bytes reply(apdu.begin(), apdu.end());
    reply.insert(reply.end(), {0x90, 0x00});
    return reply;
  }
  int entered = 0;
  std::vector<hal::Bytes> received;
  std::optional<Errc> fail_with;

 private:
  std::uint8_t id_;
};

const hal::Bytes kSelectMf{0x00, 0xA4, 0x00, 0x00, 0x02, 0x3F, 0x00, 0x00};

Kind poll_kind(SimCardReader& reader) {
  auto presence = reader.poll(500ms);
  REQUIRE(presence.ok());
  return presence->kind;
}

TEST_CASE("SimClock: starts where told and moves only when told", "[sim][clock]") {
  SimClock clock(kStart);
  CHECK(clock.wall_now() == kStart);
  CHECK(clock.mono_now() == SimClock::kMonoOrigin);
  CHECK(clock.mono_now() != MonoInstant{});

  clock.advance(1500ms);
  CHECK(clock.wall_now() == kStart + 1500ms);
  CHECK(clock.mono_now() == SimClock::kMonoOrigin + 1500ms);
}

TEST_CASE("SimClock: set_wall jumps wall time only", "[sim][clock]") {
  SimClock clock(kStart);
  clock.advance(10s);
  clock.set_wall(kStart - 1h);  // NTP steps the clock back
  CHECK(clock.wall_now() == kStart - 1h);
  CHECK(clock.mono_now() == SimClock::kMonoOrigin + 10s);
  clock.advance(1us);
  CHECK(clock.wall_now() == kStart - 1h + 1us);
  CHECK(clock.mono_now() == SimClock::kMonoOrigin + 10s + 1us);
}

TEST_CASE("SimCardReader: a quiet field is Kind::none and poll does not wait", "[sim][reader]") {
  SimClock clock(kStart);
  SimCardReader reader(clock);
  CHECK(poll_kind(reader) == Kind::none);
  CHECK(clock.mono_now() == SimClock::kMonoOrigin);
  CHECK(reader.transceive(kSelectMf, 100ms).error().code == Errc::io_error);
}

TEST_CASE("SimCardReader: one card is reported once per presence", "[sim][reader]") {
  SimClock clock(kStart);
  SimCardReader reader(clock);
  auto card = std::make_shared<FakeCard>(0x11);
  reader.place(card);
  reader.place(card);  // already in the field: nothing happens
  CHECK(card->entered == 1);
  CHECK(reader.in_field() == 1);

  clock.advance(42ms);
  auto presence = reader.poll(500ms);
  REQUIRE(presence.ok());
  CHECK(presence->kind == Kind::one);
  CHECK(presence->target.uid == std::vector<std::uint8_t>{0x04, 0x11, 0x22, 0x33});
  CHECK(presence->target.iso14443_4);
  CHECK(presence->detected_at == SimClock::kMonoOrigin + 42ms);

  // Held on the reader: one tap, not a stream of taps.
  CHECK(poll_kind(reader) == Kind::none);
  CHECK(poll_kind(reader) == Kind::none);

  reader.remove_all();
  CHECK(reader.in_field() == 0);
  CHECK(poll_kind(reader) == Kind::none);
  reader.place(card);
  CHECK(card->entered == 2);
  CHECK(poll_kind(reader) == Kind::one);
}

TEST_CASE("SimCardReader: APDUs go to the reported card", "[sim][reader]") {
  SimClock clock(kStart);
  SimCardReader reader(clock);
  auto card = std::make_shared<FakeCard>(0x11);
  reader.place(card);
  // Not yet reported: nothing is selected.
  CHECK(reader.transceive(kSelectMf, 100ms).error().code == Errc::io_error);
  CHECK(reader.exchange_count() == 0);

  REQUIRE(poll_kind(reader) == Kind::one);
  auto reply = reader.transceive(kSelectMf, 100ms);
  REQUIRE(reply.ok());
  hal::Bytes expected = kSelectMf;
  expected.insert(expected.end(), {0x90, 0x00});
  CHECK(*reply == expected);
  REQUIRE(card->received.size() == 1);
  CHECK(card->received[0] == kSelectMf);
  CHECK(reader.exchange_count() == 1);

  SECTION("the card's own failures pass through and still count as exchanges") {
    card->fail_with = Errc::timeout;
    CHECK(reader.transceive(kSelectMf, 100ms).error().code == Errc::timeout);
    CHECK(reader.exchange_count() == 2);
  }
  SECTION("a card that left the field cannot be talked to") {
    reader.remove(card);
    CHECK(reader.transceive(kSelectMf, 100ms).error().code == Errc::io_error);
    CHECK(reader.exchange_count() == 1);
  }
}

TEST_CASE("SimCardReader: two cards are Kind::multiple once per change", "[sim][reader]") {
  SimClock clock(kStart);
  SimCardReader reader(clock);
  auto a = std::make_shared<FakeCard>(0x0a);
  auto b = std::make_shared<FakeCard>(0x0b);
  auto c = std::make_shared<FakeCard>(0x0c);
  reader.place_many({a, b});
  CHECK(reader.in_field() == 2);
  CHECK(a->entered == 1);
  CHECK(b->entered == 1);

  clock.advance(7ms);
  auto presence = reader.poll(500ms);
  REQUIRE(presence.ok());
  CHECK(presence->kind == Kind::multiple);
  CHECK(presence->detected_at == SimClock::kMonoOrigin + 7ms);
  CHECK(poll_kind(reader) == Kind::none);
  CHECK(reader.transceive(kSelectMf, 100ms).error().code == Errc::io_error);
  CHECK(a->received.empty());

  reader.place(c);
  CHECK(poll_kind(reader) == Kind::multiple);
  CHECK(poll_kind(reader) == Kind::none);

  // The intruders leave; `a` was never read in this presence, so now it is.
  reader.remove(b);
  reader.remove(c);
  auto alone = reader.poll(500ms);
  REQUIRE(alone.ok());
  CHECK(alone->kind == Kind::one);
  CHECK(alone->target.uid[1] == 0x0a);
  CHECK(reader.transceive(kSelectMf, 100ms).ok());
  CHECK(poll_kind(reader) == Kind::none);
}

TEST_CASE("SimCardReader: a second card next to a reported one", "[sim][reader]") {
  SimClock clock(kStart);
  SimCardReader reader(clock);
  auto a = std::make_shared<FakeCard>(0x0a);
  auto b = std::make_shared<FakeCard>(0x0b);
  reader.place(a);
  REQUIRE(poll_kind(reader) == Kind::one);
  reader.place(b);
  CHECK(reader.transceive(kSelectMf, 100ms).error().code == Errc::io_error);
  CHECK(poll_kind(reader) == Kind::multiple);
  reader.remove(b);
  CHECK(poll_kind(reader) == Kind::none);  // `a` was already read in this presence
}

TEST_CASE("SimCardReader: reader down and back", "[sim][reader]") {
  SimClock clock(kStart);
  SimCardReader reader(clock);
  auto card = std::make_shared<FakeCard>(0x11);

  SECTION("a card placed while down is reported once the reader is back") {
    reader.set_down(true);
    reader.place(card);
    CHECK(reader.poll(500ms).error().code == Errc::device_lost);
    CHECK(reader.transceive(kSelectMf, 100ms).error().code == Errc::device_lost);
    reader.set_down(false);
    CHECK(poll_kind(reader) == Kind::one);
    CHECK(reader.transceive(kSelectMf, 100ms).ok());
  }
  SECTION("the selection does not survive the outage") {
    reader.place(card);
    REQUIRE(poll_kind(reader) == Kind::one);
    reader.set_down(true);
    CHECK(reader.transceive(kSelectMf, 100ms).error().code == Errc::device_lost);
    reader.set_down(false);
    CHECK(reader.transceive(kSelectMf, 100ms).error().code == Errc::io_error);
    CHECK(poll_kind(reader) == Kind::none);
    CHECK(reader.exchange_count() == 0);
  }
}

TEST_CASE("SimCodeScanner: lines come out in order, stamped on reading", "[sim][scanner]") {
  SimClock clock(kStart);
  SimCodeScanner scanner(clock);
  auto none = scanner.read_line(200ms);
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  CHECK(clock.mono_now() == SimClock::kMonoOrigin);

  const std::string binary("TRC1.\x00\xff", 7);
  scanner.push_line("first");
  scanner.push_line(binary);
  CHECK(scanner.pending() == 2);
  clock.advance(3ms);
  auto first = scanner.read_line(200ms);
  REQUIRE(first.ok());
  REQUIRE(first->has_value());
  CHECK((*first)->text == "first");
  CHECK((*first)->received_at == SimClock::kMonoOrigin + 3ms);

  scanner.set_down(true);
  CHECK(scanner.read_line(200ms).error().code == Errc::device_lost);
  CHECK(scanner.pending() == 1);
  scanner.set_down(false);
  auto second = scanner.read_line(200ms);
  REQUIRE(second.ok());
  REQUIRE(second->has_value());
  CHECK((*second)->text == binary);
  CHECK(scanner.pending() == 0);
}

TEST_CASE("SimGateMechanism: relay history follows the SimClock", "[sim][gate]") {
  SimClock clock(kStart);
  SimGateMechanism gate(clock);
  CHECK_FALSE(gate.relay_open());
  CHECK(gate.set_open(false).ok());  // already closed: not a change
  CHECK(gate.history().empty());

  clock.advance(100ms);
  CHECK(gate.set_open(true).ok());
  clock.advance(400ms);
  CHECK(gate.set_open(true).ok());  // still open: not a change
  clock.advance(400ms);
  CHECK(gate.set_open(false).ok());

  const std::vector<RelayChange> expected{{SimClock::kMonoOrigin + 100ms, true},
                                          {SimClock::kMonoOrigin + 900ms, false}};
  REQUIRE(gate.history() == expected);
  CHECK(gate.history()[1].at - gate.history()[0].at == 800ms);  // the pulse width
  CHECK(gate.open_count() == 1);
  CHECK_FALSE(gate.relay_open());

  gate.set_relay_fails(true);
  CHECK(gate.set_open(true).error().code == Errc::io_error);
  CHECK_FALSE(gate.relay_open());
  CHECK(gate.history().size() == 2);
  gate.set_relay_fails(false);
  CHECK(gate.set_open(true).ok());
  CHECK(gate.open_count() == 2);
}

TEST_CASE("SimGateMechanism: passages and the emergency input", "[sim][gate]") {
  SimClock clock(kStart);
  SimGateMechanism gate(clock);
  CHECK(*gate.take_passages() == 0);
  gate.add_passages(2);
  gate.add_passages(1);
  gate.set_sensor_fails(true);
  CHECK(gate.take_passages().error().code == Errc::io_error);
  gate.set_sensor_fails(false);
  CHECK(*gate.take_passages() == 3);
  CHECK(*gate.take_passages() == 0);

  CHECK_FALSE(*gate.active());
  gate.set_emergency(true);
  CHECK(*gate.active());
  gate.set_emergency_fails(true);
  CHECK(gate.active().error().code == Errc::io_error);
  gate.set_emergency_fails(false);
  gate.set_emergency(false);
  CHECK_FALSE(*gate.active());
}

TEST_CASE("SimIndicator: current state and a timestamped history", "[sim][indicator]") {
  SimClock clock(kStart);
  SimIndicator indicator(clock);
  CHECK(indicator.current() == hal::IndicatorState{});
  CHECK(indicator.history().empty());

  const hal::IndicatorState deny{hal::Light::red, true, "请单张刷卡", "One card at a time", ""};
  clock.advance(5ms);
  CHECK(indicator.show(deny).ok());
  clock.advance(2s);
  CHECK(indicator.show(deny).ok());  // a second denial is a second entry
  CHECK(indicator.current() == deny);
  const std::vector<IndicatorShown> expected{{SimClock::kMonoOrigin + 5ms, deny},
                                             {SimClock::kMonoOrigin + 2005ms, deny}};
  CHECK(indicator.history() == expected);

  indicator.set_fails(true);
  CHECK(indicator.show(hal::IndicatorState{}).error().code == Errc::io_error);
  CHECK(indicator.current() == deny);
  CHECK(indicator.history().size() == 2);
}

TEST_CASE("SimWatchdog: expires one microsecond after the timeout", "[sim][watchdog]") {
  SimClock clock(kStart);
  SimWatchdog watchdog(clock, 2s);
  CHECK(watchdog.kicks() == 0);

  clock.advance(2s);  // exactly at the first deadline, counted from construction
  CHECK_FALSE(watchdog.expired());
  CHECK(watchdog.fired_count() == 0);
  clock.advance(1us);
  CHECK(watchdog.expired());
  CHECK(watchdog.fired_count() == 1);

  REQUIRE(watchdog.kick().ok());  // a late kick: the missed deadline stays counted
  CHECK(watchdog.kicks() == 1);
  CHECK_FALSE(watchdog.expired());
  CHECK(watchdog.fired_count() == 1);

  clock.advance(2s);
  REQUIRE(watchdog.kick().ok());  // exactly at the deadline: in time
  CHECK(watchdog.fired_count() == 1);

  clock.advance(1min);  // one long gap counts once
  CHECK(watchdog.fired_count() == 2);
  REQUIRE(watchdog.kick().ok());
  CHECK(watchdog.fired_count() == 2);
  CHECK(watchdog.kicks() == 3);
}

TEST_CASE("SimWatchdog: a refused kick does not restart the countdown", "[sim][watchdog]") {
  SimClock clock(kStart);
  SimWatchdog watchdog(clock, 1s);
  clock.advance(900ms);
  watchdog.set_fails(true);
  CHECK(watchdog.kick().error().code == Errc::io_error);
  CHECK(watchdog.kicks() == 0);
  clock.advance(101ms);
  CHECK(watchdog.expired());
}

TEST_CASE("SimStaffPanel: commands come out in order, then none", "[sim][staff]") {
  SimStaffPanel panel;
  CHECK(*panel.take_command() == hal::StaffCommand::none);
  panel.push(hal::StaffCommand::confirm);
  panel.push(hal::StaffCommand::open);
  CHECK(panel.pending() == 2);

  panel.set_fails(true);
  CHECK(panel.take_command().error().code == Errc::io_error);
  panel.set_fails(false);
  CHECK(*panel.take_command() == hal::StaffCommand::confirm);
  CHECK(*panel.take_command() == hal::StaffCommand::open);
  CHECK(*panel.take_command() == hal::StaffCommand::none);
  CHECK(panel.pending() == 0);
}

}  // namespace
}  // namespace gate::sim
