#include "sim/gate_sim/commands.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "firmware/app/config.h"
#include "firmware/core/decision_record.h"
#include "firmware/store/iso_time.h"
#include "firmware/store/record_loader.h"
#include "sim/gate_sim/scratch_dir.h"
#include "sim/gate_sim/sim_gate.h"
#include "sim/gate_sim/summary.h"

namespace gate::sim {
namespace {

// The demo's first train: 05:00 Beijing time on 23 May 2022.
constexpr const char* kDefaultStart = "2022-05-23T05:00:00+08:00";

int fail(const std::string& message, int code = 1) {
  std::cerr << "gate-sim: " << message << "\n";
  return code;
}

std::string entry_json(const store::JournalEntry& entry) {
  return std::visit([](const auto& e) { return core::to_json_line(e); }, entry);
}

const char* light_name(hal::Light light) {
  switch (light) {
    case hal::Light::off:
      return "off";
    case hal::Light::green:
      return "green";
    case hal::Light::amber:
      return "amber";
    case hal::Light::red:
      return "red";
  }
  return "?";
}

void print_state(SimGate& g) {
  hal::IndicatorState s = g.indicator().current();
  std::cout << "  relay " << (g.mechanism().relay_open() ? "OPEN  " : "closed") << " | light "
            << light_name(s.light) << (s.buzzer ? " +buzzer" : "") << " | " << s.text_zh << " / "
            << s.text_en << (s.detail.empty() ? "" : " | " + s.detail) << std::endl;
}

int run_interactive(SimGate& g) {
  std::cout << "gate-sim interactive: type scenario events (clock, wait, tap, tap-many, tap-bad, "
               "scan, pass, staff confirm|open, emergency on|off); end with Ctrl-D\n";
  print_state(g);
  std::string line;
  // The prompt goes to stderr so that stdout carries only records and state lines.
  for (std::size_t n = 1; std::cerr << "gate> " << std::flush, std::getline(std::cin, line); ++n) {
    auto ev = parse_scenario_line(line, n);
    if (!ev.ok()) {
      std::cout << "  " << ev.error().message << std::endl;
      continue;
    }
    if (!*ev) continue;
    Status s = g.play(**ev);
    if (!s.ok()) std::cout << "  error: " << s.error().message << std::endl;
    print_state(g);
  }
  std::cout << std::endl;
  return 0;
}

}  // namespace

std::optional<std::string> Args::get(const std::string& name) const {
  auto it = flags.find(name);
  if (it == flags.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

int cmd_cache_build(const Args& args) {
  auto records = args.get("records");
  auto out = args.get("out");
  if (!records || !out) return fail("cache-build needs --records FILE and --out CACHE", 2);
  Instant synced_at = std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
  if (auto at = args.get("synced-at")) {
    auto parsed = store::parse_iso8601(*at);
    if (!parsed) return fail("--synced-at: expected an ISO 8601 time with offset", 2);
    synced_at = *parsed;
  }
  auto n = store::load_records_file(*records, *out, synced_at);
  if (!n.ok()) return fail(*records + ": " + n.error().message);
  std::cerr << "gate-sim: " << *n << " records applied to " << *out << "\n";
  return 0;
}

Result<app::Config> config_from_args(const Args& args,
                                     std::initializer_list<const char*> key_flags) {
  app::Config config;
  if (auto path = args.get("config")) {
    GATE_TRY_ASSIGN(config, app::load_config_file(*path, false));
  }
  std::vector<std::pair<std::string, std::string>> overrides;
  for (const char* key : key_flags) {
    if (auto v = args.get(key)) overrides.emplace_back(key, *v);
  }
  if (args.flags.count("set")) {
    for (const std::string& kv : args.flags.at("set")) {
      std::size_t eq = kv.find('=');
      if (eq == std::string::npos) {
        return make_error(Errc::invalid_argument, "--set expects KEY=VALUE, got `" + kv + "`");
      }
      overrides.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
  }
  for (const auto& [key, value] : overrides) GATE_TRY(app::set_config_value(config, key, value));
  return config;
}

int cmd_run(const Args& args) {
  auto from_args = config_from_args(args, {"gate", "cache", "journal", "reader", "scanner"});
  if (!from_args.ok()) return fail(from_args.error().message, 2);
  app::Config config = std::move(*from_args);
  ScratchDir temp;  // a journal removed at exit, so repeated demo runs start alike
  if (config.journal_path.empty()) config.journal_path = temp.file("journal.db");
  if (Status s = app::validate_config(config); !s.ok()) return fail(s.error().message, 2);

  bool interactive = args.has("interactive");
  std::vector<ScenarioEvent> events;
  if (!interactive) {
    auto path = args.get("scenario");
    if (!path) return fail("run needs --scenario FILE or --interactive", 2);
    std::ifstream in(*path);
    if (!in) return fail("cannot open scenario " + *path, 2);
    auto parsed = parse_scenario(in);
    if (!parsed.ok()) return fail(*path + ": " + parsed.error().message, 2);
    events = std::move(*parsed);
  }
  Instant start = *store::parse_iso8601(kDefaultStart);
  if (!events.empty() && events.front().kind == ScenarioEvent::Kind::clock) {
    start = events.front().at;
  }

  RunSummary summary;
  auto observer = [&summary](std::uint64_t, const store::JournalEntry& entry) {
    std::cout << entry_json(entry) << std::endl;  // flushed: a killed run loses no printed line
    summary.add(entry);
  };
  auto gate = SimGate::create(config, start, observer);
  if (!gate.ok()) return fail(gate.error().message);
  SimGate& g = **gate;
  g.set_on_watchdog_reset([](Instant ts) {
    std::cout << R"({"watchdog":"reset","ts":")" << core::format_utc_millis(ts) << "\"}"
              << std::endl;
  });
  if (interactive) return run_interactive(g);
  for (const ScenarioEvent& ev : events) {
    Status s = g.play(ev);
    if (!s.ok()) return fail("line " + std::to_string(ev.line) + ": " + s.error().message);
  }
  summary.print(std::cerr);
  return 0;
}

int cmd_journal(const Args& args) {
  auto path = args.get("journal");
  if (!path) return fail("journal needs --journal PATH", 2);
  if (!std::filesystem::exists(*path)) return fail("no journal at " + *path);
  // Only read here; the key would chain appends, and none are made.
  auto journal = store::Journal::open(*path, {app::simulator_journal_secret(), "gate-sim"});
  if (!journal.ok()) return fail(journal.error().message);
  auto rows = journal->read();
  if (!rows.ok()) return fail(rows.error().message);
  for (const store::JournalRow& row : *rows) std::cout << entry_json(row.entry) << "\n";
  return 0;
}

}  // namespace gate::sim
