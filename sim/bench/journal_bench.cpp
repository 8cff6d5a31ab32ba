// journal-bench: what journaling costs the gate. (a) Appends per second to a journal on a real file
// in DIR, with the gate's durable setting (WAL, synchronous=FULL: an fsync of the WAL at every
// commit) and, clearly labelled as a comparison the gate does not use, synchronous=NORMAL; and
// what Journal::used_bytes() (the disk budget's measure, taken after appends) costs. (b) The cost
// an append adds to one decision: the same decisions against a cache of N credentials, each timed
// alone (Validator::decide) and with its record appended, median and p99. A program that prints
// numbers, never a pass/fail test: the fsync's cost is the disk's, not the code's.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "firmware/app/config.h"
#include "firmware/gate/validator.h"
#include "firmware/store/journal.h"
#include "sim/bench/bench_flags.h"
#include "sim/bench/population_cache.h"
#include "sim/gate_sim/summary.h"

namespace {

using namespace gate;
using Clock = std::chrono::steady_clock;

int fail(const std::string& message) {
  std::cerr << "journal-bench: " << message << "\n";
  return 1;
}

std::int64_t elapsed_ns(Clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - since).count();
}

void report(const char* what, const std::vector<std::int64_t>& ns) {
  std::printf("%-48s median %9.1f us   p99 %9.1f us\n", what, sim::percentile(ns, 50) / 1000.0,
              sim::percentile(ns, 99) / 1000.0);
}

const core::GateContext kGate = *core::parse_gate_spec("L1:S07:G03:entry");

// A fresh journal at `path` (any old one removed, with its WAL).
Result<store::Journal> fresh_journal(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  return store::Journal::open(path,
                              store::ChainKey{app::simulator_journal_secret(), kGate.gate_id()});
}

// A typical record: an open decision for a card, as the loop journals it.
core::DecisionRecord sample_record(std::size_t i, Instant at) {
  core::DecisionRecord r;
  r.ts = at + std::chrono::milliseconds(i);
  r.gate = kGate.gate_id();
  r.direction = kGate.direction;
  r.credential = "tu:31051700" + std::to_string(10000000000 + i);
  r.decision.outcome = core::Outcome::open;
  r.decision.reason = core::Reason::ok;
  r.decision.media = core::Media::card;
  r.decision.health = core::HealthSeen::green;
  r.decision.mode = core::HealthMode::enforce;
  r.latency_us = 400;
  return r;
}

// `n` appends in a row on `journal`; appends per second, each append's time into `ns`.
Result<double> append_rate(store::Journal& journal, std::size_t n, Instant at,
                           std::vector<std::int64_t>& ns) {
  ns.clear();
  auto t0 = Clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    auto t = Clock::now();
    GATE_TRY(journal.append(sample_record(i, at)).status());
    ns.push_back(elapsed_ns(t));
  }
  return static_cast<double>(n) / (static_cast<double>(elapsed_ns(t0)) / 1e9);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t credentials = 1'000'000;
  std::size_t appends = 2'000;
  std::size_t decisions = 2'000;
  std::string dir = (std::filesystem::temp_directory_path() / "journal-bench").string();
  if (!sim::parse_bench_flags(
          argc, argv,
          {sim::count_flag("credentials", credentials), sim::count_flag("appends", appends),
           sim::count_flag("decisions", decisions), sim::text_flag("dir", dir)})) {
    return fail("usage: journal-bench [--credentials N] [--appends N] [--decisions N] [--dir DIR]");
  }
  std::filesystem::create_directories(dir);
  const std::string journal_path = dir + "/journal.db";
  const Instant at = sim::PopulateOptions{}.as_of;

  // (a) Append rates on a real file: the durable setting, then NORMAL for comparison.
  std::printf("journal: %s (the file system under it decides the fsync's cost)\n",
              journal_path.c_str());
  std::vector<std::int64_t> full_ns, normal_ns, used_ns;
  double full_rate = 0, normal_rate = 0;
  std::uint64_t used = 0;
  std::uintmax_t wal = 0;
  {
    auto journal = fresh_journal(journal_path);
    if (!journal.ok()) return fail(journal.error().message);
    auto rate = append_rate(*journal, appends, at, full_ns);
    if (!rate.ok()) return fail(rate.error().message);
    full_rate = *rate;
    // The budget's measure, as the runtime takes it after an append.
    for (std::size_t i = 0; i < 1000; ++i) {
      auto t = Clock::now();
      auto u = journal->used_bytes();
      used_ns.push_back(elapsed_ns(t));
      if (!u.ok()) return fail(u.error().message);
      used = *u;
    }
    std::error_code ec;
    wal = std::filesystem::file_size(journal_path + "-wal", ec);
    if (ec) wal = 0;
  }
  {
    auto journal = fresh_journal(journal_path);
    if (!journal.ok()) return fail(journal.error().message);
    // Only here, on this connection: NORMAL in WAL mode can lose the last commits on a power cut.
    if (auto s = store::exec(journal->db(), "PRAGMA synchronous = NORMAL"); !s.ok()) {
      return fail(s.error().message);
    }
    auto rate = append_rate(*journal, appends, at, normal_ns);
    if (!rate.ok()) return fail(rate.error().message);
    normal_rate = *rate;
  }
  std::printf("%zu appends, synchronous=FULL (the gate's setting): %9.0f appends/s\n", appends,
              full_rate);
  report("  one append, synchronous=FULL", full_ns);
  std::printf(
      "%zu appends, synchronous=NORMAL (comparison only, NOT durable on power loss): "
      "%9.0f appends/s\n",
      appends, normal_rate);
  report("  one append, synchronous=NORMAL (comparison only)", normal_ns);
  report("Journal::used_bytes() after the FULL run", used_ns);
  std::printf(
      "journal after %zu appends: %.1f KiB of pages in use (the budget's measure), "
      "WAL %.1f KiB beside it\n",
      appends, static_cast<double>(used) / 1024.0, static_cast<double>(wal) / 1024.0);

  // (b) The cost an append adds to a decision: the same decisions, alone and then journaled.
  auto population = sim::population_cache(dir, credentials);
  if (!population.ok()) return fail(population.error().message);
  auto cache = store::CacheReader::open(population->path);
  if (!cache.ok()) return fail(cache.error().message);
  store::PassbackMemory passback;
  control::Validator validator(kGate, &*cache, passback);
  std::vector<std::string> keys = sim::sample_keys(*population, decisions);
  auto journal = fresh_journal(journal_path);
  if (!journal.ok()) return fail(journal.error().message);

  const Instant now = population->options.as_of + std::chrono::minutes(5);
  // Warm-up (page cache, statements), then each key decided twice in a row: once alone, once
  // with its record appended, so both see the same cache state.
  for (std::size_t i = 0; i < std::min<std::size_t>(keys.size(), 200); ++i) {
    core::Presentation p;
    p.credential = keys[i];
    (void)validator.decide(std::move(p), now);
  }
  std::vector<std::int64_t> decide_ns, journaled_ns;
  for (const std::string& key : keys) {
    core::Presentation p;
    p.credential = key;
    auto t0 = Clock::now();
    (void)validator.decide(p, now);
    decide_ns.push_back(elapsed_ns(t0));

    t0 = Clock::now();
    core::DecisionRecord record;
    record.ts = now;
    record.gate = kGate.gate_id();
    record.direction = kGate.direction;
    record.credential = key;
    record.decision = validator.decide(std::move(p), now);
    auto seq = journal->append(record);
    journaled_ns.push_back(elapsed_ns(t0));
    if (!seq.ok()) return fail(seq.error().message);
  }
  std::printf("%zu decisions, %zu credentials in the cache, journal synchronous=FULL\n",
              keys.size(), population->credentials);
  report("decide alone (Validator::decide)", decide_ns);
  report("decide + append (what the gate does)", journaled_ns);
  std::printf("added by the append (median): %.1f us\n",
              (sim::percentile(journaled_ns, 50) - sim::percentile(decide_ns, 50)) / 1000.0);
  return 0;
}
