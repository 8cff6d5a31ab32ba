// gate-sim generate and gate-sim soak (issue #8): service days as scenarios (sim/soak), and the
// soak itself, the real firmware on simulated devices (reader and scanner `direct`, for speed),
// SQLite journal and cache in files, through a number of service days. Each night the gate starts
// again on that morning's records (a fresh cache, as a night's sync would leave it); the journal,
// the anti-passback memory it is rebuilt from and the ride-code replay guard carry over.
//
// The soak's own checks, after the last day: every printed record is in the journal and every
// journal row was printed, seq contiguous from 1, the chain verifies (store::verify_chain), and
// the resident memory at the end is within kRssGrowthBoundKib of what it was after the first day
// (the warm-up: a whole day of riders fills everything that grows with a day's traffic, the
// anti-passback memory above all). The decisions themselves are recomputed by the soak test's
// independent checker (tests/sim/soak_checker.h) from the files the soak leaves in its directory:
// soak.json (the days), records-day-N.jsonl, day-N.txt, printed.jsonl and journal.db.
#include <sys/resource.h>

#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "firmware/core/decision_record.h"
#include "firmware/store/iso_time.h"
#include "firmware/store/journal.h"
#include "firmware/store/journal_chain.h"
#include "firmware/store/record_loader.h"
#include "sim/gate_sim/commands.h"
#include "sim/gate_sim/sim_gate.h"
#include "sim/populate/record_lines.h"
#include "sim/soak/process_memory.h"
#include "sim/soak/service_day.h"

namespace gate::sim {
namespace {

using Clock = std::chrono::steady_clock;

// What the resident set may grow by from the end of the first day to the end of the soak. A day
// fills the anti-passback memory (one entry per credential that went in, 24 hours kept), SQLite's
// page caches (2 MiB each, bounded) and the allocator's free lists; what is left is noise of a
// few hundred KiB between days (a gate started afresh each night). 2 MiB is far below what a leak
// of even 20 bytes per transaction would add over 100,000 transactions.
constexpr std::uint64_t kRssGrowthBoundKib = 2048;

constexpr const char* kSoakGate = "L1:S07:G03:entry";

int fail(const std::string& message, int code = 1) {
  std::cerr << "gate-sim: " << message << "\n";
  return code;
}

template <class T>
bool parse_number(const std::optional<std::string>& text, T& out) {
  if (!text) return true;  // keep the default
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), out);
  return ec == std::errc() && end == text->data() + text->size();
}

std::optional<std::chrono::sys_days> parse_day(const std::string& text) {
  auto t = store::parse_iso8601(text + "T00:00:00Z");
  if (!t) return std::nullopt;
  return std::chrono::floor<std::chrono::days>(*t);
}

// The options both commands share: --identities, --seed, --first-day, --peak,
// --day-transactions.
Result<ServiceDayOptions> day_options(const Args& args, std::size_t default_identities) {
  ServiceDayOptions o;
  o.population.identities = default_identities;
  if (!parse_number(args.get("identities"), o.population.identities) ||
      o.population.identities == 0) {
    return make_error(Errc::invalid_argument, "--identities: expected a positive whole number");
  }
  if (!parse_number(args.get("seed"), o.seed)) {
    return make_error(Errc::invalid_argument, "--seed: expected a whole number");
  }
  o.population.seed = o.seed;
  if (auto first = args.get("first-day")) {
    auto day = parse_day(*first);
    if (!day) return make_error(Errc::invalid_argument, "--first-day: expected YYYY-MM-DD");
    o.first_day = *day;
  }
  if (!parse_number(args.get("day-transactions"), o.max_transactions)) {
    return make_error(Errc::invalid_argument, "--day-transactions: expected a whole number");
  }
  if (!parse_number(args.get("peak"), o.peak_per_minute) ||
      !(o.peak_per_minute > 0 && o.peak_per_minute <= 120)) {
    return make_error(Errc::invalid_argument, "--peak: riders a minute, above 0, at most 120");
  }
  return o;
}

// The day's records: the population as of that morning, then the issuer key for ride codes.
Status write_day_records(const std::string& path, const ServiceDayOptions& o,
                         const SoakCodeIssuer& codes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  GATE_TRY(write_population(out, population_for_day(o)).status());
  out << codes.issuer_key_line(o.utc_offset_minutes);
  out.close();
  if (!out) return make_error(Errc::io_error, "cannot write " + path);
  return ok_status();
}

Result<ServiceDayStats> write_day_scenario(const std::string& path, const ServiceDayOptions& o,
                                           SoakCodeIssuer& codes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  GATE_TRY_ASSIGN(ServiceDayStats stats, write_service_day(out, o, codes));
  out.close();
  if (!out) return make_error(Errc::io_error, "cannot write " + path);
  return stats;
}

std::string entry_json(const store::JournalEntry& entry) {
  return std::visit([](const auto& e) { return core::to_json_line(e); }, entry);
}

// The CPU time this process has used (user and system), in seconds: on a machine shared with
// other work the wall time says little.
double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto s = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; };
  return s(usage.ru_utime) + s(usage.ru_stime);
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string mib(std::uint64_t kib) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(kib) / 1024.0);
  return buf;
}

// Counts of what the gate journaled, for the summary.
struct Tally {
  std::size_t decisions = 0;
  std::size_t rows = 0;
  std::map<std::string, std::size_t> by_outcome;  // "open", "deny", "staff_check"
  std::map<std::string, std::size_t> by_reason;   // "open/ok", "deny/card_lost", ...
  std::map<std::string, std::size_t> events;
  void add(const store::JournalEntry& entry) {
    ++rows;
    if (const auto* d = std::get_if<core::DecisionRecord>(&entry)) {
      ++decisions;
      const std::string outcome(core::outcome_name(d->decision.outcome));
      ++by_outcome[outcome];
      ++by_reason[outcome + "/" + std::string(core::reason_name(d->decision.reason))];
    } else {
      ++events[std::string(core::event_kind_name(std::get<core::GateEvent>(entry).kind))];
    }
  }
};

// Runs one day's scenario file through a gate started on that day's cache, streaming the events
// (a day's scenario is never held in memory whole).
Status run_day(const std::string& scenario_path, const app::Config& config,
               const control::EntryObserver& observer) {
  std::ifstream in(scenario_path);
  if (!in) return make_error(Errc::io_error, "cannot open " + scenario_path);
  std::unique_ptr<SimGate> gate;
  std::string line;
  for (std::size_t n = 1; std::getline(in, line); ++n) {
    GATE_TRY_ASSIGN(std::optional<ScenarioEvent> ev, parse_scenario_line(line, n));
    if (!ev) continue;
    if (!gate) {
      if (ev->kind != ScenarioEvent::Kind::clock) {
        return make_error(Errc::malformed, scenario_path + ": a day starts with `clock`");
      }
      GATE_TRY_ASSIGN(gate, SimGate::create(config, ev->at, observer));
    }
    Status s = gate->play(*ev);
    if (!s.ok()) return make_error(s.error().code, scenario_path + ": line " + std::to_string(n) +
                                                       ": " + s.error().message);
  }
  return ok_status();
}

// The journal against what was printed: the same rows, seq 1..N without a gap, the chain intact.
Status check_journal(const std::string& journal_path, const std::string& printed_path,
                     const core::GateContext& gate, std::size_t& rows_checked) {
  const store::ChainKey key{app::simulator_journal_secret(), gate.gate_id()};
  GATE_TRY_ASSIGN(store::Journal journal, store::Journal::open(journal_path, key));
  GATE_TRY_ASSIGN(std::vector<store::JournalRow> rows, journal.read());
  std::ifstream printed(printed_path);
  std::string line;
  std::size_t n = 0;
  for (const store::JournalRow& row : rows) {
    ++n;
    if (row.seq != n) {
      return make_error(Errc::storage_error, "journal: seq " + std::to_string(row.seq) + " where " +
                                           std::to_string(n) + " was due");
    }
    if (!std::getline(printed, line)) {
      return make_error(Errc::storage_error, "journal row " + std::to_string(n) + " was never printed");
    }
    if (line != entry_json(row.entry)) {
      return make_error(Errc::storage_error, "journal row " + std::to_string(n) + " differs from line " +
                                           std::to_string(n) + " printed");
    }
  }
  if (std::getline(printed, line)) {
    return make_error(Errc::storage_error,
                      "printed line " + std::to_string(n + 1) + " is not in the journal");
  }
  if (journal.chain_start() != 1) return make_error(Errc::storage_error, "journal: chain not from 1");
  GATE_TRY_ASSIGN(std::vector<store::ChainRow> chain, journal.read_chain());
  GATE_TRY_ASSIGN(store::ChainAnchor anchor, store::chain_start_anchor(key, 1));
  GATE_TRY_ASSIGN(store::ChainVerdict verdict, store::verify_chain(key, anchor, chain));
  if (verdict.problem != store::ChainProblem::none || chain.size() != rows.size()) {
    return make_error(Errc::storage_error, "journal chain: " +
                                         std::string(store::chain_problem_name(verdict.problem)));
  }
  rows_checked = n;
  return ok_status();
}

}  // namespace

int cmd_generate(const Args& args) {
  auto options = day_options(args, 20'000);
  if (!options.ok()) return fail(options.error().message, 2);
  ServiceDayOptions o = *options;
  if (!parse_number(args.get("day"), o.day) || o.day < 1) {
    return fail("--day: expected 1, 2, ... (the service day)", 2);
  }
  o.day -= 1;
  auto out = args.get("out");
  if (!out) return fail("generate needs --out SCENARIO", 2);
  auto codes = SoakCodeIssuer::create(o.seed, o.first_day);
  if (!codes.ok()) return fail(codes.error().message);
  // Earlier days are generated too (not written): days chain, so day 3 is the same whether made
  // alone or after days 1 and 2 (riders' code sequences and installs carry over).
  for (int d = 0; d < o.day; ++d) {
    ServiceDayOptions earlier = o;
    earlier.day = d;
    std::ostringstream discard;
    if (auto s = write_service_day(discard, earlier, **codes); !s.ok()) {
      return fail(s.error().message);
    }
  }
  if (auto records = args.get("records-out")) {
    if (Status s = write_day_records(*records, o, **codes); !s.ok()) return fail(s.error().message);
  }
  auto stats = write_day_scenario(*out, o, **codes);
  if (!stats.ok()) return fail(stats.error().message);
  std::cerr << "gate-sim: day " << o.day + 1 << ": " << stats->transactions << " transactions\n";
  return 0;
}

int cmd_soak(const Args& args) {
  auto options = day_options(args, 20'000);
  if (!options.ok()) return fail(options.error().message, 2);
  int days = 1;
  if (!parse_number(args.get("days"), days) || days < 1 || days > 366) {
    return fail("--days: expected 1 to 366", 2);
  }
  auto dir_arg = args.get("dir");
  if (!dir_arg) return fail("soak needs --dir DIR (it keeps the days' files there)", 2);
  const std::string dir = *dir_arg;
  std::filesystem::create_directories(dir);
  auto file = [&dir](const std::string& name) { return dir + "/" + name; };
  app::Config config;
  if (Status s = app::set_config_value(config, "gate", kSoakGate); !s.ok()) {
    return fail(s.error().message);
  }
  config.journal_path = file("journal.db");
  std::filesystem::remove(config.journal_path);
  std::filesystem::remove(config.journal_path + "-wal");
  std::filesystem::remove(config.journal_path + "-shm");

  // Every day's files first, so the run itself does nothing but run the gate.
  const auto t_prepare = Clock::now();
  const double cpu_prepare = cpu_seconds();
  auto codes = SoakCodeIssuer::create(options->seed, options->first_day);
  if (!codes.ok()) return fail(codes.error().message);
  std::ofstream manifest(file("soak.json"), std::ios::trunc);
  manifest << "{\"gate\":\"" << kSoakGate << "\",\"utc_offset_minutes\":"
           << options->utc_offset_minutes << ",\"days\":[";
  std::size_t planned = 0;
  for (int d = 0; d < days; ++d) {
    ServiceDayOptions o = *options;
    o.day = d;
    const std::string n = std::to_string(d + 1);
    const std::string records = "records-day-" + n + ".jsonl";
    const std::string cache = "cache-day-" + n + ".db";
    const std::string scenario = "day-" + n + ".txt";
    if (Status s = write_day_records(file(records), o, **codes); !s.ok()) {
      return fail(s.error().message);
    }
    // The night's sync: half an hour after the back office's morning snapshot.
    const Instant synced_at = population_for_day(o).as_of + std::chrono::minutes(30);
    std::filesystem::remove(file(cache));
    auto loaded = store::load_records_file(file(records), file(cache), synced_at);
    if (!loaded.ok()) return fail(records + ": " + loaded.error().message);
    auto stats = write_day_scenario(file(scenario), o, **codes);
    if (!stats.ok()) return fail(stats.error().message);
    planned += stats->transactions;
    std::cout << "day " << n << " prepared: " << stats->transactions << " transactions" << std::endl;
    std::string synced;
    append_iso_time(synced, synced_at, o.utc_offset_minutes);
    manifest << (d ? "," : "") << "{\"scenario\":\"" << scenario << "\",\"records\":\"" << records
             << "\",\"cache\":\"" << cache << "\",\"synced_at\":\"" << synced
             << "\",\"transactions\":" << stats->transactions << "}";
  }
  manifest << "]}\n";
  manifest.close();
  if (!manifest) return fail("cannot write " + file("soak.json"));
  char prepared[160];
  std::snprintf(prepared, sizeof prepared,
                "files: %d day(s), %zu transactions planned, made in %.1f s (%.1f s CPU)\n", days,
                planned, seconds_since(t_prepare), cpu_seconds() - cpu_prepare);
  std::cout << prepared << std::flush;

  // The run.
  std::ofstream printed(file("printed.jsonl"), std::ios::binary | std::ios::trunc);
  Tally tally;
  std::size_t warmup_mark = 10'000;
  std::optional<ProcessMemory> at_warmup_mark, after_first_day, at_end;
  auto observer = [&](std::uint64_t, const store::JournalEntry& entry) {
    printed << entry_json(entry) << '\n';
    tally.add(entry);
    if (!at_warmup_mark && tally.decisions >= warmup_mark) at_warmup_mark = process_memory();
  };
  const auto t_run = Clock::now();
  const double cpu_run = cpu_seconds();
  std::vector<std::uint64_t> rss_by_day;
  for (int d = 0; d < days; ++d) {
    const std::string n = std::to_string(d + 1);
    config.cache_path = file("cache-day-" + n + ".db");
    if (Status s = run_day(file("day-" + n + ".txt"), config, observer); !s.ok()) {
      return fail("soak: day " + n + ": " + s.error().message);
    }
    auto m = process_memory();
    rss_by_day.push_back(m ? m->rss_kib : 0);
    if (d == 0) after_first_day = m;
    // A line a day, so that whoever waits for the soak sees it move.
    std::cout << "day " << n << ": " << tally.decisions << " transactions so far, VmRSS "
              << (m ? mib(m->rss_kib) : "-") << std::endl;
  }
  const double run_s = seconds_since(t_run);
  const double run_cpu_s = cpu_seconds() - cpu_run;
  at_end = process_memory();
  printed.close();
  if (!printed) return fail("cannot write " + file("printed.jsonl"));

  // The checks.
  bool ok = true;
  std::size_t rows_checked = 0;
  Status journal_ok = check_journal(config.journal_path, file("printed.jsonl"), config.gate,
                                    rows_checked);
  std::cout << "soak: " << days << " day(s), seed " << options->seed << ", "
            << options->population.identities << " identities, gate " << kSoakGate << "\n";
  std::cout << "transactions (decisions): " << tally.decisions << " of " << planned
            << " taps, scans and staff opens\n";
  if (tally.decisions != planned) {
    // A filter for the eye only: the independent checker says which tap gave no record.
    std::cout << "  (a tap the gate ignores within 1.5 s of the same credential gives none)\n";
  }
  std::cout << "outcomes:";
  for (const auto& [name, count] : tally.by_outcome) std::cout << " " << name << "=" << count;
  std::cout << "\nreasons:";
  for (const auto& [name, count] : tally.by_reason) std::cout << " " << name << "=" << count;
  std::cout << "\nevents:";
  for (const auto& [name, count] : tally.events) std::cout << " " << name << "=" << count;
  std::cout << "\n";
  char timing[200];
  std::snprintf(timing, sizeof timing,
                "time: %.1f s wall (%.0f transactions/s), %.1f s CPU (%.0f transactions/s)\n",
                run_s, static_cast<double>(tally.decisions) / run_s, run_cpu_s,
                static_cast<double>(tally.decisions) / run_cpu_s);
  std::cout << timing;
  if (journal_ok.ok()) {
    std::cout << "journal: " << rows_checked
              << " rows, all printed and every printed line held, seq 1.." << rows_checked
              << " contiguous, chain verifies\n";
  } else {
    std::cout << "journal: FAILED: " << journal_ok.error().message << "\n";
    ok = false;
  }
  if (after_first_day && at_end) {
    std::cout << "memory: VmRSS " << (at_warmup_mark ? mib(at_warmup_mark->rss_kib) : "-")
              << " after " << warmup_mark << " transactions, " << mib(after_first_day->rss_kib)
              << " after day 1 (warm-up), " << mib(at_end->rss_kib) << " at the end; VmHWM "
              << mib(at_end->hwm_kib) << "; by day:";
    for (std::uint64_t kib : rss_by_day) std::cout << " " << mib(kib);
    std::cout << "\n";
    const std::uint64_t limit = after_first_day->rss_kib + kRssGrowthBoundKib;
    if (days > 1 && at_end->rss_kib > limit) {
      std::cout << "memory: FAILED: the end is over the warm-up + " << mib(kRssGrowthBoundKib)
                << "\n";
      ok = false;
    } else {
      std::cout << "memory: end within warm-up + " << mib(kRssGrowthBoundKib)
                << (days > 1 ? "" : " (one day: nothing after the warm-up to compare)") << "\n";
    }
  } else {
    std::cout << "memory: /proc/self/status unreadable\n";
  }
  std::cout << (ok ? "soak: passed\n" : "soak: FAILED\n") << std::flush;
  return ok ? 0 : 1;
}

}  // namespace gate::sim
