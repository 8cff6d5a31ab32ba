// pn532-tap-bench: a T-Union tap through the board's libnfc reader driver, libnfc's own pn532_uart
// driver, a real pty and the PN532 emulator, timed from the card placed to the decision. Each tap
// is split into the time spent inside libnfc (libnfc, the UART and the emulated chip answering on
// its own thread) and our own code (driver bookkeeping, card profile, validator, decision table).
// A program that prints numbers, never a pass/fail test.
//   pn532-tap-bench [--taps N]
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "drivers/libnfc_card_reader.h"
#include "firmware/core/card_profile.h"
#include "firmware/gate/validator.h"
#include "firmware/store/cache.h"
#include "firmware/store/passback_memory.h"
#include "sim/bench/bench_flags.h"
#include "sim/cards/card_factory.h"
#include "sim/devices/sim_clock.h"
#include "sim/gate_sim/scratch_dir.h"
#include "sim/gate_sim/summary.h"
#include "sim/pn532/pn532_emulator.h"

namespace {

using namespace gate;
using Clock = std::chrono::steady_clock;
using std::chrono::hours;

constexpr const char* kCard = "tu:3105170010170907984";
const Instant kFirstTrain = Instant(std::chrono::seconds(1653253200));  // 05:00 +08:00, 23 May

int fail(const std::string& message) {
  std::cerr << "pn532-tap-bench: " << message << "\n";
  return 1;
}

void report(const char* what, const std::vector<std::int64_t>& ns) {
  std::printf("%-46s median %8.1f us   p99 %8.1f us\n", what, sim::percentile(ns, 50) / 1000.0,
              sim::percentile(ns, 99) / 1000.0);
}

// A cache with the card bound to a green identity under an enforcing policy: the full decision.
Status write_cache(const std::string& path) {
  GATE_TRY_ASSIGN(store::CacheWriter w, store::CacheWriter::open(path));
  core::PolicyRecord policy{"bench", kFirstTrain - hours(24), {}, {}, {}};
  policy.policy.health_mode = core::HealthMode::enforce;
  core::Binding binding{kCard, "id-bench", core::Media::card, core::BindingStatus::active,
                        kFirstTrain - hours(100)};
  core::HealthStatus health{"id-bench", core::HealthColour::green, false, std::nullopt,
                            kFirstTrain - hours(1)};
  GATE_TRY(w.apply({policy, binding, health}));
  return w.mark_synced(kFirstTrain, 1);
}

}  // namespace

int main(int argc, char** argv) {
  int taps = 500;
  if (!sim::parse_bench_flags(argc, argv, {sim::count_flag("taps", taps)})) {
    return fail("usage: pn532-tap-bench [--taps N]");
  }
  sim::ScratchDir dir;
  if (dir.path().empty()) return fail("no scratch directory");
  if (Status s = write_cache(dir.file("cache.db")); !s.ok()) return fail(s.error().message);
  auto cache = store::CacheReader::open(dir.file("cache.db"));
  if (!cache.ok()) return fail(cache.error().message);
  store::PassbackMemory passback;
  control::Validator validator(*core::parse_gate_spec("L1:S07:G03:exit"), &*cache, passback);

  auto emulator = sim::Pn532Emulator::start(dir.file("pn532"));
  if (!emulator.ok()) return fail(emulator.error().message);
  sim::SimClock clock(kFirstTrain);
  drivers::LibnfcReaderConfig config;
  config.connstring = (*emulator)->connstring();
  auto reader = drivers::LibnfcCardReader::create(clock, config);
  if (!reader.ok()) return fail(reader.error().message);
  auto& r = **reader;
  if (auto first = r.poll(std::chrono::milliseconds(0)); !first.ok()) {
    return fail(first.error().message);
  }

  auto card = sim::make_card_for_key(kCard);
  std::vector<std::int64_t> total, in_libnfc, own, detect, read, decide;
  int opened = 0;
  for (int i = 0; i < taps; ++i) {
    auto libnfc_before = r.time_in_libnfc();
    auto t0 = Clock::now();
    (*emulator)->place(card);
    auto presence = r.poll(std::chrono::milliseconds(0));
    if (!presence.ok() || presence->kind != hal::CardPresence::Kind::one) {
      return fail("tap " + std::to_string(i) + ": the card was not detected in one pass");
    }
    auto t1 = Clock::now();
    auto data = core::read_card(presence->target, r);
    auto t2 = Clock::now();
    core::Presentation presented;
    if (const auto* d = std::get_if<core::CardData>(&data)) {
      presented.credential = d->credential;
      presented.valid_until = d->valid_until;
    } else {
      presented.read_failure = std::get<core::Reason>(data);
    }
    core::Decision decision = validator.decide(presented, kFirstTrain);
    auto t3 = Clock::now();
    opened += decision.outcome == core::Outcome::open;
    auto ns = [](auto d) {
      return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
    };
    std::int64_t libnfc_ns = ns(r.time_in_libnfc() - libnfc_before);
    total.push_back(ns(t3 - t0));
    in_libnfc.push_back(libnfc_ns);
    own.push_back(ns(t3 - t0) - libnfc_ns);
    detect.push_back(ns(t1 - t0));
    read.push_back(ns(t2 - t1));
    decide.push_back(ns(t3 - t2));
    (*emulator)->remove_all();
    if (auto gone = r.poll(std::chrono::milliseconds(0)); !gone.ok()) {
      return fail(gone.error().message);
    }
  }
  std::printf(
      "%d T-Union taps through libnfc (pn532_uart) and the PN532 emulator on a pty, "
      "%d opened\n",
      taps, opened);
  report("card placed -> decision", total);
  report("  of which inside libnfc (UART + chip)", in_libnfc);
  report("  of which our own code", own);
  report("detection (field cycle + list targets)", detect);
  report("card profile (select, APDUs over libnfc)", read);
  report("validator + decision table", decide);
  std::printf(
      "The emulated chip answers at once; a real PN532 at 115200 baud adds the UART's "
      "~87 us per byte and the card's own radio time to the libnfc share.\n");
  return 0;
}
